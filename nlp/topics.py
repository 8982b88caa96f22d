"""Topics by weighted word lists: which of the office's areas a text is about, with the words that said so."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, filterfalse

from nlp.lexicon import DATA, phrases, proper_prefixes
from nlp.normalize import to_simplified
from nlp.title_model import TitleTopicModel, title_features

TopicLexicon = Mapping[str, Mapping[str, float]]
TITLE_WEIGHT = 2.0
MAX_TOPICS = 3
TOPIC_THRESHOLD = 0.6
INNER_WEIGHT = 0.8  # a lexicon word found inside a longer token counts a little less
_INNER_CACHE = 200_000
TITLE_LENGTH = 12  # tokens
TITLE_RELATIVE = 0.8
TITLE_THRESHOLD = 1.2  # a title needs one clear word, not a passing one
SHORT_TEXT = 60  # tokens: titles and short bodies are also searched inside compound tokens
TOPIC_RELATIVE = 0.7  # a second topic must score 70 % of the first: short texts have one main area
# Titles with a title model: each topic's model probability plus a vote for the word lists' first
# (and second) tag; the best one alone is kept if it reaches MODEL_THRESHOLD (chosen on
# genres_dev.jsonl; a second topic at 80 % of the first added as many off-topic tags as hits there).
LEXICON_VOTE = (0.6, 0.42)
MODEL_THRESHOLD = 0.5


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
    # Per token string jieba kept whole (全国运动会, 集装箱吞吐量): the lexicon words inside it,
    # computed once; short texts (titles) often carry their topic only inside such a compound.
    inner: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def contained(self, token: str) -> tuple[str, ...]:
        """The lexicon words inside a token that is not itself one, longest first, not overlapping."""
        found = self.inner.get(token)
        if found is not None:
            return found
        words, n, i, parts = self.words, len(token), 0, []
        while i < n:
            for length in range(min(self.max_len, n - i), 1, -1):
                part = token[i : i + length]
                if length < n and part in words:
                    parts.append(part)
                    i += length - 1
                    break
            i += 1
        found = tuple(parts)
        if len(self.inner) < _INNER_CACHE:
            self.inner[token] = found
        return found


def _is_compound(token: str) -> bool:
    return len(token) >= 3 and token.isalpha()


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
    model: TitleTopicModel | None = None,
) -> tuple[TopicTag, ...]:
    """Score every topic of `index` on a text's token counts; the best few above the threshold.

    With a `model`, a title without a body gets one topic: the word lists' and the model's verdicts
    combined (`_title_topic`).
    """
    if not index.names:
        return ()
    raw = [0.0] * len(index.names)
    evidence: list[dict[str, float]] = [{} for _ in index.names]
    words = index.words

    def hit(word: str, count: float) -> None:
        for topic, weight in words[word]:
            raw[topic] += weight * count
            evidence[topic][word] = weight

    short = len(texts) <= SHORT_TEXT
    for weight, seen in ((1.0, counts), (TITLE_WEIGHT, title_counts)):
        for word in filter(words.__contains__, seen):
            hit(word, weight * seen[word])
        if seen is counts and not short:
            continue  # a long text has evidence enough in its whole words
        for token in filter(_is_compound, filterfalse(words.__contains__, seen)):
            for word in index.contained(token):
                hit(word, INNER_WEIGHT * weight * seen[token])
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
    threshold = TITLE_THRESHOLD if length <= TITLE_LENGTH else TOPIC_THRESHOLD
    tags: list[TopicTag] = []
    if best >= threshold:
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], index.names[i]))
        # A title or a one-line text is about one area unless a second one is nearly as strong.
        relative = TITLE_RELATIVE if length <= TITLE_LENGTH else TOPIC_RELATIVE
        for i in ranked[:MAX_TOPICS]:
            if scores[i] < threshold or scores[i] < relative * best:
                break
            ev = sorted(evidence[i].items(), key=lambda item: (-item[1], item[0]))
            tags.append(TopicTag(index.names[i], round(scores[i], 3), tuple(w for w, _ in ev[:8])))
    if model is not None and title_texts and length == len(title_texts):
        # A title alone (no body): one topic, by the word lists and the model together.
        return _title_topic(index.names, tags, model, title_texts)
    return tuple(tags)


def _title_topic(
    names: Sequence[str], tags: Sequence[TopicTag], model: TitleTopicModel, tokens: Sequence[str]
) -> tuple[TopicTag, ...]:
    """One topic for a title: the model's probability plus a vote for the word lists' tags.

    The word lists' first tag stands unless the model is sure of another area; a title they miss
    gets the model's area only when it is confident: a title without a clear area gets none.
    Topics the model does not know (an administrator's own) count by the word lists alone.
    """
    features = title_features(tokens, "".join(tokens))
    probabilities = dict(zip(model.topics, model.probabilities(features), strict=True))
    combined = {name: probabilities.get(name, 0.0) for name in names}
    for tag, vote in zip(tags, LEXICON_VOTE, strict=False):
        combined[tag.name] += vote
    best = min(combined, key=lambda name: (-combined[name], name))
    if combined[best] < MODEL_THRESHOLD:
        return ()
    lexicon = {tag.name: tag.evidence for tag in tags}
    evidence = lexicon.get(best) or model.evidence(features, model.topics.index(best))
    return (TopicTag(best, round(combined[best], 3), evidence),)
