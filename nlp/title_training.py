"""Train the title topic model (`data/title_model.json`) on weakly labelled 新闻联播 items.

Training-only (needs the `train` extra: scikit-learn). Run from the repository root:

    .venv/bin/python -m nlp.title_training --corpus ../shared/corpus --held-out tests/data/*.jsonl

Weak labels, no hand-picking: each item's *full text* is tagged by the topic word lists, and an item
whose best topic is clear (score ≥ `min_score`, the second below `margin` of it) gives its headline
and its first sentences that topic; a few column tags name their area outright (【在希望的田野上】 is 三农).
Items a labelled file refers to (`--held-out`: every `xwlb:` ref, dev and evaluation alike) are left
out, and so are the 联播快讯 round-ups. The corpus text itself is not shipped, only the weights.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.analyze import Analyzer
from nlp.segment import Segmenter
from nlp.title_model import DEFAULT_PATH, TitleTopicModel, title_features

# Columns of the programme whose area is not in doubt (the rest are campaigns across all areas).
COLUMNS = {
    "在希望的田野上": "三农",
    "文化中国行": "文化旅游",
    "党旗在基层一线高高飘扬": "党的建设",
    "锲而不舍落实中央八项规定精神": "党的建设",
    "树立和践行正确政绩观": "党的建设",
    "大国工匠": "工业和企业",
}
_COLUMN = re.compile(r"^【(.+?)】")
_SENTENCE_END = re.compile("[。！？]")


@dataclass(frozen=True, slots=True)
class TitleTrainingConfig:
    """Weak-label and model settings (chosen on `genres_dev.jsonl`, see tests/data/EVAL_README.md)."""

    min_score: float = 1.5  # the full text's best topic score, in the word lists' units
    margin: float = 0.85  # the second topic must score below this share of the first
    sentences: int = 10  # the body's first sentences that become examples too
    sentence_weight: float = 0.3  # a body sentence counts less than a headline
    min_count: int = 5  # features seen in fewer examples are dropped (names, dates)
    c: float = 1.0  # inverse L2 strength of the logistic regression
    prune: float = 0.2  # weights smaller than this (after centring) are not shipped


def held_out_refs(paths: Iterable[Path]) -> set[str]:
    """The 新闻联播 item ids that labelled files refer to: never trained on."""
    ids: set[str] = set()
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if '"xwlb:' in line:
                    ids.add(str(json.loads(line)["ref"]).split(":", 1)[1])
    return ids


def weak_examples(
    analyzer: Analyzer, items: Iterable[dict[str, Any]], held_out: set[str], config: TitleTrainingConfig
) -> list[tuple[set[str], str, float]]:
    """(features, topic, weight) of each confidently labelled headline and its first sentences."""
    examples: list[tuple[set[str], str, float]] = []
    for item in items:
        raw_title = str(item["title"])
        if item["id"] in held_out or "联播快讯" in raw_title:
            continue
        column = _COLUMN.match(raw_title)
        title = _COLUMN.sub("", raw_title)
        analysis = analyzer.analyze(title, str(item["text"]))
        label = COLUMNS.get(column.group(1).split("·")[0]) if column else None
        tags = analysis.topics
        clear = bool(tags) and (len(tags) == 1 or tags[1].score < config.margin * tags[0].score)
        if label is None and clear and tags[0].score >= config.min_score:
            label = tags[0].name
        if label is None:
            continue
        title_tokens = [token.text for token in analysis.title_tokens]
        examples.append((title_features(title_tokens, analysis.simplified_title), label, 1.0))
        # The body's first sentences widen the vocabulary (游客, 房价, 家长 seldom reach a headline).
        for sentence in _SENTENCE_END.split(analysis.simplified_text)[: config.sentences]:
            sentence = sentence.strip()
            if 8 <= len(sentence) <= 80:
                words = analyzer.segmenter.words(sentence)
                examples.append((title_features(words, sentence), label, config.sentence_weight))
    return examples


def train(
    examples: Sequence[tuple[set[str], str, float]], topics: Sequence[str], config: TitleTrainingConfig
) -> TitleTopicModel:
    """Fit a class-balanced multinomial logistic regression; keep the weights that matter."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(feature for features, _, _ in examples for feature in features)
    rows = [{f: 1.0 for f in features if counts[f] >= config.min_count} for features, _, _ in examples]
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(rows)
    labels = [label for _, label, _ in examples]
    classifier = LogisticRegression(C=config.c, max_iter=500, class_weight="balanced")
    classifier.fit(matrix, labels, sample_weight=[weight for _, _, weight in examples])
    classes = [str(c) for c in classifier.classes_]
    order = [classes.index(t) for t in topics if t in classes]
    coef = classifier.coef_[order]
    coef = coef - coef.mean(axis=0)  # softmax is unchanged; small entries become prunable
    weights: dict[str, tuple[tuple[int, float], ...]] = {}
    for column, feature in enumerate(vectorizer.get_feature_names_out()):
        pairs = tuple(
            (row, round(float(w), 2)) for row, w in enumerate(coef[:, column]) if abs(w) >= config.prune
        )
        if pairs:
            weights[str(feature)] = pairs
    bias = tuple(round(float(b), 4) for b in classifier.intercept_[order])
    names = tuple(classes[i] for i in order)
    trained_on = {
        "corpus": "xinwenlianbo-2022-2026 (weak labels: topic word lists on the full text, column tags)",
        "examples": len(examples),
        "per_topic": dict(Counter(labels).most_common()),
        "config": {k: getattr(config, k) for k in config.__slots__},
    }
    return TitleTopicModel(names, bias, weights, trained_on)


def main(argv: Sequence[str] | None = None) -> None:
    """Build the weak labels, train, and write the model file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--held-out", type=Path, nargs="*", default=[])
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    config = TitleTrainingConfig()
    # Rules only, and no title model: the labels come from the word lists on the full text.
    analyzer = Analyzer(Segmenter().initialize(), kind_model=None, title_model=None)
    path = args.corpus / "xinwenlianbo-2022-2026" / "xwlb_items.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    examples = weak_examples(analyzer, items, held_out_refs(args.held_out), config)
    model = train(examples, list(analyzer.topics), config)
    args.out.write_text(
        json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    print(f"{len(examples)} examples, {len(model.weights)} features -> {args.out}")


if __name__ == "__main__":
    main()
