"""Parse a user's query string into a small backend-neutral tree, normalised like the index.

The language:

- words separated by spaces must all match (AND);
- ``OR`` (upper case) between two terms or groups matches either; ``AND`` is accepted and ignored;
- ``-word``, ``-"a phrase"``, ``NOT word`` exclude;
- ``"exact phrase"`` (also “…”, 「…」 and 『…』) matches consecutive tokens;
- ``( … )`` groups;
- field filters ``unit:``, ``category:``, ``topic:``, ``kind:``, ``status:`` (exact keyword values) and
  ``title:`` (a word or a quoted phrase searched in titles only); Chinese field names 单位, 类别,
  主题/专题, 类型, 状态, 标题 work too, and a full-width colon is accepted.

Every term is normalised the way the index is: full-width ASCII folded to half-width, Latin
lower-cased, traditional script converted to simplified, then segmented with the same `Segmenter`;
a word that segments into several tokens becomes a phrase of them, punctuation tokens are dropped.
Backends widen every Term and Phrase in place with its character grams (`search.grams`), so a
match does not depend on the segmentation alone: 农田 finds 高标准农田, 王浩 finds 王浩在.

Strictness: an unclosed quote or unbalanced parentheses raise `QuerySyntaxError`; a dangling
operator (``a OR``, a lone ``NOT`` or ``-``) is ignored. A query without any term (empty, only
punctuation, or only field filters) matches every document, restricted by its filters.

Bounds: a query is at most MAX_QUERY_CHARS characters, MAX_QUERY_TERMS words and phrases (and
MAX_QUERY_TOKENS tokens once segmented) and MAX_QUERY_DEPTH nested parentheses; beyond them
`QueryTooComplexError` (a `QuerySyntaxError`, status 400) says so in Chinese. No real search needs
more, and the bounds keep every backend's work on one query small (an OR of 800 terms took seconds
on Whoosh). Negations are read in a loop, so a run of 1,000 ``-`` or ``NOT`` cannot overflow the
stack: an even run cancels, an odd one negates once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat

from nlp.normalize import strip_unsafe_chars, to_simplified
from nlp.segment import Segmenter
from search.base import QuerySyntaxError

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 50  # words, phrases and field filters as typed
MAX_QUERY_TOKENS = 200  # normalised tokens after segmentation, over all terms
MAX_QUERY_DEPTH = 8  # nested parentheses
MAX_QUERY_OPERATORS = 100  # OR, AND, NOT, - and parentheses


class QueryTooComplexError(QuerySyntaxError):
    """The query is longer or more complex than any search needs."""


# Full-width ASCII (U+FF01..U+FF5E) to half-width and the ideographic space to a space: a
# one-to-one character map, so offsets inside a token never move.
_WIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20


_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_NARROW = {chr(code): chr(folded) for code, folded in _WIDTH_TABLE.items()}


def _narrow(match: re.Match[str]) -> str:
    return _NARROW[match.group()]


def fold_width(text: str) -> str:
    """Fold full-width ASCII characters and the ideographic space to their half-width forms."""
    # Chinese text holds a few full-width characters (，：！) among many others: replacing just
    # those is several times faster than str.translate walking every character.
    return _WIDE.sub(_narrow, text)


# Tokens repeat a lot (a vocabulary of some 10^5 words over millions of tokens), so their
# normalised forms are cached; the cache is simply emptied when it grows past its bound.
_CACHE_LIMIT = 1 << 18
_norms: dict[str, str] = {}
_terms: dict[str, str | None] = {}


def normalize_token(token: str) -> str:
    """Return the form of one token used for matching: half-width and lower-case."""
    norm = _norms.get(token)
    if norm is None:
        if len(_norms) >= _CACHE_LIMIT:
            _norms.clear()
        norm = _norms[token] = fold_width(token).lower()
    return norm


def is_word(token: str) -> bool:
    """Whether a (normalised) token carries meaning, i.e. is not punctuation or whitespace."""
    return any(ch.isalnum() for ch in token)


def _index_term(token: str) -> str | None:
    norm = normalize_token(token)
    return norm if is_word(norm) else None


_MISSING = object()


def index_terms(tokens: Iterable[str]) -> list[str]:
    """Return the normalised word tokens of a token stream, in order, as the index stores them."""
    # Every document of a rebuild passes here: look the tokens up in the cache all at once (in
    # C), and only work token by token for the few the cache does not know yet.
    tokens = tokens if isinstance(tokens, list | tuple) else list(tokens)
    terms = _terms
    found: list[object] = list(map(terms.get, tokens, repeat(_MISSING)))
    if _MISSING in found:
        if len(terms) + len(found) >= _CACHE_LIMIT:
            terms.clear()
        for k, term in enumerate(found):
            if term is _MISSING:
                token = tokens[k]
                found[k] = terms[token] = _index_term(token)
    # Terms are never empty (a term holds a letter or digit), so filter(None) drops just the Nones.
    return list(filter(None, found))  # type: ignore[arg-type]


# --- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One normalised token; `field` None searches title and body, "title" titles only.

    `whole` matches the token as a word only, never widened by its grams: similar items search an
    item's own keywords, which are tokens of the same analysis, and widening each of a dozen of
    them cost twice the rest of the query.
    """

    text: str
    field: str | None = None
    whole: bool = False


@dataclass(frozen=True)
class Phrase:
    """Consecutive normalised tokens."""

    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class FieldTerm:
    """An exact keyword value of a filter field: unit, unit_category, topic, kind or status."""

    field: str
    value: str


@dataclass(frozen=True)
class And:
    """All children must match."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one child must match."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The child must not match (meaningful inside an And)."""

    child: Node


@dataclass(frozen=True)
class MatchAll:
    """Every document."""


Node = Term | Phrase | FieldTerm | And | Or | Not | MatchAll

# Keyword filter fields as the user may type them, to our logical field names.
KEYWORD_FIELDS: dict[str, str] = {
    "unit": "unit",
    "单位": "unit",
    "category": "unit_category",
    "类别": "unit_category",
    "topic": "topic",
    "主题": "topic",
    "专题": "topic",
    "kind": "kind",
    "类型": "kind",
    "status": "status",
    "状态": "status",
    "genre": "genre",
    "信息类别": "genre",
}
TEXT_FIELDS: dict[str, str] = {"title": "title", "标题": "title"}

# Chinese labels a user may type for the coded values of kind and status.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "kind": {
        "问题": "problem",
        "问题性": "problem",
        "成绩": "achievement",
        "经验": "achievement",
        "动态": "achievement",
        "其他": "other",
    },
    "genre": {
        "动态": "dynamic",
        "动态信息": "dynamic",
        "调研": "research",
        "调研信息": "research",
        "调研报告": "research",
        "突发": "emergency",
        "突发事件": "emergency",
    },
    "status": {
        "报送": "submitted",
        "已报送": "submitted",
        "待审": "submitted",
        "采用": "adopted",
        "已采用": "adopted",
        "不采用": "rejected",
        "未采用": "rejected",
        "退回": "returned",
        "退回修改": "returned",
    },
}

_QUOTES = {'"': '"”', "“": '”"', "”": '”"', "「": "」", "『": "』"}
_STOP = set("()") | set(_QUOTES)


# --- lexer -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # lparen rparen or and not minus word phrase
    text: str = ""
    field: str | None = None  # for word/phrase: the field prefix as typed, if a known one


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            toks.append(_Tok("lparen"))
            i += 1
        elif ch == ")":
            toks.append(_Tok("rparen"))
            i += 1
        elif ch == "-":
            if i + 1 < n and not text[i + 1].isspace():
                toks.append(_Tok("minus"))
            i += 1
        elif ch in _QUOTES:
            body, i = _read_quoted(text, i)
            toks.append(_Tok("phrase", body))
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _STOP:
                j += 1
            word = text[i:j]
            i = j
            field, sep, value = word.partition(":")
            known = field.lower() if field.isascii() else field
            if sep and (known in KEYWORD_FIELDS or known in TEXT_FIELDS):
                if not value and i < n and text[i] in _QUOTES:
                    body, i = _read_quoted(text, i)
                    toks.append(_Tok("phrase", body, known))
                elif value:
                    toks.append(_Tok("word", value, known))
                else:
                    raise QuerySyntaxError(f"字段「{field}」后缺少检索内容")
            elif word == "OR":
                toks.append(_Tok("or"))
            elif word == "AND":
                toks.append(_Tok("and"))
            elif word == "NOT":
                toks.append(_Tok("not"))
            else:
                toks.append(_Tok("word", word))
    _check_bounds(toks)
    return toks


def _check_bounds(toks: list[_Tok]) -> None:
    terms = sum(tok.kind in ("word", "phrase") for tok in toks)
    if terms > MAX_QUERY_TERMS:
        raise QueryTooComplexError(f"检索词过多：最多 {MAX_QUERY_TERMS} 个词或短语，请精简检索式")
    if len(toks) - terms > MAX_QUERY_OPERATORS:
        raise QueryTooComplexError(f"检索式中的运算符过多：最多 {MAX_QUERY_OPERATORS} 个，请精简检索式")
    depth = 0
    for tok in toks:
        if tok.kind == "lparen":
            depth += 1
            if depth > MAX_QUERY_DEPTH:
                raise QueryTooComplexError(f"括号嵌套过深：最多 {MAX_QUERY_DEPTH} 层")
        elif tok.kind == "rparen":
            depth = max(0, depth - 1)


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    closers = _QUOTES[text[start]]
    for j in range(start + 1, len(text)):
        if text[j] in closers:
            return text[start + 1 : j], j + 1
    raise QuerySyntaxError("引号未闭合，请检查检索式中的引号")


# --- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, toks: list[_Tok], segmenter: Segmenter) -> None:
        self.toks = toks
        self.pos = 0
        self.segmenter = segmenter
        self.tokens = 0  # normalised tokens produced so far

    def peek(self) -> str:
        return self.toks[self.pos].kind if self.pos < len(self.toks) else "end"

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Node:
        node = self.parse_or()
        if self.peek() == "rparen":
            raise QuerySyntaxError("括号不匹配：多了右括号")
        return node if node is not None else MatchAll()

    def parse_or(self) -> Node | None:
        options: list[Node] = []
        first = self.parse_and()
        if first is not None:
            options.append(first)
        while self.peek() == "or":
            self.take()
            nxt = self.parse_and()
            if nxt is not None:
                options.append(nxt)
        if not options:
            return None
        return options[0] if len(options) == 1 else Or(tuple(options))

    def parse_and(self) -> Node | None:
        items: list[Node] = []
        while self.peek() not in ("end", "rparen", "or"):
            if self.peek() == "and":
                self.take()
                continue
            node = self.parse_unary()
            if node is not None:
                items.append(node)
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node | None:
        # A loop, not recursion: a run of negations is only counted.
        negations = 0
        while self.peek() in ("minus", "not"):
            self.take()
            negations += 1
            if self.peek() in ("end", "rparen", "or", "and"):
                return None
        operand = self.parse_atom()
        if operand is None or negations % 2 == 0:
            return operand
        return Not(operand)

    def parse_atom(self) -> Node | None:
        tok = self.take()
        if tok.kind == "lparen":
            node = self.parse_or()
            if self.peek() != "rparen":
                raise QuerySyntaxError("括号不匹配：缺少右括号")
            self.take()
            return node
        if tok.field is not None and tok.field in KEYWORD_FIELDS:
            field = KEYWORD_FIELDS[tok.field]
            value = tok.text.strip()
            value = VALUE_ALIASES.get(field, {}).get(value, value)
            return FieldTerm(field, value) if value else None
        field_name = TEXT_FIELDS.get(tok.field) if tok.field is not None else None
        return self.text_node(tok.text, field_name)

    def text_node(self, text: str, field: str | None) -> Node | None:
        words = tuple(index_terms(self.segmenter.words(text.lower())))
        if not words:
            return None
        self.tokens += len(words)
        if self.tokens > MAX_QUERY_TOKENS:
            raise QueryTooComplexError(f"检索式过长：分词后最多 {MAX_QUERY_TOKENS} 个词，请精简检索式")
        if len(words) == 1:
            return Term(words[0], field)
        return Phrase(words, field)


def normalize_query_text(text: str) -> str:
    """Fold widths and convert to simplified script, as the index's text was before segmenting.

    Characters no text of the index holds (NUL, controls, lone surrogates, which OpenCC cannot even
    encode) are dropped first.
    """
    return to_simplified(fold_width(strip_unsafe_chars(text)))


def parse_query(text: str, segmenter: Segmenter) -> Node:
    """Parse a user's query into a normalised tree; raise QuerySyntaxError on bad syntax.

    A query beyond the bounds (MAX_QUERY_CHARS and friends) raises QueryTooComplexError.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooComplexError(f"检索式过长：最多 {MAX_QUERY_CHARS} 个字符，请精简检索式")
    return _Parser(_lex(normalize_query_text(text)), segmenter).parse()


def positive_terms(node: Node) -> set[str]:
    """Return the tokens a matching document may contain, for highlighting (negations skipped)."""
    found: set[str] = set()
    _collect(node, found)
    return found


def _collect(node: Node, found: set[str]) -> None:
    if isinstance(node, Term):
        found.add(node.text)
    elif isinstance(node, Phrase):
        found.update(node.words)
    elif isinstance(node, And | Or):
        for child in node.children:
            _collect(child, found)
    # Not, FieldTerm and MatchAll contribute nothing to highlight.


def has_text(node: Node) -> bool:
    """Whether the tree contains any positive full-text term (otherwise relevance is meaningless)."""
    return bool(positive_terms(node))
