"""One analysis per text: segment once, then derive topics, kind, keywords and fingerprint."""

from __future__ import annotations

import functools
import hashlib
import heapq
import json
import math
import operator
import struct
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import jieba

from nlp.normalize import clean_text, to_simplified
from nlp.segment import Segmenter, Token

KindLabel = Literal["problem", "achievement", "other"]
TopicLexicon = Mapping[str, Mapping[str, float]]
DATA = Path(__file__).with_name("data")


@dataclass(frozen=True, slots=True)
class TopicTag:
    """A topic given to a text, its score and the words that triggered it."""

    name: str
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KindTag:
    """problem / achievement / other, with a score in [0, 1] and the cue words found."""

    label: KindLabel
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SentenceKind:
    """The kind of one sentence of the text; start/end are offsets into `Analysis.simplified_text`.

    `clean_text` and `simplified_text` have the same length in practice (OpenCC t2s maps character
    for character), so the offsets usually fit the cleaned original as well.
    """

    start: int
    end: int
    label: KindLabel
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    """Everything derived from one (title, text); tokens are over the simplified copies."""

    clean_title: str
    clean_text: str
    simplified_title: str
    simplified_text: str
    title_tokens: tuple[Token, ...]
    tokens: tuple[Token, ...]
    topics: tuple[TopicTag, ...]
    kind: KindTag
    keywords: tuple[str, ...]
    fingerprint: int  # 64-bit SimHash as a signed int64 (fits a BIGINT column)
    # Sentences of the text that carry a kind cue (sentences without any cue are left out).
    sentences: tuple[SentenceKind, ...] = field(default=())


def load_default_topics() -> dict[str, dict[str, float]]:
    """Read the shipped default topic word lists: {topic: {word: weight}}."""
    with (DATA / "topics.json").open(encoding="utf-8") as fh:
        data: dict[str, dict[str, float]] = json.load(fh)
    return data


# ---------------------------------------------------------------------------------------------------
# Shared data: stop words, jieba's IDF table, kind cues (read once per process, never mutated)


@functools.cache
def load_stopwords() -> frozenset[str]:
    """Read the stop words (bureaucratic filler and function words) shipped in `data/stopwords.txt`."""
    with (DATA / "stopwords.txt").open(encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip() and not line.lstrip().startswith("#"))


@functools.cache
def _idf_table() -> tuple[dict[str, float], float]:
    """jieba's own IDF table, read from the file (jieba.analyse would cut the text a second time)."""
    path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    idf: dict[str, float] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            word, _, value = line.rstrip("\n").rpartition(" ")
            if word:
                idf[word] = float(value)
    values = sorted(idf.values())
    median = values[len(values) // 2] if values else 10.0
    return idf, median


# Token categories of the kind lexicon.
_PROBLEM, _ACHIEVEMENT, _OTHER, _NEGATOR, _NEGATABLE, _TURN, _CONCESSION, _RESOLVER, _EXIST = range(9)
_RESOLVABLE = 9  # a problem word that a resolver can take as its object (解决…问题)
_DECREASE = 10  # 下降, 减少: after a problem word of the same clause, an improvement (事故下降)
_DECREASE_WEIGHT = 1.2
_LABELS: tuple[KindLabel, KindLabel, KindLabel] = ("problem", "achievement", "other")

_SENTENCE_END = frozenset({"。", "！", "？", "；", "\n", "!", "?", ";", "……", "…"})
_CLAUSE_END = frozenset({"，", "：", ",", ":", "（", "）", "“", "”", "——", " "})
_NEGATION_WINDOW = 4  # tokens after 没有 in which 采用 is still negated: 没有 / 一条 / 信息 / 被 / 采用
_NEGATED_WEIGHT = 1.2
_TURN_BEFORE = 0.5  # cues before 但/然而 count half …
_TURN_AFTER = 1.5  # … and those after it half as much again
_EXIST_BOOST = 1.5
_RESOLVED_WEIGHT = 0.15  # 解决…问题: the problem word is being dealt with
_TITLE_WEIGHT = 2.0
_MIN_SENTENCE_SCORE = 0.8
_PROBLEM_SHARE = 0.25  # problems win once they are a quarter of the cue mass: offices want them surfaced


@dataclass(frozen=True, slots=True)
class _Cues:
    """The kind lexicon compiled to dicts: word -> list of (category, weight)."""

    words: dict[str, tuple[tuple[int, float], ...]]
    prefixes: frozenset[str]
    max_len: int
    beneficiaries: frozenset[str]
    interesting: frozenset[str]  # cue words, phrase starts and punctuation: tokens the scan must see


@functools.cache
def _kind_cues() -> _Cues:
    with (DATA / "kind_cues.json").open(encoding="utf-8") as fh:
        raw = json.load(fh)
    entries: dict[str, list[tuple[int, float]]] = {}

    def add(word: str, category: int, weight: float) -> None:
        entries.setdefault(word, []).append((category, weight))

    for name, category in (("problem", _PROBLEM), ("achievement", _ACHIEVEMENT), ("other", _OTHER)):
        for word, weight in raw[name].items():
            add(word, category, float(weight))
    for word in raw["resolvable"]:
        add(word, _RESOLVABLE, 1.0)
    for word in raw["decreases"]:
        add(word, _DECREASE, 1.0)
    for word, weight in raw["negatable"].items():
        add(word, _NEGATABLE, float(weight))
    for name, category in (
        ("negators", _NEGATOR),
        ("turns", _TURN),
        ("concessions", _CONCESSION),
        ("resolvers", _RESOLVER),
        ("existence", _EXIST),
    ):
        for word in raw[name]:
            add(word, category, 1.0)
    words = {word: tuple(sorted(values)) for word, values in entries.items()}
    prefixes = _proper_prefixes(words)
    interesting = frozenset(words) | prefixes | _SENTENCE_END | _CLAUSE_END
    return _Cues(words, prefixes, max(map(len, words)), frozenset(raw["beneficiaries"]), interesting)


def _proper_prefixes(words: Iterable[str]) -> frozenset[str]:
    return frozenset(word[:i] for word in words for i in range(1, len(word)))


@dataclass(frozen=True, slots=True)
class _TopicIndex:
    """A topic lexicon compiled for lookups: word -> ((topic index, weight), …)."""

    names: tuple[str, ...]
    words: dict[str, tuple[tuple[int, float], ...]]
    prefixes: frozenset[str]
    max_len: int


def _compile_topics(topics: TopicLexicon) -> _TopicIndex:
    names = tuple(topics)
    words: dict[str, list[tuple[int, float]]] = {}
    for index, name in enumerate(names):
        for word, weight in topics[name].items():
            word = to_simplified(word.strip())
            if word and weight:
                words.setdefault(word, []).append((index, float(weight)))
    compiled = {word: tuple(values) for word, values in words.items()}
    return _TopicIndex(names, compiled, _proper_prefixes(compiled), max(map(len, compiled), default=0))


def _phrases(
    texts: Sequence[str], lexicon: Mapping[str, object], prefixes: frozenset[str], max_len: int
) -> Iterable[tuple[int, int, str]]:
    """Lexicon words that jieba split over several tokens: yield (first, last token index, word)."""
    n = len(texts)
    for i in [i for i, text in enumerate(texts) if text in prefixes]:
        joined = texts[i]
        for j in range(i + 1, n):
            joined += texts[j]
            if len(joined) > max_len:
                break
            if joined in lexicon:
                yield i, j, joined
            if joined not in prefixes:
                break


# ---------------------------------------------------------------------------------------------------
# Kind


@dataclass(slots=True)
class _SentenceState:
    start: int = -1
    end: int = 0
    scores: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    evidence: tuple[list[str], list[str], list[str]] = field(default_factory=lambda: ([], [], []))
    negator: str = ""
    resolver: bool = False
    clause_resolvable: float = 0.0  # problem weight of this clause that a later resolver takes back
    exist: bool = False
    concession: bool = False
    turned: bool = False
    factor: float = 1.0

    def add(self, label: int, weight: float, word: str) -> None:
        self.scores[label] += weight * self.factor
        if word not in self.evidence[label]:
            self.evidence[label].append(word)

    def turn(self) -> None:
        if not self.turned:
            self.scores = [s * _TURN_BEFORE for s in self.scores]
            self.factor = _TURN_AFTER
            self.turned = True

    def end_clause(self) -> None:
        self.resolver = False
        self.clause_resolvable = 0.0
        if self.concession and not self.turned:
            # 虽然…，(仍)存在…: the main clause after a concession carries the point, even without 但
            self.turn()


def _label_sentence(scores: Sequence[float]) -> tuple[int, float] | None:
    """(label index, score in [0, 1]) of one sentence, or None when it has no clear cue."""
    p, a, o = scores
    total = p + a + o
    if max(p, a, o) < _MIN_SENTENCE_SCORE:
        return None
    if p >= _MIN_SENTENCE_SCORE and p >= 0.8 * max(a, o):
        label = 0
    elif a >= o:
        label = 1
    else:
        label = 2
    confidence = 1.0 - math.exp(-total / 2.0)
    return label, round(scores[label] / total * confidence, 3)


def _scan_kind(texts: Sequence[str], tokens: Sequence[Token], cues: _Cues) -> list[_SentenceState]:
    """Score every sentence of a token list for problem / achievement / other cues."""
    words = cues.words
    phrase_at: dict[int, tuple[int, str]] = {}
    for first, last, word in _phrases(texts, words, cues.prefixes, cues.max_len):
        phrase_at.setdefault(first, (last, word))
    sentences: list[_SentenceState] = []
    state = _SentenceState()
    first_index = 0  # the token where the current sentence begins
    skip_to = -1
    negator_at = -_NEGATION_WINDOW - 1
    n = len(texts)
    # Only cue words, phrase starts and punctuation matter: the rest is skipped in C.
    interesting = cues.interesting
    for i in [i for i, text in enumerate(texts) if text in interesting]:
        text = texts[i]
        if text in _SENTENCE_END:
            _close_sentence(state, texts, tokens, first_index, i, sentences)
            state = _SentenceState()
            first_index = i + 1
            negator_at = -_NEGATION_WINDOW - 1
            continue
        if text in _CLAUSE_END:
            state.end_clause()
            negator_at = -_NEGATION_WINDOW - 1
            continue
        if i <= skip_to:
            continue
        last = i
        if i in phrase_at:
            # The longer match wins: 不尽如人意 over 不
            last, text = phrase_at[i]
            skip_to = last
        entry = words.get(text)
        if entry is None:
            continue
        if last + 1 < n and texts[last + 1] in cues.beneficiaries:
            # 困难群众, 困难企业: a group to help, not a problem being reported
            entry = tuple(e for e in entry if e[0] not in (_PROBLEM, _RESOLVABLE))
        distance = i - negator_at
        if _apply_cues(state, text, entry, distance <= _NEGATION_WINDOW, distance == 1):
            negator_at = last
    if first_index < n:
        _close_sentence(state, texts, tokens, first_index, n - 1, sentences)
    return sentences


def _close_sentence(
    state: _SentenceState,
    texts: Sequence[str],
    tokens: Sequence[Token],
    first: int,
    last: int,
    sentences: list[_SentenceState],
) -> None:
    while first <= last and texts[first].isspace():
        first += 1
    if first > last or (first == last and texts[last] in _SENTENCE_END):
        return
    state.start = tokens[first].start
    state.end = tokens[last].end
    sentences.append(state)


def _apply_cues(
    state: _SentenceState, word: str, entry: tuple[tuple[int, float], ...], negated: bool, adjacent: bool
) -> bool:
    """Add the cues of one word to its sentence; return whether the word is a negator."""
    categories = {category for category, _ in entry}
    resolvable = _RESOLVABLE in categories
    negated_word = state.negator + word if adjacent else f"{state.negator}…{word}"
    if _DECREASE in categories and state.clause_resolvable and not negated:
        # 信访总量下降: the problem of this clause is shrinking, which is an achievement
        state.scores[0] = max(0.0, state.scores[0] - (1.0 - _RESOLVED_WEIGHT) * state.clause_resolvable)
        state.clause_resolvable = 0.0
        state.add(1, _DECREASE_WEIGHT, word)
        entry = tuple(e for e in entry if e[0] != _PROBLEM)
    for category, weight in entry:
        if category == _PROBLEM:
            if negated:
                # 没有发生事故: a problem that did not happen
                state.add(1, 0.5 * weight, negated_word)
            elif state.resolver and resolvable:
                state.add(0, _RESOLVED_WEIGHT * weight, word)
            else:
                added = weight * (_EXIST_BOOST if state.exist else 1.0)
                state.add(0, added, word)
                if resolvable:
                    state.clause_resolvable += added * state.factor
        elif category == _NEGATABLE and negated:
            state.add(0, _NEGATED_WEIGHT * weight, negated_word)
        elif category == _ACHIEVEMENT and not negated:
            state.add(1, weight, word)
        elif category == _OTHER and not negated:
            state.add(2, weight, word)
        elif category == _TURN:
            state.turn()
        elif category == _CONCESSION:
            state.concession = True
        elif category == _RESOLVER:
            state.resolver = True
            if state.clause_resolvable:
                # 违规收费整治: the resolver comes after its object
                state.scores[0] = max(
                    0.0, state.scores[0] - (1.0 - _RESOLVED_WEIGHT) * state.clause_resolvable
                )
                state.clause_resolvable = 0.0
        elif category == _EXIST:
            state.exist = True
            if word not in state.evidence[0]:
                state.evidence[0].append(word)
    if _NEGATOR in categories:
        state.negator = word
        return True
    return False


def _aggregate_kind(
    title: Sequence[_SentenceState], text: Sequence[_SentenceState]
) -> tuple[KindTag, tuple[SentenceKind, ...]]:
    mass = [0.0, 0.0, 0.0]
    counts = [0.0, 0.0, 0.0]
    evidence: tuple[list[str], list[str], list[str]] = ([], [], [])
    labelled: list[SentenceKind] = []
    for weight, states in ((_TITLE_WEIGHT, title), (1.0, text)):
        for state in states:
            result = _label_sentence(state.scores)
            if result is None:
                continue
            label, score = result
            mass[label] += weight * state.scores[label]
            counts[label] += weight
            for word in state.evidence[label]:
                if word not in evidence[label]:
                    evidence[label].append(word)
            if states is text:
                words = tuple(state.evidence[label])
                labelled.append(SentenceKind(state.start, state.end, _LABELS[label], score, words))
    total = sum(mass)
    if total == 0:
        return KindTag("other", 0.0, ()), tuple(labelled)
    n = sum(counts)
    if counts[0] and (counts[0] / n >= _PROBLEM_SHARE or mass[0] / total >= _PROBLEM_SHARE):
        label = 0
    elif mass[1] >= mass[2]:
        label = 1
    else:
        label = 2
    confidence = 1.0 - math.exp(-total / 3.0)
    share = max(mass[label] / total, counts[label] / n)
    score = round(min(1.0, share * confidence), 3)
    return KindTag(_LABELS[label], score, tuple(evidence[label][:8])), tuple(labelled)


# ---------------------------------------------------------------------------------------------------
# Keywords and fingerprint


_FILLER_PREFIXES = (
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


@dataclass(frozen=True, slots=True)
class _Word:
    """What the keyword and fingerprint steps need to know of one distinct token."""

    keyword: bool  # worth proposing as a keyword
    feature: bool  # used in the fingerprint shingles
    idf: float
    hash: int  # stable 64-bit hash (blake2b), not Python's salted hash()
    pair_hash: int  # a second, independent one: a 2-gram's hash is pair_hash(first) ^ hash(second)


def _describe(word: str, stopwords: frozenset[str], idf: Mapping[str, float], median: float) -> _Word:
    has_letter = has_alnum = False
    only_word_chars = True
    for ch in word:
        if "\u4e00" <= ch <= "\u9fff" or ch.isalpha():
            has_letter = has_alnum = True
        elif ch.isdigit():
            has_alnum = True
        elif ch not in ".%-·":
            only_word_chars = False
    filler = word in stopwords
    keyword = (
        len(word) >= 2
        and not filler
        and has_letter
        and only_word_chars
        and not word[0].isdigit()
        and not word.startswith(_FILLER_PREFIXES)
    )
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=16).digest()
    return _Word(
        keyword,
        has_alnum and not filler,
        idf.get(word, median),
        int.from_bytes(digest[:8], "little"),
        int.from_bytes(digest[8:], "little"),
    )


def _keywords(counts: Mapping[str, float], vocab: Mapping[str, _Word], top: int = 8) -> tuple[str, ...]:
    scored = [(-count * info.idf, word) for word, count in counts.items() if (info := vocab[word]).keyword]
    return tuple(word for _, word in heapq.nsmallest(top, scored))


_MAX_WORD_WEIGHT = 3
_BIT_TABLES = tuple(
    bytes.maketrans(bytes(range(256)), bytes((b >> bit) & 1 for b in range(256))) for bit in range(8)
)


def _simhash(hashes: Sequence[int]) -> int:
    """64-bit SimHash of feature hashes, as a signed int64."""
    if not hashes:
        return 0
    packed = struct.pack(f"<{len(hashes)}Q", *hashes)
    half = len(hashes) / 2
    value = 0
    for bit in range(8):
        # After the translation each byte holds one bit of the original byte (0 or 1): counting the
        # ones of every eighth byte gives a column sum in C, with no Python loop per feature.
        plane = packed.translate(_BIT_TABLES[bit])
        for byte_index in range(8):
            if plane[byte_index::8].count(1) > half:
                value |= 1 << (byte_index * 8 + bit)
    return value - (1 << 64) if value >= 1 << 63 else value


def _fingerprint(texts: Sequence[str], vocab: Mapping[str, _Word]) -> int:
    """SimHash over content words (weighted by frequency, capped) and their distinct 2-gram shingles.

    Words make a changed sentence move the fingerprint less; 2-grams keep texts that merely share
    vocabulary apart. Stop words and punctuation are left out.
    """
    content = [info for t in texts if (info := vocab[t]).feature]
    hashes = [info.hash for info in content]
    counts = Counter(hashes)
    features = list(counts)
    for weight in range(2, _MAX_WORD_WEIGHT + 1):
        features.extend([value for value, count in counts.items() if count >= weight])
    features.extend(set(map(operator.xor, [info.pair_hash for info in content], hashes[1:])))
    return _simhash(features)


# ---------------------------------------------------------------------------------------------------
# Analyzer

_TOPIC_CACHE_SIZE = 16
_VOCAB_LIMIT = 500_000
_MAX_TOPICS = 3
_TOPIC_THRESHOLD = 0.6
_TOPIC_RELATIVE = 0.35


class Analyzer:
    """Holds a Segmenter and a topic lexicon; `analyze` cuts each text exactly once."""

    def __init__(self, segmenter: Segmenter, topics: TopicLexicon | None = None) -> None:
        self.segmenter = segmenter
        self.topics: TopicLexicon = topics if topics is not None else load_default_topics()
        self._topic_index = _compile_topics(self.topics)
        self._overrides: OrderedDict[int, tuple[TopicLexicon, _TopicIndex]] = OrderedDict()
        self._lock = threading.Lock()
        self._cues = _kind_cues()
        self._stopwords = load_stopwords()
        self._idf, self._median_idf = _idf_table()
        # Per distinct token: keyword/feature flags, IDF and hash, computed once per process; this is
        # what keeps the per-token work after jieba to dict lookups.
        self._vocab: dict[str, _Word] = {}

    def _index_for(self, topics: TopicLexicon | None) -> _TopicIndex:
        if topics is None or topics is self.topics:
            return self._topic_index
        key = id(topics)
        with self._lock:
            cached = self._overrides.get(key)
            if cached is not None and cached[0] is topics:
                self._overrides.move_to_end(key)
                return cached[1]
        index = _compile_topics(topics)
        with self._lock:
            # Keep the lexicon object alive with its index so that its id() is not reused meanwhile.
            self._overrides[key] = (topics, index)
            while len(self._overrides) > _TOPIC_CACHE_SIZE:
                self._overrides.popitem(last=False)
        return index

    def _vocabulary(self, *counts: Mapping[str, int]) -> dict[str, _Word]:
        vocab = self._vocab
        if len(vocab) > _VOCAB_LIMIT:
            vocab.clear()
        for words in counts:
            for word in [word for word in words if word not in vocab]:
                vocab[word] = _describe(word, self._stopwords, self._idf, self._median_idf)
        return vocab

    def analyze(self, title: str, text: str, topics: TopicLexicon | None = None) -> Analysis:
        """Analyse one item; `topics` overrides the lexicon for this call (admin-edited lists)."""
        clean_title = " ".join(clean_text(title).split("\n"))
        cleaned = clean_text(text)
        simplified_title = to_simplified(clean_title)
        simplified_text = to_simplified(cleaned)
        title_tokens = self.segmenter.tokens(simplified_title)
        tokens = self.segmenter.tokens(simplified_text)
        title_texts = [t.text for t in title_tokens]
        texts = [t.text for t in tokens]

        counts: Counter[str] = Counter(texts)
        title_counts: Counter[str] = Counter(title_texts)
        index = self._index_for(topics)
        topic_tags = self._topics(index, counts, title_counts, title_texts, texts)

        kind, sentences = _aggregate_kind(
            _scan_kind(title_texts, title_tokens, self._cues), _scan_kind(texts, tokens, self._cues)
        )
        vocab = self._vocabulary(counts, title_counts)
        weighted: Mapping[str, float] = counts
        if title_counts:
            weighted = dict(counts)
            for word, count in title_counts.items():
                weighted[word] = weighted.get(word, 0) + _TITLE_WEIGHT * count
        keywords = _keywords(weighted, vocab)
        fingerprint = _fingerprint(texts or title_texts, vocab)
        return Analysis(
            clean_title=clean_title,
            clean_text=cleaned,
            simplified_title=simplified_title,
            simplified_text=simplified_text,
            title_tokens=tuple(title_tokens),
            tokens=tuple(tokens),
            topics=topic_tags,
            kind=kind,
            keywords=keywords,
            fingerprint=fingerprint,
            sentences=sentences,
        )

    def _topics(
        self,
        index: _TopicIndex,
        counts: Mapping[str, int],
        title_counts: Mapping[str, int],
        title_texts: Sequence[str],
        texts: Sequence[str],
    ) -> tuple[TopicTag, ...]:
        if not index.names:
            return ()
        raw = [0.0] * len(index.names)
        evidence: list[dict[str, float]] = [{} for _ in index.names]
        words = index.words

        def hit(word: str, count: float) -> None:
            for topic, weight in words[word]:
                raw[topic] += weight * count
                evidence[topic][word] = weight

        for word in counts.keys() & words.keys():
            hit(word, counts[word])
        for word in title_counts.keys() & words.keys():
            hit(word, _TITLE_WEIGHT * title_counts[word])
        for weight, seq in ((1.0, texts), (_TITLE_WEIGHT, title_texts)):
            for _, _, word in _phrases(seq, words, index.prefixes, index.max_len):
                hit(word, weight)

        # Long texts match more words: scale by the log of the length so that a long report is not
        # given every topic while a short item can still reach the threshold.
        length = sum(1 for t in texts if not t.isspace()) + len(title_texts)
        norm = math.log2(2.0 + length / 10.0)
        scores = [r / norm for r in raw]
        best = max(scores)
        if best < _TOPIC_THRESHOLD:
            return ()
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], index.names[i]))
        tags: list[TopicTag] = []
        for i in ranked[:_MAX_TOPICS]:
            if scores[i] < _TOPIC_THRESHOLD or scores[i] < _TOPIC_RELATIVE * best:
                break
            ev = sorted(evidence[i].items(), key=lambda item: (-item[1], item[0]))
            tags.append(TopicTag(index.names[i], round(scores[i], 3), tuple(w for w, _ in ev[:8])))
        return tuple(tags)


@functools.cache
def default_analyzer() -> Analyzer:
    """A process-wide analyzer for scripts and `python -m nlp`; the web app builds its own."""
    return Analyzer(Segmenter().initialize())


def analyze(title: str, text: str) -> Analysis:
    """Analyse one text with the default analyzer."""
    return default_analyzer().analyze(title, text)


def similarity(fingerprint_a: int, fingerprint_b: int) -> float:
    """Similarity in [0, 1] of two SimHash fingerprints (1 - Hamming distance / 64)."""
    return 1.0 - bin((fingerprint_a ^ fingerprint_b) & (2**64 - 1)).count("1") / 64.0
