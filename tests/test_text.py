"""nn.text: the word list (a file, the system list, the built-in fallback), seeded splits,
the vocabulary, Bengio-style context windows and padded sequences."""

from __future__ import annotations

import numpy as np
import pytest

from nn import text
from nn.text import (
    BUILTIN_WORDS,
    IGNORE_INDEX,
    Vocabulary,
    context_windows,
    load_words,
    sequences,
    split_words,
)


def test_the_builtin_list_is_lowercase_letters_without_duplicates():
    assert len(BUILTIN_WORDS) == 4000 and len(set(BUILTIN_WORDS)) == len(BUILTIN_WORDS)
    assert all(w.isascii() and w.isalpha() and w.islower() for w in BUILTIN_WORDS)


def test_load_words_keeps_lowercase_a_to_z_words_once_in_file_order(tmp_path):
    path = tmp_path / "words"
    path.write_text("zebra\nApple\nbob's\ncafé\n  emma \nzebra\n\nava\n")
    assert load_words(path) == ["zebra", "emma", "ava"]
    (tmp_path / "none").write_text("Apple\n")
    with pytest.raises(ValueError, match="holds no lowercase a-z words"):
        load_words(tmp_path / "none")


def test_load_words_falls_back_to_the_builtin_list(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOGRAD_LITE_WORDS", str(tmp_path / "missing"))
    assert load_words() == list(BUILTIN_WORDS) and text.source(load_words()) == "builtin"
    with pytest.raises(FileNotFoundError, match="apt install wamerican"):
        load_words(fallback=False)
    monkeypatch.setenv("AUTOGRAD_LITE_WORDS", "builtin")
    assert load_words(fallback=False) == list(BUILTIN_WORDS)
    (tmp_path / "mine").write_text("olivia\nnoah\n")
    monkeypatch.setenv("AUTOGRAD_LITE_WORDS", str(tmp_path / "mine"))
    assert load_words() == ["olivia", "noah"] and text.source(load_words()) == "file"


def test_the_system_list_when_debian_wamerican_is_installed(monkeypatch):
    monkeypatch.delenv("AUTOGRAD_LITE_WORDS", raising=False)
    import os

    if not os.path.exists(text.SYSTEM_WORDS):
        pytest.skip("wamerican is not installed")
    words = load_words()
    assert len(words) > 30_000 and "zebra" in words
    assert all(w.isascii() and w.isalpha() and w.islower() for w in words)


def test_split_words_is_seeded_disjoint_and_complete():
    words = [f"w{i}" for i in range(103)]
    train, val, test = split_words(words, seed=1)
    assert (len(train), len(val), len(test)) == (82, 10, 11)
    assert sorted(train + val + test) == sorted(words)
    assert split_words(words, seed=1) == (train, val, test)
    assert split_words(words, seed=2) != (train, val, test)
    with pytest.raises(ValueError, match="sum to 1"):
        split_words(words, (0.5, 0.4))


def test_vocabulary_puts_the_end_token_first_and_round_trips():
    vocab = Vocabulary.from_words(["emma", "ava", "bob"])
    assert vocab.itos == [".", "a", "b", "e", "m", "o", "v"] and len(vocab) == 7
    assert vocab.encode("emma") == [3, 4, 4, 1]
    assert vocab.decode([3, 4, 4, 1, 0, 5]) == "emma"  # stops at the end token
    with pytest.raises(ValueError, match="character 'z' of 'zoe' is not in the vocabulary"):
        vocab.encode("zoe")


def test_context_windows_are_bengios_training_pairs():
    vocab = Vocabulary.from_words(["emma"])
    x, y = context_windows(["emma"], vocab, 3)
    assert x.dtype == y.dtype == np.int64 and x.shape == (5, 3)
    rows = ["".join(vocab.itos[i] for i in r) for r in x]
    assert rows == ["...", "..e", ".em", "emm", "mma"]
    assert "".join(vocab.itos[i] for i in y) == "emma."
    with pytest.raises(ValueError, match="block_size must be a positive int"):
        context_windows(["emma"], vocab, 0)


def test_sequences_shift_by_one_and_pad_the_targets_with_ignore_index():
    vocab = Vocabulary.from_words(["emma", "ava"])
    x, y = sequences(["emma", "ava"], vocab, 6)
    e, m, a = vocab.stoi["e"], vocab.stoi["m"], vocab.stoi["a"]
    assert x[0].tolist() == [0, e, m, m, a, 0] and y[0].tolist() == [e, m, m, a, 0, IGNORE_INDEX]
    assert (y[1] == IGNORE_INDEX).sum() == 2
    with pytest.raises(ValueError, match="too short for a word of 4 letters"):
        sequences(["emma"], vocab, 4)
