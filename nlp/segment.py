"""The one place where jieba cuts text: every other component reuses these tokens."""

from __future__ import annotations

import functools
import logging
import math
import multiprocessing
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate, islice
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import NamedTuple, TypeVar

import jieba
from jieba import finalseg

USER_DICT = Path(__file__).with_name("data") / "userdict.txt"
T = TypeVar("T")
_CHUNK = 200  # items per task sent to a worker process
_IN_FLIGHT = 3  # tasks per worker queued ahead of the caller
# The segmenter a forked worker inherits (set just before the pool forks).
_POOL_SEGMENTER: Segmenter | None = None


def _cut_texts(work: list[list[str]]) -> list[list[list[str]]]:
    """In a worker process: the words of every text of every item of one chunk."""
    assert _POOL_SEGMENTER is not None
    return [[_POOL_SEGMENTER.words(text) for text in texts] for texts in work]


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


class _Tokenizer(jieba.Tokenizer):  # type: ignore[misc]  # jieba is untyped
    """jieba's tokenizer with its DAG and route computed in one pass: the same words, faster.

    jieba builds a dict of candidate ends per position, then a generator and a tuple per candidate
    to pick the best route; here each candidate is scored as it is found. The arithmetic and the
    tie-breaking (the later end wins an exact tie, as in max() over (score, end)) are jieba's, so
    the words are the same (tests compare with `jieba.Tokenizer.lcut`).
    """

    def _Tokenizer__cut_DAG(self, sentence: str) -> Iterator[str]:  # jieba's mangled name
        self.check_initialized()
        freq: dict[str, int] = self.FREQ
        get = freq.get
        log = math.log
        logtotal = log(self.total)
        n = len(sentence)
        scores = [0.0] * (n + 1)
        ends = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            best = 0.0
            best_end = -1
            i = k
            frag = sentence[k]
            while True:
                count = get(frag)
                if count is None:
                    break
                if count:
                    score = log(count) - logtotal + scores[i + 1]
                    if best_end < 0 or score >= best:
                        best, best_end = score, i
                i += 1
                if i >= n:
                    break
                frag = sentence[k : i + 1]
            if best_end < 0:
                best, best_end = log(get(sentence[k]) or 1) - logtotal + scores[k + 1], k
            scores[k] = best
            ends[k] = best_end
        # From here on jieba's __cut_DAG: single characters are buffered and runs of them that are
        # not a dictionary word go to the HMM.
        x = 0
        buf = ""
        while x < n:
            y = ends[x] + 1
            word = sentence[x:y]
            if y - x == 1:
                buf += word
            else:
                if buf:
                    yield from self._flush(buf)
                    buf = ""
                yield word
            x = y
        if buf:
            yield from self._flush(buf)

    def _flush(self, buf: str) -> Iterator[str]:
        if len(buf) == 1:
            yield buf
        elif not self.FREQ.get(buf):
            yield from finalseg.cut(buf)
        else:
            yield from buf


class Segmenter:
    """An explicit jieba tokenizer with our user dictionary and its own cache directory.

    Build one per process (before gunicorn forks, so workers share the loaded dictionary) and pass
    it to whoever needs tokens; never call `jieba.cut` at module level.
    """

    def __init__(self, cache_dir: Path | None = None, user_dict: Path | None = USER_DICT) -> None:
        self._tokenizer = _Tokenizer()
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

    def words(self, text: str) -> list[str]:
        """Cut `text` into its token strings (what an index stores; no offsets)."""
        if not self._ready:
            self.initialize()
        words: list[str] = self._tokenizer.lcut(text)
        return words

    def cut_many(
        self, items: Iterable[T], texts: Callable[[T], Sequence[str]], workers: int = 1
    ) -> Iterator[tuple[T, list[list[str]]]]:
        """Yield each item with the words of each of its texts, in order.

        With `workers` > 1 the cutting runs in that many forked processes (which share the loaded
        dictionary) while the caller works on what came back; a rebuild of a large archive then
        takes about as long as its slowest stage instead of the sum of all. At most a few chunks
        are in flight, so memory stays bounded however long `items` is.
        """
        if workers <= 1:
            for item in items:
                yield item, [self.words(text) for text in texts(item)]
            return
        self.initialize()
        global _POOL_SEGMENTER
        _POOL_SEGMENTER = self
        pending: deque[tuple[list[T], AsyncResult[list[list[list[str]]]]]] = deque()
        source = iter(items)
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            while True:
                while len(pending) < _IN_FLIGHT * workers:
                    chunk = list(islice(source, _CHUNK))
                    if not chunk:
                        break
                    work = [list(texts(item)) for item in chunk]
                    pending.append((chunk, pool.apply_async(_cut_texts, (work,))))
                if not pending:
                    return
                chunk, result = pending.popleft()
                yield from zip(chunk, result.get(), strict=True)

    def add_word(self, word: str, freq: int | None = None) -> None:
        """Teach the tokenizer one more word (unit and place names, office vocabulary)."""
        if not self._ready:
            self.initialize()
        self._tokenizer.add_word(word, freq)
