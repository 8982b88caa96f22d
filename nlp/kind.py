"""Kind by cue rules: problem / achievement / other per sentence and per item, with evidence.

The lexicon (`data/kind_cues.json`) holds cue words by category; the scan walks the tokens of a text
once, sentence by sentence, applying negation, contrast (但), concession, resolvers (解决…问题) and the
plan/record frame; `aggregate_kind` turns the sentences into the item's label. The statistical
refiner lives in `kind_model`; `Analyzer` composes both.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter

from nlp.lexicon import DATA, LABELS, KindLabel, phrases, proper_prefixes
from nlp.segment import Token

_CueWords = Mapping[str, tuple[tuple[int, float], ...]]
_FIRST = itemgetter(0)


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


# Token categories of the kind lexicon.
_PROBLEM, _ACHIEVEMENT, _OTHER, _NEGATOR, _NEGATABLE, _TURN, _CONCESSION, _RESOLVER, _EXIST = range(9)
_RESOLVABLE = 9  # a problem word that a resolver can take as its object (解决…问题)
_DECREASE = 10  # 下降, 减少: after a problem word of the same clause, an improvement (事故下降)
_DECREASE_WEIGHT = 1.2
_PAST, _FUTURE = 11, 12  # markers of reported results / of a plan (they add no weight themselves)
_PLAN_ACHIEVEMENT = 0.5  # achievement words in a plan frame are goals: 推动…实现新突破
# A citizen's voice (complaint or request, DOMAIN "Kind: how to label"): the markers of a citizen
# writing (我家, 请问, 您好), requests (希望, 能否, 建议) and the fixes they ask for (维修, 查处), and the
# complaints that count only in such a frame (没人管, 太贵, 不给 …).
_VOICE, _REQUEST, _FIX, _GRIEVANCE = 13, 14, 15, 16
_ACTOR = 18  # an office or a unit as the subject: 我们, 县委办, 各单位 (whose acts are work done)
_META = 17  # talk about problems (问题性信息, 所谓): the problem words of the sentence are a topic, not news
_REQUEST_WEIGHT = 1.5
_GRIEVANCE_FRAME = 1.8  # grievance weight that makes a short text a complaint without a citizen's voice
_GRIEVANCE_SENTENCES = 3
_GRIEVANCE_WEIGHT = 1.0
_META_FACTOR = 0.2
_RECORD_WEIGHT = 0.8
_QUESTION = frozenset({"？", "?"})

_SENTENCE_END = frozenset({"。", "！", "？", "；", "\n", "!", "?", ";", "……", "…"})
_CLAUSE_END = frozenset({"，", "：", ",", ":", "（", "）", "——", " "})
_NEGATION_WINDOW = 5  # tokens after 没有 in which 采用 is still negated: 未能 / 在 / 规定 / 时间 / 内 / 报送
_NEGATED_WEIGHT = 1.2
_TURN_BEFORE = 0.5  # cues before 但/然而 count half …
_TURN_AFTER = 1.5  # … and those after it half as much again
_EXIST_BOOST = 1.5
_RESOLVED_WEIGHT = 0.15  # 解决…问题: the problem word is being dealt with
TITLE_WEIGHT = 2.0
_MIN_SENTENCE_SCORE = 0.8
# Problems win once they are a quarter of the labelled sentences and carry a fair share of the cue mass,
# or once they dominate the mass: offices want them surfaced, but one 面对…困难 in a record of
# results does not make a problem item.
_PROBLEM_SHARE = 0.25
_PROBLEM_MASS = 0.2
_PROBLEM_DOMINANT = 0.4


@dataclass(frozen=True, slots=True)
class Cues:
    """The kind lexicon compiled to dicts: word -> list of (category, weight)."""

    words: dict[str, tuple[tuple[int, float], ...]]
    prefixes: frozenset[str]
    max_len: int
    beneficiaries: frozenset[str]
    interesting: frozenset[str]  # cue words, phrase starts and punctuation: tokens the scan must see
    directives: frozenset[str]  # verbs that open a task sentence: 加强…, 推进…


@functools.cache
def kind_cues() -> Cues:
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
    for word, weight in raw.get("grievances", {}).items():
        add(word, _GRIEVANCE, float(weight))
    for name, category in (
        ("voice", _VOICE),
        ("requests", _REQUEST),
        ("fixes", _FIX),
        ("meta", _META),
        ("actors", _ACTOR),
        ("negators", _NEGATOR),
        ("turns", _TURN),
        ("concessions", _CONCESSION),
        ("resolvers", _RESOLVER),
        ("existence", _EXIST),
    ):
        for word in raw.get(name, ()):
            add(word, category, 1.0)
    words = {word: tuple(sorted(values)) for word, values in entries.items()}
    prefixes = proper_prefixes(words)
    interesting = frozenset(words) | prefixes | _SENTENCE_END | _CLAUSE_END
    return Cues(
        words,
        prefixes,
        max(map(len, words)),
        frozenset(raw["beneficiaries"]),
        interesting,
        frozenset(raw.get("directives", ())),
    )


# Categories a token inherits from a cue word it contains (取得成效, 薄弱环节, 不断扩大); negators,
# turns and concessions only count as whole tokens.
_INHERITED = frozenset(
    {_PROBLEM, _ACHIEVEMENT, _OTHER, _NEGATABLE, _RESOLVER, _EXIST, _RESOLVABLE, _DECREASE, _PAST, _FUTURE,
     _GRIEVANCE, _FIX}
)  # fmt: skip
_INNER_NEGATORS = frozenset("不未没无非零")  # 零迟报, 零事故: a problem that did not happen
_INNER_RESOLVERS = frozenset("反防治抗除")  # 反腐败, 防风险, 治污: the problem word is being fought
# Existence words that state what is still there (存在/仍有…); after them a problem is reported even
# when a resolver came earlier in the clause. 出现/发现 do not: 应对出现的新问题.
_STATIVE_EXIST = frozenset({"存在", "还有", "仍有", "仍然", "依然", "尚", "仍", "尚有", "仍存在", "依然存在"})
_NO_CUE: tuple[tuple[int, float], ...] = ()


class KindLexicon:
    """The kind cues plus, per token string seen, the cues it contains (computed once, cached).

    jieba often keeps a cue inside a longer token (取得成效, 成效显著, 薄弱环节); looking each new
    token up once keeps the scan itself to set and dict lookups.
    """

    def __init__(self, cues: Cues) -> None:
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


# ---------------------------------------------------------------------------------------------------
# Kind


@dataclass(slots=True)
class SentenceState:
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
    voice: str = ""  # a marker of a citizen writing (我家, 请问, 您好)
    requests: list[str] = field(default_factory=list)  # 希望, 能否, 建议 … and question marks
    fix: bool = False  # a fix is asked for or named: 维修, 查处, 解决
    grievances: list[tuple[str, float]] = field(default_factory=list)  # count only in a citizen's frame
    refusals: list[str] = field(default_factory=list)  # 不立案, 没人来: count only in a citizen's voice
    meta: bool = False  # the sentence talks about problems (问题性信息, 所谓…): not a problem itself
    actor: bool = False  # an office or unit acts in the sentence: 我们, 县委办, 各单位

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


def scan_kind(
    texts: Sequence[str],
    tokens: Sequence[Token],
    lexicon: KindLexicon,
    learn: bool = True,
    interesting: Container[str] | None = None,
) -> list[SentenceState]:
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
    for first, last, word in phrases(texts, words, prefixes, cues.max_len, starts):
        phrase_at.setdefault(first, (last, word))
    sentences: list[SentenceState] = []
    state = SentenceState()
    first_index = 0  # the token where the current sentence begins
    skip_to = -1
    negator_at = -_NEGATION_WINDOW - 1
    n = len(texts)
    directives = cues.directives
    clause_start = 0
    for i in visit:
        text = texts[i]
        if text in _SENTENCE_END:
            if text in _QUESTION:
                state.requests.append(text)
            _close_sentence(state, texts, tokens, first_index, i, sentences, cues.directives, words)
            state = SentenceState()
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
            following = texts[last + 1] if last + 1 < n else ""
            if following.isalpha() and following not in words and following not in prefixes:
                # 不立案, 不承认, 没人来: a plain verb refused — a complaint in a citizen's frame
                state.refusals.append(text + following)
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
    state: SentenceState,
    texts: Sequence[str],
    tokens: Sequence[Token],
    first: int,
    last: int,
    sentences: list[SentenceState],
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
    if state.meta:
        # 报送问题性信息也是为人民服务的体现, 所谓问题性信息，就是…: talk about problems
        state.scores[0] *= _META_FACTOR
    verb = _directive(texts, first, last, directives, words or {})
    if not verb and state.directive_clauses >= 2 and 2 * state.directive_clauses >= state.clauses:
        verb = "…"  # most clauses are tasks
    if verb and state.past and not state.future and verb != "…":
        # 进一步健全了报送制度, 近年来加强…: a task verb with a past marker records work done
        state.add(1, _DIRECTIVE_WEIGHT, verb)
    elif verb:
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
    state: SentenceState, word: str, entry: tuple[tuple[int, float], ...], negated: bool, adjacent: bool
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
        elif category == _GRIEVANCE and not negated:
            state.grievances.append((word, weight))
        elif category == _VOICE:
            state.voice = state.voice or word
        elif category == _REQUEST and not negated:
            state.requests.append(word)
        elif category == _FIX:
            state.fix = True
        elif category == _META:
            state.meta = True
        elif category == _ACTOR:
            state.actor = True
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


def _citizen_frame(*parts: Sequence[SentenceState]) -> bool:
    """Read the text as a citizen's complaint or request when it shows a citizen's voice, or asks
    for a fix; then requests, refusals and the grievance words count as problems (DOMAIN: "a
    citizen's complaint or request to fix something is a problem, however polite, even as a
    question"). Returns whether the frame applies; the sentences' scores are changed in place.
    """
    states = [state for part in parts for state in part]
    voiced = any(state.voice for state in states)
    asked = any(state.requests and state.fix for state in states)
    # 交了一年多还没有结果, 开放时间太短…根本没有时间: a short text made of grievances
    # 还不开发票, 不给底片: a short text whose only signals are grievances and refusals
    grieved = len(states) <= _GRIEVANCE_SENTENCES and (
        sum(weight for state in states for _, weight in state.grievances) >= _GRIEVANCE_FRAME
        or (
            any(state.grievances or state.refusals for state in states)
            and all(max(state.scores) < _MIN_SENTENCE_SCORE for state in states)
        )
    )
    if not voiced and not asked and not grieved:
        return False
    for state in states:
        for word, weight in state.grievances:
            state.add(0, weight, word)
        for word in state.refusals:
            state.add(0, _GRIEVANCE_WEIGHT, word)
        if state.requests and (voiced or state.fix):
            # the request words are `other` cues (希望, 建议, 请): here they ask for a fix
            state.scores[2] = max(0.0, state.scores[2] - _REQUEST_WEIGHT)
            state.add(0, _REQUEST_WEIGHT, state.requests[0])
    return True


def _closing_problems(order: Sequence[int]) -> bool:
    """Whether the problem sentences only close the text: achievement first, every problem after it."""
    if not order or order[0] != 1 or 0 not in order:
        return False
    first_problem = order.index(0)
    return 1 not in order[first_problem:]


@dataclass(frozen=True, slots=True)
class RuleKind:
    """The rules' verdict on one item: its kind, its labelled body sentences, whether any sentence
    (title included) reports a problem, and whether it reads as a citizen's complaint or request."""

    tag: KindTag
    sentences: tuple[SentenceKind, ...]
    any_problem: bool
    citizen: bool


def aggregate_kind(title: Sequence[SentenceState], text: Sequence[SentenceState]) -> RuleKind:
    """The item's kind from its scanned title and body sentences."""
    citizen = _citizen_frame(title, text)
    if not citizen:
        for state in (*title, *text):
            if (
                state.past
                and not state.future
                and state.actor
                and not state.directive
                and not state.grievances
                and not state.refusals
                and max(state.scores) < _MIN_SENTENCE_SCORE
            ):
                # 县委办与各部门签订了目标责任书: an office's completed act with no other cue is a record
                # of work done (DOMAIN); in a citizen's text, or beside a grievance or a refusal, the
                # same 了 reports what went wrong
                state.add(1, _RECORD_WEIGHT, state.past)
    mass = [0.0, 0.0, 0.0]
    counts = [0.0, 0.0, 0.0]
    evidence: tuple[list[str], list[str], list[str]] = ([], [], [])
    labelled: list[SentenceKind] = []
    order: list[int] = []  # the labels of the title and body sentences, in reading order
    for weight, states in ((TITLE_WEIGHT, title), (1.0, text)):
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
            order.append(label)
            for word in state.evidence[label]:
                if word not in evidence[label]:
                    evidence[label].append(word)
            if states is text:
                words = tuple(state.evidence[label])
                labelled.append(SentenceKind(state.start, state.end, LABELS[label], score, words))
    total = sum(mass)
    if total == 0:
        return RuleKind(KindTag("other", 0.0, ()), tuple(labelled), False, citizen)
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
    if label == 0 and _closing_problems(order) and counts[1] > counts[0]:
        # 成绩…。但也存在…问题。: the headline and most of the body report results; the closing
        # problems make it an achievement item that contains problems (DOMAIN, mixed texts)
        label = 1
    confidence = 1.0 - math.exp(-total / 3.0)
    share = max(mass[label] / total, counts[label] / n)
    score = round(min(1.0, share * confidence), 3)
    return RuleKind(
        KindTag(LABELS[label], score, tuple(evidence[label][:8])), tuple(labelled), counts[0] > 0, citizen
    )
