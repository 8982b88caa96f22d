"""One analysis per text: segment once, then compose topics, kind, keywords and fingerprint.

Each part has its own module (`topics`, `kind` + `kind_model`, `keywords`, `fingerprint`); this one
holds the per-token vocabulary they share and the `Analyzer` that runs them over one token list.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import math
import operator
import struct
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, filterfalse, repeat
from typing import Literal

from nlp.fingerprint import fingerprint as _fingerprint
from nlp.fingerprint import similarity
from nlp.keywords import FILLER_PREFIXES, default_idf_value, jieba_idf, top_keywords
from nlp.kind import (
    TITLE_WEIGHT,
    KindLexicon,
    KindTag,
    SentenceKind,
    aggregate_kind,
    kind_cues,
    scan_kind,
)
from nlp.kind_model import KindModel, kind_features, load_model
from nlp.lexicon import DATA, LABELS, is_cjk, load_stopwords
from nlp.normalize import clean_text, to_simplified
from nlp.segment import Segmenter, Token
from nlp.title_model import TitleTopicModel, default_title_model
from nlp.topics import TopicIndex, TopicLexicon, TopicTag, compile_topics, load_default_topics, score_topics

__all__ = [
    "DATA",
    "Analysis",
    "Analyzer",
    "KindTag",
    "SentenceKind",
    "TopicLexicon",
    "TopicTag",
    "analyze",
    "default_analyzer",
    "default_kind_model",
    "load_default_topics",
    "load_stopwords",
    "similarity",
]


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
    # An item of another kind that also reports a problem (成绩…，但也存在…问题): the office counts these.
    contains_problems: bool = False
    # The rules read the text as a citizen's complaint or request (我家…, 请问…能否…).
    citizen: bool = False


# What the steps after jieba need to know of one distinct token string, computed once and packed in
# one 32-byte record (native uint64 hash, uint64 pair hash, float64 IDF, uint64 flags): a text's
# records are joined and read column-wise through a memoryview, so each distinct token costs one
# vocabulary lookup and one record read. Separate objects per field were a cache miss each, and the
# misses cost more than the work (jieba evicts everything of ours between two texts).
_RECORD = struct.Struct("=QQdQ")
_KEYWORD, _FEATURE, _INTERESTING = 1, 2, 4  # flags: keyword candidate, fingerprint feature, kind cue


def _describe(
    word: str, stopwords: frozenset[str], idf: Mapping[str, float], median: float, interesting: bool
) -> bytes:
    if word.isalpha():  # most tokens: hanzi only
        has_letter = has_alnum = only_word_chars = True
    else:
        has_letter = has_alnum = False
        only_word_chars = True
        for ch in word:
            if is_cjk(ch) or ch.isalpha():
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
        and not word.startswith(FILLER_PREFIXES)
    )
    feature = has_alnum and not filler
    # Stable 64-bit hashes (blake2b, not Python's salted hash()); a 2-gram's hash is
    # pair_hash(first) ^ hash(second).
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=16).digest()
    flags = (_KEYWORD if keyword else 0) | (_FEATURE if feature else 0) | (_INTERESTING if interesting else 0)
    return _RECORD.pack(
        int.from_bytes(digest[:8], "little"),
        int.from_bytes(digest[8:], "little"),
        idf.get(word, median),
        flags,
    )


# ---------------------------------------------------------------------------------------------------
# Analyzer

_TOPIC_CACHE_SIZE = 16
_TEXT = operator.attrgetter("text")
_VOCAB_LIMIT = 500_000


@functools.cache
def default_kind_model() -> KindModel | None:
    """The kind model shipped in nlp/data (trained by `python -m nlp train-kind`), if present."""
    path = DATA / "kind_model.json"
    return load_model(path) if path.exists() else None


# Texts of up to this many cue-bearing sentences are like the sentences the model was trained on;
# in longer ones the token evidence is shrunk by sqrt(_MODEL_SENTENCES / n) so that it does not
# swamp the rules' verdict on the whole.
_MODEL_SENTENCES = 2
_MODEL_MAX_SENTENCES = 1


class Analyzer:
    """Holds a Segmenter and a topic lexicon; `analyze` cuts each text exactly once.

    `kind_model`: the statistical refiner of the rule-based kind; by default the shipped one,
    `None` for rules only. `title_model`: the topic model for titles (`nlp.title_model`), by default
    the shipped one, `None` for the word lists alone.
    """

    def __init__(
        self,
        segmenter: Segmenter,
        topics: TopicLexicon | None = None,
        idf: Mapping[str, float] | None = None,
        kind_model: KindModel | Literal["default"] | None = "default",
        title_model: TitleTopicModel | Literal["default"] | None = "default",
    ) -> None:
        self.segmenter = segmenter
        self.kind_model = default_kind_model() if kind_model == "default" else kind_model
        self.title_model = default_title_model() if title_model == "default" else title_model
        self.topics: TopicLexicon = topics if topics is not None else load_default_topics()
        self._topic_index = compile_topics(self.topics)
        self._overrides: OrderedDict[int, tuple[TopicLexicon, TopicIndex]] = OrderedDict()
        self._lock = threading.Lock()
        self._kind = KindLexicon(kind_cues())
        self._stopwords = load_stopwords()
        # An IDF table built from the archive (keywords.build_idf) ranks keywords against what the
        # office actually receives; without one, jieba's general-purpose table.
        self._idf: Mapping[str, float]
        if idf is None:
            self._idf, self._median_idf = jieba_idf()
        else:
            self._idf, self._median_idf = idf, default_idf_value(idf)
        # Per distinct token: one packed record (_RECORD) of keyword flag, IDF, fingerprint hashes and
        # kind interest, computed once; this keeps the per-token work after jieba to dict lookups.
        self._vocab: dict[str, bytes] = {}

    def _index_for(self, topics: TopicLexicon | None) -> TopicIndex:
        if topics is None or topics is self.topics:
            return self._topic_index
        key = id(topics)
        with self._lock:
            cached = self._overrides.get(key)
            if cached is not None and cached[0] is topics:
                self._overrides.move_to_end(key)
                return cached[1]
        index = compile_topics(topics)
        with self._lock:
            # Keep the lexicon object alive with its index so that its id() is not reused meanwhile.
            self._overrides[key] = (topics, index)
            while len(self._overrides) > _TOPIC_CACHE_SIZE:
                self._overrides.popitem(last=False)
        return index

    def _records(self, words: Sequence[str]) -> bytes:
        """The joined records of `words` (distinct token strings), describing the new ones first.

        These are the only lookups in the big vocabulary; everything after works on the text's own
        small data, which stays in the CPU cache.
        """
        vocab = self._vocab
        found = list(map(vocab.get, words))
        if None in found:
            with self._lock:
                if len(vocab) > _VOCAB_LIMIT:
                    vocab.clear()
                    self._kind = KindLexicon(self._kind.cues)
                new = [word for word in words if word not in vocab]
                kind = self._kind
                kind.learn(new)
                for word in new:
                    vocab[word] = _describe(
                        word, self._stopwords, self._idf, self._median_idf, word in kind.interesting
                    )
            found = list(map(vocab.get, words))
        return b"".join(found)  # type: ignore[arg-type]

    def analyze(self, title: str, text: str, topics: TopicLexicon | None = None) -> Analysis:
        """Analyse one item; `topics` overrides the lexicon for this call (admin-edited lists)."""
        clean_title = " ".join(clean_text(title).split("\n"))
        cleaned = clean_text(text)
        simplified_title = to_simplified(clean_title)
        simplified_text = to_simplified(cleaned)
        title_tokens = self.segmenter.tokens(simplified_title)
        tokens = self.segmenter.tokens(simplified_text)
        title_texts = list(map(_TEXT, title_tokens))
        texts = list(map(_TEXT, tokens))

        counts: Counter[str] = Counter(texts)
        title_counts: Counter[str] = Counter(title_texts)
        index = self._index_for(topics)
        topic_tags = score_topics(index, counts, title_counts, title_texts, texts, self.title_model)

        # Token strings this analyzer has never seen are described once (keyword, fingerprint and
        # kind cues they contain); everything after that is lookups in the small dict of this text.
        distinct = list(counts)
        distinct.extend(filterfalse(counts.__contains__, title_counts))
        records = memoryview(self._records(distinct))
        columns = records.cast("Q")
        flags = columns[3::4].tolist()
        interesting = set(compress(distinct, map(operator.and_, flags, repeat(_INTERESTING))))
        rule = aggregate_kind(
            scan_kind(title_texts, title_tokens, self._kind, learn=False, interesting=interesting),
            scan_kind(texts, tokens, self._kind, learn=False, interesting=interesting),
        )
        weighted: Mapping[str, float] = counts
        if title_counts:
            weighted = dict(counts)
            for word, count in title_counts.items():
                weighted[word] = weighted.get(word, 0) + TITLE_WEIGHT * count
        is_keyword = list(map(operator.and_, flags, repeat(_KEYWORD)))
        idfs = compress(records.cast("d")[2::4].tolist(), is_keyword)
        keywords = top_keywords(weighted, dict(zip(compress(distinct, is_keyword), idfs, strict=False)))
        is_feature = list(map(operator.and_, flags, repeat(_FEATURE)))
        feature_words = list(compress(distinct, is_feature))
        hash_of = dict(zip(feature_words, compress(columns[0::4].tolist(), is_feature), strict=True))
        pair_of = dict(zip(feature_words, compress(columns[1::4].tolist(), is_feature), strict=True))
        fingerprint = (
            _fingerprint(texts, counts, hash_of, pair_of)
            if texts
            else _fingerprint(title_texts, title_counts, hash_of, pair_of)
        )
        analysis = Analysis(
            clean_title=clean_title,
            clean_text=cleaned,
            simplified_title=simplified_title,
            simplified_text=simplified_text,
            title_tokens=tuple(title_tokens),
            tokens=tuple(tokens),
            topics=topic_tags,
            kind=rule.tag,
            keywords=keywords,
            fingerprint=fingerprint,
            sentences=rule.sentences,
            citizen=rule.citizen,
        )
        refined = self.refined_kind(analysis, self.kind_model)
        contains = rule.any_problem and refined.label != "problem"
        if refined is rule.tag and not contains:
            return analysis
        return dataclasses.replace(analysis, kind=refined, contains_problems=contains)

    def with_kind_model(self, kind_model: KindModel | None) -> Analyzer:
        """This analyzer with another kind model (None: rules only), sharing everything else."""
        twin = copy.copy(self)
        twin.kind_model = kind_model
        return twin

    def with_title_model(self, title_model: TitleTopicModel | None) -> Analyzer:
        """This analyzer with another title topic model (None: the word lists alone)."""
        twin = copy.copy(self)
        twin.title_model = title_model
        return twin

    @staticmethod
    def kind_features(analysis: Analysis) -> set[str]:
        """The features the kind model sees for an analysis made without a model (rules only).

        Training data and the refinement both go through here, so a model learns from exactly
        what it is later shown.
        """
        texts = list(map(_TEXT, analysis.tokens))
        words = set(texts)
        words.update(map(_TEXT, analysis.title_tokens))
        rule = analysis.kind
        return kind_features(
            words,
            texts,
            analysis.simplified_text,
            rule.label,
            rule.score,
            (s.label for s in analysis.sentences),
        )

    @classmethod
    def refined_kind(cls, analysis: Analysis, model: KindModel | None) -> KindTag:
        """The rules' kind of `analysis` (made without a model), overridden where `model` is sure
        of another label.

        A text in which the rules found no cue at all stays other: without a single cue word there
        is nothing to show an editor for a problem or an achievement.
        """
        rule = analysis.kind
        if (
            model is None
            or not rule.score
            or (analysis.citizen and rule.label == "problem")
            or (model is default_kind_model() and len(analysis.sentences) > _MODEL_MAX_SENTENCES)
        ):
            # The shipped model learnt from work-report sentences: a citizen's complaint or a whole
            # news item is not its texture, and there the rules decide. An office's own model
            # (train-kind) learnt from its whole items and refines them.
            return rule
        features = cls.kind_features(analysis)
        scale = math.sqrt(min(1.0, _MODEL_SENTENCES / max(1, len(analysis.sentences))))
        label, probs = model.decide(features, rule.label, rule.score, scale)
        if LABELS[label] == rule.label:
            return rule
        return KindTag(LABELS[label], round(probs[label], 3), model.evidence(features, label))


@functools.cache
def default_analyzer() -> Analyzer:
    """A process-wide analyzer for scripts and `python -m nlp`; the web app builds its own."""
    return Analyzer(Segmenter().initialize())


def analyze(title: str, text: str) -> Analysis:
    """Analyse one text with the default analyzer."""
    return default_analyzer().analyze(title, text)
