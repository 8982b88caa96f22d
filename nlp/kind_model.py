"""A small statistical model that refines the rule-based kind (problem / achievement / other).

The rules (`kind_cues.json`) know the cue words and the structures (contrast, negation, resolvers);
what they cannot see is the texture of a record versus a plan when no cue word says which it is
(深化…试点建设 in a 工作回顾 or in a 工作安排). A multinomial logistic regression over the text's jieba
tokens plus the rules' own verdict learns that texture from labelled sentences: work-report sections
(see `nlp.training`) and, in the web app, the items editors corrected or confirmed.

The final label adds the model's log-probabilities to a vote for the rules' label, worth
`rule_weight * (RULE_FLOOR + rule score)`: the model overrides the rules only where it is sure.
Plain Python, no NumPy: the model is a dict of a few thousand features, applied once per item.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, filterfalse, islice
from operator import itemgetter
from pathlib import Path

from nlp.lexicon import LABELS, KindLabel

__all__ = ["LABELS", "KindLabel", "KindModel", "kind_features", "load_model", "train"]
RULE_FLOOR = 0.3  # a rule verdict with score 0 (no cue at all) still counts a little
_LENGTH_STEP = 30  # characters per length bucket
_MAX_LENGTH_BUCKET = 5
_FORMAT = 1
_CONTENT = re.compile(r"[^\W_]")  # a letter, hanzi or digit: a word, not punctuation
_DIGIT = re.compile(r"\d")
_SCORE_BUCKETS = 5  # the rules' score in [0, 1] as a feature: R=label:0 … R=label:4
# The rules' verdict as features (see kind_features): never shrunk for long texts.
_RULE_FEATURES = tuple(
    [f"R={label}" for label in LABELS]
    + [f"R={label}:{bucket}" for label in LABELS for bucket in range(_SCORE_BUCKETS)]
    + [f"S={label}" for label in LABELS]
)


def kind_features(
    words: Iterable[str],
    texts: Sequence[str],
    text: str,
    rule_label: str,
    rule_score: float,
    sentence_labels: Iterable[str],
) -> set[str]:
    """The feature set of one text.

    `words`: its distinct token strings (title included); `texts`: the body's tokens in order;
    `text`: the simplified body; the rule verdict and the labels of its sentences. Runs once per
    analysed item, so the loops over tokens stay in C (map, filter, compress).
    """
    features = set(filterfalse(str.isspace, words))
    features.add(f"R={rule_label}")
    features.add(f"R={rule_label}:{min(_SCORE_BUCKETS - 1, int(rule_score * _SCORE_BUCKETS))}")
    features.update(f"S={label}" for label in sentence_labels)
    opening = list(islice(filter(_CONTENT.search, texts), 2))
    if opening:
        features.add(f"OPEN={opening[0]}")
        if len(opening) > 1:
            features.add(f"OPEN2={opening[0]}{opening[1]}")
    if _DIGIT.search(text):
        features.add("HASNUM")
        # 新增12家, 增长5%左右: what follows a figure tells a result from a target
        figures = compress(range(1, len(texts)), map(str.isdigit, map(itemgetter(0), texts[:-1])))
        features.update(f"NUM>{texts[i]}" for i in figures)
    if "%" in text:
        features.add("PCT")
    features.add(f"LEN={min(_MAX_LENGTH_BUCKET, len(text) // _LENGTH_STEP)}")
    return features


@dataclass(frozen=True)
class KindModel:
    """Weights per feature (one per label), biases, and the weight of the rules' vote."""

    weights: Mapping[str, tuple[float, float, float]]
    bias: tuple[float, float, float]
    rule_weight: float
    trained_on: Mapping[str, int]  # examples per label, for the record

    def probabilities(self, features: Iterable[str], scale: float = 1.0) -> list[float]:
        """P(label | features); `scale` shrinks the token evidence of long texts, not the rules'."""
        weights = self.weights
        features = features if isinstance(features, (set, frozenset)) else set(features)
        hits = list(filter(None, map(weights.get, features)))
        z = [b + sum(map(itemgetter(k), hits)) for k, b in enumerate(self.bias)]
        if scale != 1.0:
            rules = [weights[f] for f in _RULE_FEATURES if f in features and f in weights]
            z = [
                b + scale * (v - b) + (1.0 - scale) * sum(w[k] for w in rules)
                for k, (b, v) in enumerate(zip(self.bias, z, strict=True))
            ]
        top = max(z)
        exp = [math.exp(v - top) for v in z]
        total = sum(exp)
        return [v / total for v in exp]

    def decide(
        self, features: Iterable[str], rule_label: str, rule_score: float, scale: float = 1.0
    ) -> tuple[int, list[float]]:
        """The label index the rules and the model agree on, and the model's probabilities."""
        probs = self.probabilities(features, scale)
        rule = LABELS.index(rule_label)
        vote = self.rule_weight * (RULE_FLOOR + rule_score)
        totals = [math.log(p + 1e-9) + (vote if k == rule else 0.0) for k, p in enumerate(probs)]
        return max(range(3), key=totals.__getitem__), probs

    def evidence(self, features: Iterable[str], label: int, top: int = 8) -> tuple[str, ...]:
        """The words that pull hardest towards `label` (model features that are plain tokens)."""
        pulls = []
        for feature in features:
            w = self.weights.get(feature)
            if w is None or "=" in feature or ">" in feature or feature in ("HASNUM", "PCT"):
                continue
            pull = w[label] - max(w[k] for k in range(3) if k != label)
            if pull > 0:
                pulls.append((-pull, feature))
        pulls.sort()
        return tuple(feature for _, feature in pulls[:top])

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (weights rounded; see `load`)."""
        return {
            "format": _FORMAT,
            "labels": list(LABELS),
            "rule_weight": self.rule_weight,
            "trained_on": dict(self.trained_on),
            "bias": [round(b, 4) for b in self.bias],
            "weights": {f: [round(v, 4) for v in w] for f, w in sorted(self.weights.items())},
        }

    def save(self, path: Path) -> None:
        """Write the model as compact JSON."""
        text = json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))
        path.write_text(text, encoding="utf-8")


def load_model(path: Path) -> KindModel:
    """Read a model written by `KindModel.save`; ValueError on a file of another shape."""
    return model_from_json(json.loads(path.read_text(encoding="utf-8")), str(path))


def model_from_json(raw: object, source: str = "model") -> KindModel:
    """Build a model from the dict `KindModel.to_json` made (a file, a database row); ValueError
    on another shape."""
    if not isinstance(raw, dict) or raw.get("format") != _FORMAT or raw.get("labels") != list(LABELS):
        raise ValueError(f"{source}: not a kind model of format {_FORMAT}")
    weights = {str(f): (float(w[0]), float(w[1]), float(w[2])) for f, w in raw["weights"].items()}
    b = raw["bias"]
    return KindModel(
        weights, (float(b[0]), float(b[1]), float(b[2])), float(raw["rule_weight"]), dict(raw["trained_on"])
    )


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    """Hyper-parameters (chosen on the development set, see tests/data/EVAL_README.md)."""

    epochs: int = 10
    l2: float = 0.03
    learning_rate: float = 0.3
    min_count: int = 3  # features seen in fewer examples are dropped (names, numbers, typos)
    rule_weight: float = 3.0
    prune: float = 0.02  # weights smaller than this (on every label) are not kept
    seed: int = 1


def train(
    examples: Sequence[tuple[set[str], int]],
    config: TrainingConfig = TrainingConfig(),
    prior: KindModel | None = None,
) -> KindModel:
    """Fit a class-balanced multinomial logistic regression with AdaGrad and L2.

    With a `prior`, the L2 pull is towards the prior's weights rather than zero, so a few hundred
    corrected items adjust a model trained on thousands of sentences instead of replacing it.
    """
    if not examples:
        raise ValueError("no training examples")
    counts = Counter(f for features, _ in examples for f in features)
    keep = {f for f, n in counts.items() if n >= config.min_count}
    if prior is not None:
        keep |= set(prior.weights)
    rows = [([f for f in features if f in keep], label) for features, label in examples]
    per_label = Counter(label for _, label in rows)
    balance = {label: len(rows) / (len(per_label) * n) for label, n in per_label.items()}
    anchor: Mapping[str, tuple[float, float, float]] = prior.weights if prior is not None else {}
    weights: dict[str, list[float]] = {f: list(anchor.get(f, (0.0, 0.0, 0.0))) for f in keep}
    squares: dict[str, list[float]] = {f: [1e-8, 1e-8, 1e-8] for f in keep}
    bias = list(prior.bias) if prior is not None else [0.0, 0.0, 0.0]
    order = list(range(len(rows)))
    rng = random.Random(config.seed)
    rate, l2 = config.learning_rate, config.l2
    zero = (0.0, 0.0, 0.0)
    for _ in range(config.epochs):
        rng.shuffle(order)
        for i in order:
            features, label = rows[i]
            z = [bias[k] + sum(weights[f][k] for f in features) for k in range(3)]
            top = max(z)
            exp = [math.exp(v - top) for v in z]
            total = sum(exp)
            for k in range(3):
                grad = (exp[k] / total - (k == label)) * balance[label]
                bias[k] -= 0.1 * rate * grad
                for f in features:
                    w, g2 = weights[f], squares[f]
                    g = grad + l2 * (w[k] - anchor.get(f, zero)[k])
                    g2[k] += g * g
                    w[k] -= rate * g / math.sqrt(g2[k])
    kept = {f: (w[0], w[1], w[2]) for f, w in weights.items() if max(map(abs, w)) >= config.prune}
    trained_on: dict[str, int] = {LABELS[label]: n for label, n in sorted(per_label.items())}
    return KindModel(kept, (bias[0], bias[1], bias[2]), config.rule_weight, trained_on)
