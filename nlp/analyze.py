"""One analysis per text: segment once, then derive topics, kind, keywords and fingerprint."""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
import math
import operator
import struct
import threading
from collections import Counter, OrderedDict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, filterfalse, repeat
from pathlib import Path
from typing import Literal

from nlp.keywords import default_idf_value, jieba_idf
from nlp.kind_model import LABELS as _LABELS
from nlp.kind_model import KindLabel, KindModel, kind_features, load_model
from nlp.normalize import clean_text, to_simplified
from nlp.segment import Segmenter, Token

_CueWords = Mapping[str, tuple[tuple[int, float], ...]]
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


# Token categories of the kind lexicon.
_PROBLEM, _ACHIEVEMENT, _OTHER, _NEGATOR, _NEGATABLE, _TURN, _CONCESSION, _RESOLVER, _EXIST = range(9)
_RESOLVABLE = 9  # a problem word that a resolver can take as its object (解决…问题)
_DECREASE = 10  # 下降, 减少: after a problem word of the same clause, an improvement (事故下降)
_DECREASE_WEIGHT = 1.2
_PAST, _FUTURE = 11, 12  # markers of reported results / of a plan (they add no weight themselves)
_PLAN_ACHIEVEMENT = 0.5  # achievement words in a plan frame are goals: 推动…实现新突破

_SENTENCE_END = frozenset({"。", "！", "？", "；", "\n", "!", "?", ";", "……", "…"})
_CLAUSE_END = frozenset({"，", "：", ",", ":", "（", "）", "——", " "})
_NEGATION_WINDOW = 4  # tokens after 没有 in which 采用 is still negated: 没有 / 一条 / 信息 / 被 / 采用
_NEGATED_WEIGHT = 1.2
_TURN_BEFORE = 0.5  # cues before 但/然而 count half …
_TURN_AFTER = 1.5  # … and those after it half as much again
_EXIST_BOOST = 1.5
_RESOLVED_WEIGHT = 0.15  # 解决…问题: the problem word is being dealt with
_TITLE_WEIGHT = 2.0
_MIN_SENTENCE_SCORE = 0.8
# Problems win once they are a quarter of the labelled sentences and carry a fair share of the cue mass,
# or once they dominate the mass: offices want them surfaced, but one 面对…困难 in a record of
# results does not make a problem item.
_PROBLEM_SHARE = 0.25
_PROBLEM_MASS = 0.2
_PROBLEM_DOMINANT = 0.4


@dataclass(frozen=True, slots=True)
class _Cues:
    """The kind lexicon compiled to dicts: word -> list of (category, weight)."""

    words: dict[str, tuple[tuple[int, float], ...]]
    prefixes: frozenset[str]
    max_len: int
    beneficiaries: frozenset[str]
    interesting: frozenset[str]  # cue words, phrase starts and punctuation: tokens the scan must see
    directives: frozenset[str]  # verbs that open a task sentence: 加强…, 推进…


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
    for word in raw.get("past", ()):
        add(word, _PAST, 0.0)
    for word in raw.get("future", ()):
        add(word, _FUTURE, 0.0)
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
    return _Cues(
        words,
        prefixes,
        max(map(len, words)),
        frozenset(raw["beneficiaries"]),
        interesting,
        frozenset(raw.get("directives", ())),
    )


def _proper_prefixes(words: Iterable[str]) -> frozenset[str]:
    return frozenset(word[:i] for word in words for i in range(1, len(word)))


# Categories a token inherits from a cue word it contains (取得成效, 薄弱环节, 不断扩大); negators,
# turns and concessions only count as whole tokens.
_INHERITED = frozenset(
    {_PROBLEM, _ACHIEVEMENT, _OTHER, _NEGATABLE, _RESOLVER, _EXIST, _RESOLVABLE, _DECREASE, _PAST, _FUTURE}
)
_INNER_NEGATORS = frozenset("不未没无非")
_INNER_RESOLVERS = frozenset("反防治抗除")  # 反腐败, 防风险, 治污: the problem word is being fought
# Existence words that state what is still there (存在/仍有…); after them a problem is reported even
# when a resolver came earlier in the clause. 出现/发现 do not: 应对出现的新问题.
_STATIVE_EXIST = frozenset({"存在", "还有", "仍有", "仍然", "依然", "尚", "仍", "尚有", "仍存在", "依然存在"})
_NO_CUE: tuple[tuple[int, float], ...] = ()


class _KindLexicon:
    """The kind cues plus, per token string seen, the cues it contains (computed once, cached).

    jieba often keeps a cue inside a longer token (取得成效, 成效显著, 薄弱环节); looking each new
    token up once keeps the scan itself to set and dict lookups.
    """

    def __init__(self, cues: _Cues) -> None:
        self.cues = cues
        self.words: dict[str, tuple[tuple[int, float], ...]] = dict(cues.words)
        self.interesting: set[str] = set(cues.interesting) | cues.directives
        self._checked: set[str] = set()
        self._lock = threading.Lock()
        self._inner = sorted(
            (w for w, entry in cues.words.items() if len(w) >= 2 and any(c in _INHERITED for c, _ in entry)),
            key=len,
            reverse=True,
        )
        self._inner_set = frozenset(self._inner)
        self._inner_max = max(map(len, self._inner), default=0)

    def learn(self, texts: Iterable[str]) -> None:
        """Classify the token strings not seen before: cue-bearing ones become interesting.

        An Analyzer calls it with the strings new to its vocabulary only, and replaces the lexicon
        when it clears its vocabulary; called directly, it skips what it has seen (and keeps growing).
        """
        # set.difference walks the small set and probes the big ones (difference_update and the
        # dict-view operators walk the big one).
        new = set(texts).difference(self._checked).difference(self.interesting)
        if not new:
            return
        with self._lock:
            for text in new:
                entry = self._contained(text) if len(text) > 2 else _NO_CUE
                if entry:
                    self.words[text] = entry
                    self.interesting.add(text)
                else:
                    self._checked.add(text)

    def _contained(self, token: str) -> tuple[tuple[int, float], ...]:
        """Cues of the cue words inside `token`, longest match first, negated inside the token."""
        words, found = self.cues.words, []
        n, i = len(token), 0
        while i < n:
            for length in range(min(self._inner_max, n - i), 1, -1):
                part = token[i : i + length]
                if length == n or part not in self._inner_set:
                    continue
                rest = token[i + length :]
                negated = i > 0 and token[i - 1] in _INNER_NEGATORS
                fought = i > 0 and token[i - 1] in _INNER_RESOLVERS
                for category, weight in words[part]:
                    if category not in _INHERITED:
                        continue
                    if category in (_PROBLEM, _RESOLVABLE) and (fought or rest in self.cues.beneficiaries):
                        continue  # 困难群众: a group to help; 反腐败: a fight
                    if negated:
                        if category == _PROBLEM:
                            found.append((_ACHIEVEMENT, 0.5 * weight))
                        elif category in (_NEGATABLE, _ACHIEVEMENT):
                            found.append((_PROBLEM, _NEGATED_WEIGHT * weight))
                        continue
                    if category != _NEGATABLE:
                        found.append((category, weight))
                i += length - 1
                break
            i += 1
        merged: dict[int, float] = {}
        for category, weight in found:
            merged[category] = max(merged.get(category, 0.0), weight)
        return tuple(sorted(merged.items()))


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
    texts: Sequence[str],
    lexicon: Mapping[str, object],
    prefixes: frozenset[str],
    max_len: int,
    starts: Iterable[int] | None = None,
) -> Iterable[tuple[int, int, str]]:
    """Lexicon words that jieba split over several tokens: yield (first, last token index, word)."""
    n = len(texts)
    if starts is None:
        starts = [i for i, text in enumerate(texts) if text in prefixes]
    for i in starts:
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
    resolvable: float = 0.0  # the same over the whole sentence: 对这些问题，我们将…加以解决
    resolved: bool = False  # a resolver occurred somewhere in the sentence
    past: str = ""  # the first marker of reported results (了, 已, 去年 …)
    future: bool = False
    directive: bool = False  # the sentence opens with a task verb (加强…)
    measured: bool = False  # an achievement word followed by a figure
    clauses: int = 1
    directive_clauses: int = 0  # clauses that open with a task verb: 打造…，实施…，重点突破…
    exist: bool = False
    concession: bool = False
    turned: bool = False
    factor: float = 1.0

    def add(self, label: int, weight: float, word: str) -> None:
        self.scores[label] += weight * self.factor
        if word and word not in self.evidence[label]:
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


def _label_sentence(scores: Sequence[float], turned: bool = False) -> tuple[int, float] | None:
    """(label index, score in [0, 1]) of one sentence, or None when it has no clear cue.

    Problems win close calls, except after a turn (尽管…困难，但…增长): there the main clause decides.
    """
    p, a, o = scores
    total = p + a + o
    if max(p, a, o) < _MIN_SENTENCE_SCORE:
        return None
    if p >= _MIN_SENTENCE_SCORE and p >= (1.0 if turned else 0.8) * max(a, o):
        label = 0
    elif a >= o:
        label = 1
    else:
        label = 2
    confidence = 1.0 - math.exp(-total / 2.0)
    return label, round(scores[label] / total * confidence, 3)


def _scan_kind(
    texts: Sequence[str],
    tokens: Sequence[Token],
    lexicon: _KindLexicon,
    learn: bool = True,
    interesting: Container[str] | None = None,
) -> list[_SentenceState]:
    """Score every sentence of a token list for problem / achievement / other cues.

    `learn=False` when the caller has already shown the lexicon every new token string.
    """
    cues = lexicon.cues
    if learn:
        lexicon.learn(texts)
    words = lexicon.words
    if interesting is None:
        interesting = lexicon.interesting
    # Only cue words, phrase starts and punctuation matter: the rest is skipped in C.
    visit = list(compress(range(len(texts)), map(interesting.__contains__, texts)))
    prefixes = cues.prefixes
    phrase_at: dict[int, tuple[int, str]] = {}
    starts = [i for i in visit if texts[i] in prefixes]
    for first, last, word in _phrases(texts, words, prefixes, cues.max_len, starts):
        phrase_at.setdefault(first, (last, word))
    sentences: list[_SentenceState] = []
    state = _SentenceState()
    first_index = 0  # the token where the current sentence begins
    skip_to = -1
    negator_at = -_NEGATION_WINDOW - 1
    n = len(texts)
    directives = cues.directives
    clause_start = 0
    for i in visit:
        text = texts[i]
        if text in _SENTENCE_END:
            _close_sentence(state, texts, tokens, first_index, i, sentences, cues.directives, words)
            state = _SentenceState()
            first_index = clause_start = i + 1
            negator_at = -_NEGATION_WINDOW - 1
            continue
        if text in _CLAUSE_END:
            state.end_clause()
            state.clauses += 1
            clause_start = i + 1
            negator_at = -_NEGATION_WINDOW - 1
            continue
        if i == clause_start and text in directives:
            state.directive_clauses += 1
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
        if last + 1 < n and texts[last + 1][:1].isdigit() and any(c == _ACHIEVEMENT for c, _ in entry):
            # 增长8.7%, 突破7000公里, 提高20%: a measured result (增长5%左右 is a target: 左右 is a
            # plan marker)
            state.measured = True
    if first_index < n:
        _close_sentence(state, texts, tokens, first_index, n - 1, sentences, cues.directives, words)
    return sentences


_ENUMERATORS = frozenset(
    {"一是", "二是", "三是", "四是", "五是", "六是", "七是", "八是", "九是", "十是", "首先", "其次", "同时",
     "此外", "另外", "要", "我们", "我们要", "必须", "还要", "更要", "各地", "各级", "各部门", "各单位",
     "（", "）", "(", ")", "、", "．", ".", "——", "—", "一", "二", "三", "四", "五", "六", "七", "八", "九",
     "十", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
)  # fmt: skip
_DIRECTIVE_WEIGHT = 1.0
_DIRECTIVE_SHARE = 0.3
_MEASURED_SHARE = 2.0
_DATED_FIGURE = 0.8
_ENUMERATOR_SCAN = 4


def _directive(
    texts: Sequence[str], first: int, last: int, directives: frozenset[str], words: _CueWords
) -> str:
    """The task verb that opens the sentence (加强…, 一是推进…), or "" when it opens otherwise.

    A token that reports a result itself (全面实现, 不断扩大) opens a record, not a task.
    """
    for i in range(first, min(last + 1, first + _ENUMERATOR_SCAN)):
        text = texts[i]
        if text in _ENUMERATORS or text.isspace():
            continue
        if text in directives:
            return text
        if text[:2] in directives and not any(c == _ACHIEVEMENT and w >= 1.0 for c, w in words.get(text, ())):
            return text
        return ""
    return ""


def _close_sentence(
    state: _SentenceState,
    texts: Sequence[str],
    tokens: Sequence[Token],
    first: int,
    last: int,
    sentences: list[_SentenceState],
    directives: frozenset[str] = frozenset(),
    words: _CueWords | None = None,
) -> None:
    while first <= last and texts[first].isspace():
        first += 1
    if first > last or (first == last and texts[last] in _SENTENCE_END):
        return
    if state.resolved and state.resolvable and state.scores[2]:
        # 对这些问题，我们将采取有力措施加以解决: a commitment to deal with problems named before
        state.scores[0] = max(0.0, state.scores[0] - (1.0 - _RESOLVED_WEIGHT) * state.resolvable)
    verb = _directive(texts, first, last, directives, words or {})
    if not verb and state.directive_clauses >= 2 and 2 * state.directive_clauses >= state.clauses:
        verb = "…"  # most clauses are tasks
    if verb:
        state.factor = 1.0
        state.add(2, _DIRECTIVE_WEIGHT, verb if verb != "…" else "")
        state.directive = True
    if (
        state.past
        and not state.future
        and state.scores[1] < _MIN_SENTENCE_SCORE
        and any(map(str.isdigit, map(_FIRST, texts[first : last + 1])))  # tokens are never empty
    ):
        # 去年常住人口净流入4.5万人: a dated figure is a result even without a result verb
        state.add(1, _DATED_FIGURE, state.past)
    if state.measured and not state.future:
        state.past = state.past or "measured"
    if (verb or state.future) and not state.past:
        # 推动…实现新突破, 我们将…加快解决: the achievement words name goals, not results
        state.scores[1] *= _PLAN_ACHIEVEMENT
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
                    state.resolvable += added * state.factor
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
        elif category == _PAST:
            state.past = state.past or word
        elif category == _FUTURE and not negated:
            state.future = True
        elif category == _RESOLVER and not negated:
            state.resolver = state.resolved = True
            if state.clause_resolvable:
                # 违规收费整治: the resolver comes after its object
                state.scores[0] = max(
                    0.0, state.scores[0] - (1.0 - _RESOLVED_WEIGHT) * state.clause_resolvable
                )
                state.clause_resolvable = 0.0
        elif category == _EXIST:
            # 风险防控…还有薄弱环节: what exists after 存在/还有 is reported, not being dealt with
            state.exist = True
            if word in _STATIVE_EXIST:
                state.resolver = False
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
            result = _label_sentence(state.scores, state.turned)
            if result is None:
                continue
            label, score = result
            share = weight
            if label == 1 and state.measured and not state.future:
                # 增长9.2%, 上升4个百分点: a result with its figure is the surest sign of a record, and
                # outweighs the bare task-like 做法 sentences around it (加强…，推进…)
                share *= _MEASURED_SHARE
            if label == 2 and state.directive and state.scores[2] < _DIRECTIVE_WEIGHT + _MIN_SENTENCE_SCORE:
                # In a longer text a bare 加强…/推进… sentence is as often a record of work done (a
                # 工作回顾) as a task: it weighs little against sentences that say what they are.
                share *= _DIRECTIVE_SHARE
            mass[label] += share * state.scores[label]
            counts[label] += share
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
    if counts[0] and (
        (counts[0] / n >= _PROBLEM_SHARE and mass[0] / total >= _PROBLEM_MASS)
        or mass[0] / total >= _PROBLEM_DOMINANT
    ):
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


def _keywords(counts: Mapping[str, float], keyword_idf: Mapping[str, float], top: int = 8) -> tuple[str, ...]:
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


_MAX_WORD_WEIGHT = 3
_BIT_MASKS = range(8)


def _column_sums(packed: bytes) -> list[int]:
    """How many of the packed little-endian uint64s have each of the 64 bits set."""
    n = len(packed) // 8
    ones = int.from_bytes(b"\x01" * n, "little")
    masks = [ones << bit for bit in _BIT_MASKS]
    sums: list[int] = []
    for byte_index in range(8):
        # Byte `byte_index` of every feature, as one big integer; masking one bit of every byte and
        # counting the set bits gives a column sum in C, with no Python loop per feature.
        plane = int.from_bytes(packed[byte_index::8], "little")
        sums.extend(map(int.bit_count, map(operator.and_, repeat(plane), masks)))
    return sums


def _simhash(features: Sequence[int], excess: Sequence[int] = ()) -> int:
    """64-bit SimHash of feature hashes minus the `excess` ones (a sub-multiset), as a signed int64."""
    n = len(features) - len(excess)
    if n <= 0:
        return 0
    sums = _column_sums(struct.pack(f"<{len(features)}Q", *features))
    if excess:
        sums = list(map(operator.sub, sums, _column_sums(struct.pack(f"<{len(excess)}Q", *excess))))
    half = n / 2
    value: int = sum(map(operator.lshift, map(half.__lt__, sums), range(64)))
    return value - (1 << 64) if value >= 1 << 63 else value


def _fingerprint(
    texts: Sequence[str], counts: Mapping[str, int], hash_of: Mapping[str, int], pair_of: Mapping[str, int]
) -> int:
    """SimHash over content words (weighted by frequency, capped) and their distinct 2-gram shingles.

    Words make a changed sentence move the fingerprint less; 2-grams keep texts that merely share
    vocabulary apart. Stop words and punctuation are left out. `counts` counts `texts`; `hash_of`
    and `pair_of` map the feature words of the text to their hash and 2-gram pair hash.
    """
    # The maps hold this text's feature words only: small dicts, one lookup per token, all in C.
    words = list(filter(hash_of.__contains__, texts))
    if not words:
        return 0
    hashes = list(map(hash_of.__getitem__, words))
    # Each word once per occurrence (the order of features does not matter to a SimHash) but at
    # most _MAX_WORD_WEIGHT times: the occurrences beyond are taken off again. Then the distinct
    # 2-grams.
    heavy = compress(counts, map(_MAX_WORD_WEIGHT.__lt__, counts.values()))
    excess = [
        hash_of[word] for word in heavy if word in hash_of for _ in range(counts[word] - _MAX_WORD_WEIGHT)
    ]
    pairs = set(map(operator.xor, map(pair_of.__getitem__, words), hashes[1:]))
    hashes.extend(pairs)
    return _simhash(hashes, excess)


# ---------------------------------------------------------------------------------------------------
# Analyzer

_TOPIC_CACHE_SIZE = 16
_TEXT = operator.attrgetter("text")
_FIRST = operator.itemgetter(0)
_VOCAB_LIMIT = 500_000
_MAX_TOPICS = 3
_TOPIC_THRESHOLD = 0.6
_TOPIC_RELATIVE = 0.35


@functools.cache
def default_kind_model() -> KindModel | None:
    """The kind model shipped in nlp/data (trained by `python -m nlp train-kind`), if present."""
    path = DATA / "kind_model.json"
    return load_model(path) if path.exists() else None


# Texts of up to this many cue-bearing sentences are like the sentences the model was trained on;
# in longer ones the token evidence is shrunk by sqrt(_MODEL_SENTENCES / n) so that it does not
# swamp the rules' verdict on the whole.
_MODEL_SENTENCES = 2


class Analyzer:
    """Holds a Segmenter and a topic lexicon; `analyze` cuts each text exactly once.

    `kind_model`: the statistical refiner of the rule-based kind; by default the shipped one,
    `None` for rules only.
    """

    def __init__(
        self,
        segmenter: Segmenter,
        topics: TopicLexicon | None = None,
        idf: Mapping[str, float] | None = None,
        kind_model: KindModel | Literal["default"] | None = "default",
    ) -> None:
        self.segmenter = segmenter
        self.kind_model = default_kind_model() if kind_model == "default" else kind_model
        self.topics: TopicLexicon = topics if topics is not None else load_default_topics()
        self._topic_index = _compile_topics(self.topics)
        self._overrides: OrderedDict[int, tuple[TopicLexicon, _TopicIndex]] = OrderedDict()
        self._lock = threading.Lock()
        self._kind = _KindLexicon(_kind_cues())
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
                    self._kind = _KindLexicon(self._kind.cues)
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
        topic_tags = self._topics(index, counts, title_counts, title_texts, texts)

        # Token strings this analyzer has never seen are described once (keyword, fingerprint and
        # kind cues they contain); everything after that is lookups in the small dict of this text.
        distinct = list(counts)
        distinct.extend(filterfalse(counts.__contains__, title_counts))
        records = memoryview(self._records(distinct))
        columns = records.cast("Q")
        flags = columns[3::4].tolist()
        interesting = set(compress(distinct, map(operator.and_, flags, repeat(_INTERESTING))))
        kind, sentences = _aggregate_kind(
            _scan_kind(title_texts, title_tokens, self._kind, learn=False, interesting=interesting),
            _scan_kind(texts, tokens, self._kind, learn=False, interesting=interesting),
        )
        weighted: Mapping[str, float] = counts
        if title_counts:
            weighted = dict(counts)
            for word, count in title_counts.items():
                weighted[word] = weighted.get(word, 0) + _TITLE_WEIGHT * count
        is_keyword = list(map(operator.and_, flags, repeat(_KEYWORD)))
        idfs = compress(records.cast("d")[2::4].tolist(), is_keyword)
        keywords = _keywords(weighted, dict(zip(compress(distinct, is_keyword), idfs, strict=False)))
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
            kind=kind,
            keywords=keywords,
            fingerprint=fingerprint,
            sentences=sentences,
        )
        refined = self.refined_kind(analysis, self.kind_model)
        return analysis if refined is kind else dataclasses.replace(analysis, kind=refined)

    def with_kind_model(self, kind_model: KindModel | None) -> Analyzer:
        """This analyzer with another kind model (None: rules only), sharing everything else."""
        twin = copy.copy(self)
        twin.kind_model = kind_model
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
        if model is None or not rule.score:
            return rule
        features = cls.kind_features(analysis)
        scale = math.sqrt(min(1.0, _MODEL_SENTENCES / max(1, len(analysis.sentences))))
        label, probs = model.decide(features, rule.label, rule.score, scale)
        if _LABELS[label] == rule.label:
            return rule
        return KindTag(_LABELS[label], round(probs[label], 3), model.evidence(features, label))

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

        for word in filter(words.__contains__, counts):
            hit(word, counts[word])
        for word in filter(words.__contains__, title_counts):
            hit(word, _TITLE_WEIGHT * title_counts[word])
        for weight, seq, seen in ((1.0, texts, counts), (_TITLE_WEIGHT, title_texts, title_counts)):
            # Phrase starts among the distinct words first: most texts have few, and the scan over
            # every token is then a probe of a small set.
            starts = index.prefixes.intersection(seen)
            if not starts:
                continue
            positions = compress(range(len(seq)), map(starts.__contains__, seq))
            for _, _, word in _phrases(seq, words, index.prefixes, index.max_len, positions):
                hit(word, weight)

        # Long texts match more words: scale by the log of the length so that a long report is not
        # given every topic while a short item can still reach the threshold.
        length = len(texts) - sum(map(str.isspace, texts)) + len(title_texts)
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
