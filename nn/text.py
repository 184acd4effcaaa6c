"""Character-level text data for language models (Bengio et al. 2003, Karpathy's makemore).

    load_words(path=None)                    lowercase a–z words: a file, the system word list,
                                             or the built-in list
    split_words(words, fractions, seed)      train / val / test, a seeded shuffle
    Vocabulary.from_words(words)             '.' (index 0, start and end of a word) + letters
    context_windows(words, vocab, block_size)   (X (N, block_size), Y (N,)): the previous
                                             block_size characters → the next (the MLP's data)
    sequences(words, vocab, block_size)      (X (N, T), Y (N, T)): a whole word per row,
                                             targets padded with ignore_index (a transformer's)

Word list: `load_words()` reads `/usr/share/dict/american-english` (Debian's `wamerican`
package, SCOWL word lists by Kevin Atkinson, a permissive MIT-like licence) when it exists,
keeping the words made only of lowercase letters a–z (no proper nouns, no possessives), and
otherwise `BUILTIN_WORDS`, a few hundred common English words written for this module, so the
tests and notebooks run anywhere. `source(words)` tells which one you got. The environment
variable `AUTOGRAD_LITE_WORDS` overrides the system list: a file's path, or `builtin`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["SYSTEM_WORDS", "BUILTIN_WORDS", "IGNORE_INDEX", "load_words", "source", "split_words",
           "Vocabulary", "context_windows", "sequences"]

SYSTEM_WORDS = "/usr/share/dict/american-english"
IGNORE_INDEX = -1  # makemore's padding target; pass it as cross_entropy's ignore_index
_WORD = re.compile(r"[a-z]+")

BUILTIN_WORDS: tuple[str, ...] = tuple("""
able about above accept across act add afraid after again age ago agree air all allow
almost alone along already also always among amount and anger angle animal answer any
apple area argue arm army around arrive art ask atom aunt away baby back bad bag ball band
bank bar base basket bat bath bear beat beauty bed bee before began begin behind bell below
best better between big bird birth bit bite black blade blood blow blue board boat body bone
book born both bottle bottom bought box boy branch brave bread break bright bring broad
brother brown brush build burn busy butter buy cabin cake call calm came camp can candle
cap captain car card care carry case cat catch cattle cause cell cent center chain chair
chance change charge chart check cheese chick chief child choose church circle city claim
class clean clear climb clock close cloth cloud coast coat cold color column come common
copy corn corner cost cotton could count country course cover cow crash cream crop cross
crowd cry current cut dance danger dark day dead deal dear death decide deep desert design
desk detail dinner direct dirty dish divide doctor dog dollar done door double down draw
dream dress drink drive drop dry duck during dust duty each eager ear early earth east easy
eat edge effect egg eight either element else end enemy energy engine enough enter equal
even event ever every exact except expect eye face fact fair fall family famous far farm
fast father fear feed feel feet fell fellow felt fence few field fight figure fill final
find fine finger finish fire first fish fit five flag flat floor flow flower fly follow
food foot forest forget form forward found four free fresh friend front fruit full fun
game garden gas gate gather gave general gentle girl give glad glass glove gold gone good
grain grass gray great green ground group grow guess guide gun hair half hall hand happen
happy hard hat have head heard heart heat heavy held help her here high hill history hold
hole home hope horse hot hotel hour house huge human hundred hunt hurry idea inch insect
iron island join joy judge jump just keep kept key kill kind king kitchen knee knife knock
know lady lake land language large last late laugh law lay lead leaf learn least leave leg
lemon length less letter level lie life lift light like line lion lip list listen little
live long look lost loud love low lucky machine made magnet main major make man many map
mark market master match matter meal mean meat meet melody metal middle might mile milk mill
mind mine minute miss mix modern moment money monkey month moon more morning most mother
motion mount mouse mouth move much music must name narrow nation nature near neck need
needle neighbor nest never new next night nine noise none noon north nose note nothing
notice number ocean offer office often oil old once one only open orange order other out
oven over own page paint pair paper parent park part party pass past path pattern pay
pencil people pepper perhaps person pick picture piece pig pin pink pipe place plain plan
plane plant plate play please plural poem point poor position potato pound power press
pretty print prize problem produce proper protect proud pull push queen question quick quiet
quite race radio rain raise ran range rather reach read ready real reason record red region
remember repeat reply rest result rich ride right ring rise river road rock roll roof room
root rope rose round row rub rule run safe sail salt same sand save say school science score
sea season seat second see seed seem sell send sense serve settle seven shape share sharp
sheep shell shine ship shirt shoe shop short shoulder shout show side sight sign silent
silver simple sing sister sit six size skill skin sky sleep slip slow small smell smile
smoke snake snow soft soil soldier solve song soon sound south space speak special speed
spell spend spoon spot spring square stand star start state station stay steam steel step
stick still stone stood stop store storm story straight strange stream street strong study
subject sudden sugar summer sun supply sure surprise sweet swim table tail take talk tall
teach team teeth tell ten test thank thick thin thing think third three throw tiny tire
together told tone tool tooth top total touch toward town track trade train travel tree
triangle trip trouble truck true try tube turn twenty under unit until upon use usual valley
value vegetable very village visit voice vowel wagon wait walk wall want war warm wash watch
water wave wax way wear weather week weight well west wet whale what wheel when where while
white whole wide wife wild will win wind window wing winter wire wise wish woman wonder wood
word work world write yard year yellow young zero zebra zone
""".split())


def load_words(path: str | os.PathLike[str] | None = None, *,
               fallback: bool = True) -> list[str]:
    """Words made only of lowercase letters a–z, one per line of the file (others skipped),
    in the file's order without duplicates.

    `path=None` reads `SYSTEM_WORDS` (Debian's `wamerican`; or `$AUTOGRAD_LITE_WORDS`) if it
    exists, else returns `BUILTIN_WORDS` (with `fallback=False`, a missing list raises
    FileNotFoundError).
    An explicit path must exist (e.g. makemore's `names.txt`, lowercased first)."""
    if path is None:
        chosen = os.environ.get("AUTOGRAD_LITE_WORDS", SYSTEM_WORDS)
        if chosen == "builtin":
            return list(BUILTIN_WORDS)
        if not os.path.exists(chosen):
            if fallback:
                return list(BUILTIN_WORDS)
            raise FileNotFoundError(f"load_words: no word list at {chosen} "
                                    "(Debian: apt install wamerican)")
        path = chosen
    with open(path, encoding="utf-8", errors="replace") as f:
        found = [w for w in (line.strip() for line in f) if _WORD.fullmatch(w)]
    if not found:
        raise ValueError(f"load_words: {os.fspath(path)} holds no lowercase a-z words")
    return list(dict.fromkeys(found))


def source(words: Sequence[str]) -> str:
    """'builtin' if `words` is the built-in list, else 'file'."""
    return "builtin" if tuple(words) == BUILTIN_WORDS else "file"


def split_words(words: Sequence[str], fractions: Sequence[float] = (0.8, 0.1, 0.1),
                seed: int = 0) -> tuple[list[str], ...]:
    """Shuffle `words` with a numpy Generator seeded by `seed` and cut them into parts of the
    given fractions (train, val, test by default; the last part takes the rounding). The same
    seed gives the same split on every machine; no word is in two parts."""
    fr = [float(f) for f in fractions]
    if not fr or any(f < 0 for f in fr) or abs(sum(fr) - 1) > 1e-9:
        raise ValueError(f"split_words: fractions must be non-negative and sum to 1, got "
                         f"{tuple(fractions)}")
    order = np.random.default_rng(seed).permutation(len(words))
    shuffled = [words[i] for i in order]
    cuts = np.floor(np.cumsum(fr[:-1]) * len(words)).astype(int).tolist()
    bounds = [0, *cuts, len(words)]
    return tuple(shuffled[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True))


class Vocabulary:
    """Characters ↔ indices. Index 0 is '.', which marks both the start and the end of a
    word (makemore's convention); the other characters follow in sorted order."""

    def __init__(self, chars: Sequence[str]) -> None:
        chars = sorted(set(chars) - {"."})
        if any(len(c) != 1 for c in chars):
            raise ValueError(f"Vocabulary: expected single characters, got {chars[:5]}")
        self.itos: list[str] = [".", *chars]
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.itos)}

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Vocabulary:
        return cls(sorted(set("".join(words))))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, word: str) -> list[int]:
        try:
            return [self.stoi[c] for c in word]
        except KeyError as e:
            raise ValueError(f"Vocabulary.encode: character {e.args[0]!r} of {word!r} is not "
                             f"in the vocabulary {''.join(self.itos)!r}") from None

    def decode(self, indices: Sequence[int]) -> str:
        """Characters of `indices`, stopping at the first end token '.' (index 0)."""
        out = []
        for i in np.asarray(indices).reshape(-1).tolist():
            if i == 0:
                break
            out.append(self.itos[i])
        return "".join(out)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)}: {''.join(self.itos)!r})"


def _check_block(block_size: int, who: str) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) \
            or block_size < 1:
        raise ValueError(f"{who}: block_size must be a positive int, got {block_size!r}")
    return int(block_size)


def context_windows(words: Sequence[str], vocab: Vocabulary,
                    block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (context, next character) pair of every word, Bengio-style: for "emma" with
    block_size 3, "..." → e, "..e" → m, ".em" → m, "emm" → a, "mma" → '.' (the end).

    Returns X int64 (N, block_size) and Y int64 (N,), N = Σ (len(word) + 1)."""
    block_size = _check_block(block_size, "context_windows")
    xs, ys = [], []
    for word in words:
        context = [0] * block_size
        for i in (*vocab.encode(word), 0):
            xs.append(context)
            ys.append(i)
            context = context[1:] + [i]
    return (np.array(xs, dtype=np.int64).reshape(-1, block_size),
            np.array(ys, dtype=np.int64))


def sequences(words: Sequence[str], vocab: Vocabulary,
              block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """One row per word for a sequence model: x = '.' + word, y = word + '.', both padded to
    `block_size` (x with 0, y with `IGNORE_INDEX`, which the loss skips: pass
    `ignore_index=IGNORE_INDEX`). Position t of y is the character after x[:t + 1].

    Returns X int64 (N, block_size) and Y int64 (N, block_size); words longer than
    block_size − 1 letters raise (choose block_size = longest word + 1)."""
    block_size = _check_block(block_size, "sequences")
    longest = max((len(w) for w in words), default=0)
    if longest + 1 > block_size:
        raise ValueError(f"sequences: block_size={block_size} is too short for a word of "
                         f"{longest} letters plus its end token; use block_size >= "
                         f"{longest + 1}")
    x = np.zeros((len(words), block_size), dtype=np.int64)
    y = np.full((len(words), block_size), IGNORE_INDEX, dtype=np.int64)
    for row, word in enumerate(words):
        ids = vocab.encode(word)
        x[row, 1:len(ids) + 1] = ids
        y[row, :len(ids)] = ids
        y[row, len(ids)] = 0
    return x, y
