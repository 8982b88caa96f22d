"""IDF tables for TF-IDF keywords: jieba's shipped one, or one computed from the archive itself."""

from __future__ import annotations

import functools
import json
import math
import operator
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import jieba


def build_idf(docs: Iterable[Sequence[str]], min_df: int = 1) -> dict[str, float]:
    """Compute a smoothed IDF, ln((N + 1) / (df + 1)) + 1, from the token lists of an archive.

    Each document counts a word once; whitespace tokens are skipped, and words seen in fewer than
    `min_df` documents are left out (they get the table's default when analysed).
    """
    df: Counter[str] = Counter()
    n = 0
    for tokens in docs:
        n += 1
        df.update({token for token in tokens if token and not token.isspace()})
    return {
        word: math.log((n + 1) / (count + 1)) + 1.0 for word, count in sorted(df.items()) if count >= min_df
    }


def save_idf(idf: Mapping[str, float], path: Path) -> None:
    """Write an IDF table: JSON when the name ends in .json, else TSV lines `word<TAB>idf`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        if path.suffix == ".json":
            json.dump(dict(sorted(idf.items())), fh, ensure_ascii=False, indent=0)
        else:
            for word, value in sorted(idf.items()):
                if "\t" in word or "\n" in word:
                    continue
                fh.write(f"{word}\t{value:.6f}\n")
    # Replace in one step so that a reader never sees half a table.
    tmp.replace(path)


def load_idf(path: Path) -> dict[str, float]:
    """Read a table written by `save_idf` (JSON or TSV; jieba's space-separated idf.txt works too)."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        if path.suffix == ".json":
            data = json.load(fh)
            return {str(word): float(value) for word, value in data.items()}
        idf: dict[str, float] = {}
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            sep = "\t" if "\t" in line else " "
            word, _, value = line.rpartition(sep)
            if word:
                idf[word] = float(value)
        return idf


def default_idf_value(idf: Mapping[str, float]) -> float:
    """The IDF given to words missing from a table: its median (10.0 for an empty table)."""
    values = sorted(idf.values())
    return values[len(values) // 2] if values else 10.0


@functools.cache
def jieba_idf() -> tuple[dict[str, float], float]:
    """jieba's own IDF table and its median, read from the file (jieba.analyse would cut again)."""
    idf = load_idf(Path(jieba.__file__).parent / "analyse" / "idf.txt")
    return idf, default_idf_value(idf)


FILLER_PREFIXES = (
    "进一步",
    "切实",
    "全面",
    "认真",
    "积极",
    "大力",
    "不断",
    "扎实",
    "深入",
    "持续",
    "着力",
    "努力",
    "全力",
)


def top_keywords(
    counts: Mapping[str, float], keyword_idf: Mapping[str, float], top: int = 8
) -> tuple[str, ...]:
    words = list(filter(keyword_idf.__contains__, counts))
    # TF-IDF per word, all in C; the best first, ties in word order.
    tf_idf = list(map(operator.mul, map(counts.__getitem__, words), map(keyword_idf.__getitem__, words)))
    if len(words) > top:
        # Sort the few candidates at or above the top-th score, not every word (ties kept).
        threshold = sorted(tf_idf, reverse=True)[top - 1]
        pairs = [(-score, word) for score, word in zip(tf_idf, words, strict=True) if score >= threshold]
    else:
        pairs = list(zip(map(operator.neg, tf_idf), words, strict=True))
    pairs.sort()
    return tuple(word for _, word in pairs[:top])
