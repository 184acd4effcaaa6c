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
otherwise `BUILTIN_WORDS`, 4,000 words sampled from that same list and shipped in
`nn/_words.py` (with SCOWL's notice), so the tests and notebooks run anywhere.
`source(words)` tells which one you got. The environment variable `AUTOGRAD_LITE_WORDS`
overrides the system list: a file's path, or `builtin`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np

from . import _words

__all__ = ["SYSTEM_WORDS", "BUILTIN_WORDS", "IGNORE_INDEX", "load_words", "source", "split_words",
           "Vocabulary", "context_windows", "sequences"]

SYSTEM_WORDS = "/usr/share/dict/american-english"
IGNORE_INDEX = -1  # makemore's padding target; pass it as cross_entropy's ignore_index
_WORD = re.compile(r"[a-z]+")

BUILTIN_WORDS: tuple[str, ...] = tuple(_words.WORDS.split())


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
