"""Ingest throughput: raw jieba cutting vs our full `analyze()`, on the same real texts in one run.

    .venv/bin/python bench/ingest.py [--docs 10000] [--corpus ../shared/corpus]

The machine is shared and noisy, so the figure that matters is the ratio measured in the same run
(target: analyze() >= 0.6x raw jieba). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import time
from pathlib import Path

import jieba

from nlp import Analyzer, Segmenter

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CHUNK = 100


def load_texts(corpus: Path, limit: int) -> list[tuple[str, str]]:
    """(title, text) pairs from the 新闻联播 items, the largest real corpus we have."""
    path = corpus / "xinwenlianbo-2022-2026" / "xwlb_items.jsonl.gz"
    if not path.exists():
        sys.exit(f"corpus not found: {path}")
    texts: list[tuple[str, str]] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append((row["title"], row["text"]))
            if len(texts) >= limit:
                break
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    texts = load_texts(args.corpus, args.docs)
    chars = sum(len(title) + len(text) for title, text in texts)

    segmenter = Segmenter().initialize()
    analyzer = Analyzer(segmenter)
    raw = jieba.Tokenizer()
    raw.initialize()
    # Warm both up so neither pays first-call costs inside the timed loop.
    for title, text in texts[:50]:
        raw.lcut(title)
        raw.lcut(text)
        analyzer.analyze(title, text)

    # Interleave the two in chunks: the machine is shared, and a load spike during one long run
    # would otherwise land on one side of the ratio only. Both sides cut title and text (HMM on, as
    # analyze() does); which side goes first alternates, so that neither always finds the CPU caches
    # as the other left them.
    def cut_raw(chunk: list[tuple[str, str]]) -> None:
        for title, text in chunk:
            raw.lcut(title)
            raw.lcut(text)

    def cut_analyze(chunk: list[tuple[str, str]]) -> None:
        for title, text in chunk:
            analyzer.analyze(title, text)

    jieba_seconds = analyze_seconds = 0.0
    for number, offset in enumerate(range(0, len(texts), CHUNK)):
        chunk = texts[offset : offset + CHUNK]
        sides = [(cut_raw, True), (cut_analyze, False)]
        for cut, is_raw in sides if number % 2 == 0 else sides[::-1]:
            start = time.perf_counter()
            cut(chunk)
            elapsed = time.perf_counter() - start
            if is_raw:
                jieba_seconds += elapsed
            else:
                analyze_seconds += elapsed

    jieba_cps = chars / jieba_seconds
    analyze_cps = chars / analyze_seconds
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"docs {len(texts)}, chars {chars}")
    print(f"raw jieba.lcut: {jieba_cps:,.0f} chars/s ({jieba_seconds:.1f} s)")
    print(f"analyze():      {analyze_cps:,.0f} chars/s ({analyze_seconds:.1f} s)")
    print(f"peak RSS {peak_mb:.0f} MB")
    print(
        json.dumps(
            {
                "docs": len(texts),
                "chars": chars,
                "jieba_chars_per_s": round(jieba_cps),
                "analyze_chars_per_s": round(analyze_cps),
                "ratio_vs_jieba": round(analyze_cps / jieba_cps, 3),
                "peak_rss_mb": round(peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
