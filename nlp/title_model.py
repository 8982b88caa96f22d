"""Topics of titles and one-line texts by a statistical model, to widen the word lists' coverage.

A title has a handful of words; the topic word lists (`topics.json`) know a few thousand, and a title
whose area is plain to a reader often has none of them (郑钦文获得网球公开赛亚军, 首套房贷利率下调).
This model is a multinomial logistic regression over a title's jieba tokens, Han bigrams and characters,
trained (`nlp.title_training`, scikit-learn) on 新闻联播 headlines and lead sentences labelled weakly
by the word lists on the item's *full text* and by the programme's column tags: the body says what
the headline is about, so the model learns headline vocabulary the lists do not hold.

`topics.score_topics` combines it with the word lists for titles only; inference is plain Python
over a dict of weights shipped as data (`data/title_model.json`).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nlp.lexicon import CJK_CLASS, DATA

_FORMAT = 1
_HAN_RUN = re.compile(f"[{CJK_CLASS}]+")
_WORD = re.compile(r"[^\W_]")  # a token with a letter, hanzi or digit; punctuation is no feature
DEFAULT_PATH = DATA / "title_model.json"


def title_features(tokens: Iterable[str], text: str) -> set[str]:
    """The features of a title: its tokens (w:), the bigrams (b:) and characters (c:) of its Han runs.

    Bigrams carry the title's words past jieba's cuts (a compound it kept whole, a name glued to a
    verb); characters reach words the training text never used (房 of 炒房, 租房; 游 of 游玩), which
    is most of what a colloquial title adds to the news register the model learnt from.
    """
    features = {f"w:{token}" for token in tokens if _WORD.search(token)}
    for run in _HAN_RUN.findall(text):
        features.update(f"b:{run[i : i + 2]}" for i in range(len(run) - 1))
        features.update(f"c:{char}" for char in run)
    return features


@dataclass(frozen=True, slots=True)
class TitleTopicModel:
    """Per feature, its weights for some topics (sparse); a bias per topic; the topic names."""

    topics: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[tuple[int, float], ...]]
    trained_on: dict[str, object]

    def probabilities(self, features: Iterable[str]) -> list[float]:
        """Softmax over the topics of the summed weights of `features` (unknown ones are skipped)."""
        scores = list(self.bias)
        weights = self.weights
        for feature in features:
            for topic, weight in weights.get(feature, ()):
                scores[topic] += weight
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def evidence(self, features: Iterable[str], topic: int, top: int = 4) -> tuple[str, ...]:
        """The words that pushed most towards `topic`, strongest first; bigrams only after them
        and only if no word shown contains them (a reader checks words, not 平会 of 习近平会见)."""
        found: list[tuple[bool, float, str]] = []
        for feature in features:
            for index, weight in self.weights.get(feature, ()):
                if index == topic and weight > 0:
                    found.append((feature.startswith("b:"), -weight, feature[2:]))
        shown: list[str] = []
        for is_bigram, _, text in sorted(found):
            if len(shown) == top:
                break
            if not (is_bigram and any(text in word for word in shown)) and text not in shown:
                shown.append(text)
        return tuple(shown)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: {feature: {topic index: weight}} for the non-zero weights."""
        return {
            "format": _FORMAT,
            "topics": list(self.topics),
            "bias": [round(b, 4) for b in self.bias],
            "trained_on": self.trained_on,
            "weights": {f: {str(i): w for i, w in pairs} for f, pairs in sorted(self.weights.items())},
        }


def model_from_json(raw: object, source: str = "model") -> TitleTopicModel:
    """Build a model from the dict `to_json` made; ValueError on another shape."""
    if not isinstance(raw, dict) or raw.get("format") != _FORMAT:
        raise ValueError(f"{source}: not a title topic model of format {_FORMAT}")
    topics = tuple(str(t) for t in raw["topics"])
    bias = tuple(float(b) for b in raw["bias"])
    if len(bias) != len(topics):
        raise ValueError(f"{source}: {len(bias)} biases for {len(topics)} topics")
    weights = {
        str(feature): tuple((int(i), float(w)) for i, w in pairs.items())
        for feature, pairs in raw["weights"].items()
    }
    return TitleTopicModel(topics, bias, weights, dict(raw.get("trained_on", {})))


def load_title_model(path: Path) -> TitleTopicModel:
    """Read a model file written by `nlp.title_training`."""
    return model_from_json(json.loads(path.read_text(encoding="utf-8")), str(path))


@functools.cache
def default_title_model() -> TitleTopicModel | None:
    """The shipped model, read once per process; None when the data file is absent."""
    return load_title_model(DEFAULT_PATH) if DEFAULT_PATH.exists() else None
