"""The one place where jieba cuts text: every other component reuses these tokens."""

from __future__ import annotations

import functools
import logging
import tempfile
import threading
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

import jieba

USER_DICT = Path(__file__).with_name("data") / "userdict.txt"


class Token(NamedTuple):
    """One jieba token with its character offsets in the segmented string (immutable).

    A named tuple rather than a dataclass: an ingest builds millions of them, and a tuple is built
    in a fraction of the time.
    """

    text: str
    start: int
    end: int


# Token((text, start, end)) without the Python-level __new__ of a named tuple: all in C.
_new_token = functools.partial(tuple.__new__, Token)


class Segmenter:
    """An explicit jieba tokenizer with our user dictionary and its own cache directory.

    Build one per process (before gunicorn forks, so workers share the loaded dictionary) and pass
    it to whoever needs tokens; never call `jieba.cut` at module level.
    """

    def __init__(self, cache_dir: Path | None = None, user_dict: Path | None = USER_DICT) -> None:
        self._tokenizer = jieba.Tokenizer()
        cache = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "xinxi-jieba"
        cache.mkdir(parents=True, exist_ok=True)
        self._tokenizer.tmp_dir = str(cache)
        self._user_dict = user_dict
        self._ready = False
        self._lock = threading.Lock()

    def initialize(self) -> Segmenter:
        """Load the dictionary now (it takes about a second) instead of on the first text."""
        with self._lock:
            if not self._ready:
                jieba.setLogLevel(logging.WARNING)
                self._tokenizer.initialize()
                if self._user_dict is not None and self._user_dict.exists():
                    # jieba leaves a file it opens itself unclosed; hand it one we close.
                    with self._user_dict.open("rb") as fh:
                        self._tokenizer.load_userdict(fh)
                self._ready = True
        return self

    def tokens(self, text: str) -> list[Token]:
        """Cut `text` into tokens that cover every character, with offsets."""
        if not self._ready:
            self.initialize()
        # cut() and offsets by accumulation: what tokenize() does, without a generator and a tuple
        # per token on top.
        words: list[str] = self._tokenizer.lcut(text)
        ends = list(accumulate(map(len, words)))
        return list(map(_new_token, zip(words, [0, *ends[:-1]] if ends else [], ends, strict=True)))

    def add_word(self, word: str, freq: int | None = None) -> None:
        """Teach the tokenizer one more word (unit and place names, office vocabulary)."""
        if not self._ready:
            self.initialize()
        self._tokenizer.add_word(word, freq)
