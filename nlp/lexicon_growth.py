"""Grow the topic word lists by a method: word2vec neighbours of each topic's words, for review.

Training-only (needs the `train` extra: gensim). Run from the repository root:

    .venv/bin/python -m nlp.lexicon_growth --corpus ../shared/corpus --out /tmp/proposals.json

1. Cut the public corpora that may be used for this (the national and provincial work reports, the
   silver paragraphs, the 新闻联播 items; never THUCNews or TNEWS, which are for evaluation only) with
   the project's own `Segmenter`, one sentence per line.
2. Train a skip-gram word2vec model on them (fixed seed, one worker: the same run gives the same
   vectors).
3. For every topic, propose the words nearest to the weighted centroid of its current words (the
   seeds) that are (a) in no topic yet, (b) closer to this topic's centroid than to any other's by a
   margin, and (c) not stop words, figures or single characters.

The proposals are written with their similarity and nearest other topic for a person to review; the
accepted ones go into `nlp/data/topics.json` with a weight derived from the similarity (see
`weight_for`). Nothing here runs at inference time: the shipped lists are data.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from nlp.lexicon import CJK_CLASS, is_cjk, load_stopwords
from nlp.normalize import clean_text, to_simplified
from nlp.segment import Segmenter
from nlp.topics import load_default_topics

_SENTENCE = re.compile(r"[。！？；\n]+")
_WORD = re.compile(rf"^[{CJK_CLASS}]{{2,8}}$")


def corpus_texts(corpus: Path) -> Iterator[str]:
    """The texts of the corpora that may be learnt from (work reports, silver paragraphs, 新闻联播)."""
    national = corpus / "gov-work-reports-national"
    for name in ("government_work_reports.jsonl", "cpc_congress_reports.jsonl"):
        path = national / name
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    row = json.loads(line)
                    yield str(row.get("text") or row.get("content") or "")
    for path in sorted((corpus / "gov-work-reports-provincial-2026").glob("*.csv")):
        yield path.read_text(encoding="utf-8", errors="replace")
    silver = corpus / "gov-work-reports-problem-vs-achievement" / "review_paragraphs_silver.jsonl"
    if silver.exists():
        with silver.open(encoding="utf-8") as fh:
            for line in fh:
                yield str(json.loads(line).get("text", ""))
    news = corpus / "xinwenlianbo-2022-2026" / "xwlb_items.jsonl.gz"
    if news.exists():
        with gzip.open(news, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                yield f"{row['title']}\n{row['text']}"


def sentences(segmenter: Segmenter, texts: Iterator[str]) -> Iterator[list[str]]:
    """Token lists, one per sentence, without whitespace and punctuation tokens."""
    for text in texts:
        for sentence in _SENTENCE.split(to_simplified(clean_text(text))):
            tokens = [t.text for t in segmenter.tokens(sentence) if t.text.strip() and _is_word(t.text)]
            if len(tokens) >= 3:
                yield tokens


def _is_word(text: str) -> bool:
    return any(is_cjk(ch) or ch.isalnum() for ch in text)


def weight_for(similarity: float) -> float:
    """The weight a reviewed neighbour gets in its topic: 1.0 at similarity 0.5, up to 2.0."""
    return round(min(2.0, max(0.8, 1.0 + 2.0 * (similarity - 0.5))), 1)


def propose(
    vectors: Any, topics: Mapping[str, Mapping[str, float]], per_topic: int = 60, margin: float = 0.05
) -> dict[str, list[dict[str, Any]]]:
    """For every topic, the nearest words to its centroid that no topic has yet (see the module doc)."""
    import numpy as np

    stop = load_stopwords()
    known = {word for words in topics.values() for word in words}
    centroids: dict[str, Any] = {}
    for name, words in topics.items():
        rows = [
            (vectors[w] / np.linalg.norm(vectors[w]), weight) for w, weight in words.items() if w in vectors
        ]
        if not rows:
            continue
        centroid = sum(weight * v for v, weight in rows)
        centroids[name] = centroid / np.linalg.norm(centroid)
    names = list(centroids)
    matrix = np.stack([centroids[n] for n in names])
    proposals: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        found: list[dict[str, Any]] = []
        for word, similarity in vectors.similar_by_vector(centroids[name], topn=per_topic * 6):
            if word in known or word in stop or not _WORD.match(word):
                continue
            v = vectors[word] / np.linalg.norm(vectors[word])
            sims = matrix @ v
            order = np.argsort(-sims)
            best, second = names[order[0]], names[order[1]]
            if best != name or sims[order[0]] - sims[order[1]] < margin:
                continue
            found.append(
                {
                    "word": word,
                    "similarity": round(float(similarity), 3),
                    "next_topic": second,
                    "weight": weight_for(float(similarity)),
                }
            )
            if len(found) >= per_topic:
                break
        proposals[name] = found
    return proposals


def main(argv: Sequence[str] | None = None) -> int:
    """Train word2vec on the public corpora and write the reviewed-to-be neighbour proposals."""
    parser = argparse.ArgumentParser(prog="python -m nlp.lexicon_growth", description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--topics", type=Path, help="seed word lists (default: the shipped topics.json)")
    parser.add_argument("--model", type=Path, help="save / reuse the trained vectors here (.kv)")
    parser.add_argument("--per-topic", type=int, default=60)
    args = parser.parse_args(argv)
    from gensim.models import KeyedVectors, Word2Vec

    seeds: dict[str, dict[str, float]] = (
        json.loads(args.topics.read_text(encoding="utf-8")) if args.topics else load_default_topics()
    )
    if args.model and args.model.exists():
        vectors = KeyedVectors.load(str(args.model))
    else:
        segmenter = Segmenter().initialize()
        corpus = list(sentences(segmenter, corpus_texts(args.corpus)))
        tokens = sum(map(len, corpus))
        sys.stderr.write(f"{len(corpus)} sentences, {tokens} tokens\n")
        model = Word2Vec(corpus, vector_size=100, window=5, min_count=5, sg=1, epochs=5, workers=1, seed=2026)
        vectors = model.wv
        if args.model:
            vectors.save(str(args.model))
    proposals = propose(vectors, seeds, args.per_topic)
    args.out.write_text(json.dumps(proposals, ensure_ascii=False, indent=1), encoding="utf-8")
    sys.stderr.write(
        f"{sum(map(len, proposals.values()))} proposals for {len(proposals)} topics -> {args.out}\n"
        f"(vocabulary {len(vectors.key_to_index)}; similarity mean over proposals "
        f"{_mean(p['similarity'] for ps in proposals.values() for p in ps):.3f})\n"
    )
    return 0


def _mean(values: Iterator[float]) -> float:
    items = list(values)
    return math.fsum(items) / len(items) if items else 0.0


if __name__ == "__main__":
    raise SystemExit(main())
