"""One home for what every part of `nlp` shares: the kind labels, the CJK ranges, the stop words,
the data folder and the matching of lexicon phrases that jieba cut into several tokens."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

DATA = Path(__file__).with_name("data")

KindLabel = Literal["problem", "achievement", "other"]
# The order of a kind model's weight columns, and of the labels everywhere in nlp.
LABELS: tuple[KindLabel, KindLabel, KindLabel] = ("problem", "achievement", "other")

# Han ideographs: the basic block, extension A, compatibility ideographs, 〇 and the supplementary
# planes (extensions B and later); a regex class body for the search grams, entities and normalising.
CJK_RANGES: tuple[tuple[str, str], ...] = (
    ("\u4e00", "\u9fff"),
    ("\u3400", "\u4dbf"),
    ("\uf900", "\ufaff"),
    ("\u3007", "\u3007"),
    ("\U00020000", "\U0003ffff"),
)
CJK_CLASS = "".join(low if low == high else f"{low}-{high}" for low, high in CJK_RANGES)


def is_cjk(ch: str) -> bool:
    """Whether one character is a Han ideograph (any block of `CJK_RANGES`)."""
    return any(low <= ch <= high for low, high in CJK_RANGES)


@functools.cache
def load_stopwords() -> frozenset[str]:
    """Read the stop words (bureaucratic filler and function words) shipped in `data/stopwords.txt`."""
    with (DATA / "stopwords.txt").open(encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip() and not line.lstrip().startswith("#"))


def proper_prefixes(words: Iterable[str]) -> frozenset[str]:
    """Every proper prefix of every word: the token strings a phrase match may start with."""
    return frozenset(word[:i] for word in words for i in range(1, len(word)))


def phrases(
    texts: Sequence[str],
    lexicon: Mapping[str, object],
    prefixes: frozenset[str],
    max_len: int,
    starts: Iterable[int] | None = None,
) -> Iterable[tuple[int, int, str]]:
    """Lexicon words that jieba split over several tokens: yield (first, last token index, word)."""
    n = len(texts)
    if starts is None:
        starts = [i for i, text in enumerate(texts) if text in prefixes]
    for i in starts:
        joined = texts[i]
        for j in range(i + 1, n):
            joined += texts[j]
            if len(joined) > max_len:
                break
            if joined in lexicon:
                yield i, j, joined
            if joined not in prefixes:
                break
