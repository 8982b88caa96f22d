"""Topics by weighted word lists: which of the office's areas a text is about, with the words that said so."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import compress

from nlp.lexicon import DATA, phrases, proper_prefixes
from nlp.normalize import to_simplified

TopicLexicon = Mapping[str, Mapping[str, float]]
TITLE_WEIGHT = 2.0
MAX_TOPICS = 3
TOPIC_THRESHOLD = 0.6
TOPIC_RELATIVE = 0.35


@dataclass(frozen=True, slots=True)
class TopicTag:
    """A topic given to a text, its score and the words that triggered it."""

    name: str
    score: float
    evidence: tuple[str, ...]


def load_default_topics() -> dict[str, dict[str, float]]:
    """Read the shipped default topic word lists: {topic: {word: weight}}."""
    with (DATA / "topics.json").open(encoding="utf-8") as fh:
        data: dict[str, dict[str, float]] = json.load(fh)
    return data


@dataclass(frozen=True, slots=True)
class TopicIndex:
    """A topic lexicon compiled for lookups: word -> ((topic index, weight), …)."""

    names: tuple[str, ...]
    words: dict[str, tuple[tuple[int, float], ...]]
    prefixes: frozenset[str]
    max_len: int


def compile_topics(topics: TopicLexicon) -> TopicIndex:
    names = tuple(topics)
    words: dict[str, list[tuple[int, float]]] = {}
    for index, name in enumerate(names):
        for word, weight in topics[name].items():
            word = to_simplified(word.strip())
            if word and weight:
                words.setdefault(word, []).append((index, float(weight)))
    compiled = {word: tuple(values) for word, values in words.items()}
    return TopicIndex(names, compiled, proper_prefixes(compiled), max(map(len, compiled), default=0))


def score_topics(
    index: TopicIndex,
    counts: Mapping[str, int],
    title_counts: Mapping[str, int],
    title_texts: Sequence[str],
    texts: Sequence[str],
) -> tuple[TopicTag, ...]:
    """Score every topic of `index` on a text's token counts; the best few above the threshold."""
    if not index.names:
        return ()
    raw = [0.0] * len(index.names)
    evidence: list[dict[str, float]] = [{} for _ in index.names]
    words = index.words

    def hit(word: str, count: float) -> None:
        for topic, weight in words[word]:
            raw[topic] += weight * count
            evidence[topic][word] = weight

    for word in filter(words.__contains__, counts):
        hit(word, counts[word])
    for word in filter(words.__contains__, title_counts):
        hit(word, TITLE_WEIGHT * title_counts[word])
    for weight, seq, seen in ((1.0, texts, counts), (TITLE_WEIGHT, title_texts, title_counts)):
        # Phrase starts among the distinct words first: most texts have few, and the scan over
        # every token is then a probe of a small set.
        starts = index.prefixes.intersection(seen)
        if not starts:
            continue
        positions = compress(range(len(seq)), map(starts.__contains__, seq))
        for _, _, word in phrases(seq, words, index.prefixes, index.max_len, positions):
            hit(word, weight)

    # Long texts match more words: scale by the log of the length so that a long report is not
    # given every topic while a short item can still reach the threshold.
    length = len(texts) - sum(map(str.isspace, texts)) + len(title_texts)
    norm = math.log2(2.0 + length / 10.0)
    scores = [r / norm for r in raw]
    best = max(scores)
    if best < TOPIC_THRESHOLD:
        return ()
    ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], index.names[i]))
    tags: list[TopicTag] = []
    for i in ranked[:MAX_TOPICS]:
        if scores[i] < TOPIC_THRESHOLD or scores[i] < TOPIC_RELATIVE * best:
            break
        ev = sorted(evidence[i].items(), key=lambda item: (-item[1], item[0]))
        tags.append(TopicTag(index.names[i], round(scores[i], 3), tuple(w for w, _ in ev[:8])))
    return tuple(tags)
