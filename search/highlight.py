"""Build HTML-escaped snippets and titles with <mark> around whole matched tokens.

Shared by every backend: it works on the stored token stream of a document (the tokens of the one
`nlp` analysis, which concatenate back to the text), so a term marks whole tokens only and a query
马克 never lights up part of 马克思.

A term that matched only through the gram fields (it is in the text but no token of the document
equals it: 农田 inside 高标准农田, 安全生产 across 安全|生产) marks every token that overlaps one of its
occurrences, so the mark still covers whole tokens. That applies to terms of two or more CJK
characters only: a single character would light up half the text, and a Latin word inside a longer
token did not match at all. See `gram_only_terms`.

Highlighting runs on every hit of every search, so it avoids per-token Python work: terms are
found in the text with `str.find` and mapped back to tokens by their offsets, marks are rendered as
slices of the text, and escaping works on those slices (not at all when the text holds nothing to
escape). A term of CJK characters only is found in the displayed text itself (normalising never
makes or changes such characters, so the matches are the same): the normalised text is built only
when a term holds anything else, which a Chinese query seldom does. An index may store a stream as
`pack_stream` packs it, its displayed text and token offsets, so a hit does not rebuild them.
"""

from __future__ import annotations

import html
import re
import struct
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from itertools import accumulate, pairwise

from search.base import Hit
from search.grams import is_cjk_text
from search.query import fold_width, normalize_token

ELLIPSIS = "…"
_SENTENCE_ENDS = set("。！？；!?;\n")
# Lower-casing one string is not always lower-casing its parts: a capital sigma depends on what
# follows it. Such a text is normalised token by token.
_CONTEXTUAL = "\u03a3"
_SPACE = re.compile(r"\s")
_ESCAPED = re.compile("[&<>\"']")  # what html.escape replaces
# A packed stream begins with the type code of its offsets array and their count.
_PACKED_HEAD = struct.Struct("<cI")
# Whether a term is made of CJK characters only, by term (terms repeat across hits and queries).
_PLAIN_LIMIT = 1 << 12
_plain: dict[str, bool] = {}


def _is_plain(term: str) -> bool:
    known = _plain.get(term)
    if known is None:
        if len(_plain) >= _PLAIN_LIMIT:
            _plain.clear()
        known = _plain[term] = is_cjk_text(term)
    return known


def _same(text: str) -> str:
    return text


class _Stream:
    """A token stream ready for matching: display tokens, their text and offsets.

    Empty tokens are dropped and each run of whitespace tokens shows as one space (none at the
    end); `offsets[i]` is where token i begins in `text`, the displayed concatenation.
    """

    __slots__ = ("_found", "_norm", "_shown", "_starts", "escape", "offsets", "text")

    def __init__(self, text: str, offsets: list[int], shown: list[str] | None = None) -> None:
        """Take the displayed text and token offsets as they are (see `of` and `unpack`)."""
        self.text: str = text
        self.offsets: list[int] = offsets
        self.escape: Callable[[str], str] = html.escape if _ESCAPED.search(text) else _same
        self._shown = shown
        self._norm: str | None = None
        self._starts: list[int] = offsets
        self._found: dict[str, list[int]] = {}

    @classmethod
    def of(cls, tokens: Sequence[str]) -> _Stream:
        """The stream of these tokens."""
        shown = tokens if isinstance(tokens, list) else list(tokens)
        text = "".join(shown)
        collapse = "" in shown or (_SPACE.search(text) and any(map(str.isspace, shown)))
        if collapse and not _shows_as_is(shown, text):
            shown = _collapse(shown)
            text = "".join(shown)
        return cls(text, list(accumulate(map(len, shown), initial=0)), shown)

    @classmethod
    def unpack(cls, packed: bytes) -> _Stream:
        """The stream `pack_stream` stored: no splitting, joining or summing of lengths."""
        code, count = _PACKED_HEAD.unpack_from(packed)
        offsets = array(code.decode("ascii"))
        end = _PACKED_HEAD.size + offsets.itemsize * count
        offsets.frombytes(packed[_PACKED_HEAD.size : end])
        return cls(packed[end:].decode("utf-8"), offsets.tolist())

    @property
    def shown(self) -> list[str]:
        """The displayed tokens (none empty; whitespace shows as one space)."""
        if self._shown is None:
            text, offsets = self.text, self.offsets
            self._shown = [text[a:b] for a, b in pairwise(offsets)]
        return self._shown

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def is_space(self, i: int) -> bool:
        """Whether token i shows as a space."""
        at = self.offsets[i]
        return self.offsets[i + 1] == at + 1 and self.text[at] == " "

    def haystack(self, term: str) -> tuple[str, list[int]]:
        """Return the text to find `term` in and its token offsets: the displayed text for a term
        of CJK characters only, else the normalised text (built on first use)."""
        if _is_plain(term):
            return self.text, self.offsets
        if self._norm is None:
            text, shown = self.text, self.shown
            norm = fold_width(text).lower()
            if len(norm) != len(text) or _CONTEXTUAL in text:
                parts = [normalize_token(token) for token in shown]
                norm = "".join(parts)
                self._starts = list(accumulate(map(len, parts), initial=0))
            self._norm = norm
        return self._norm, self._starts

    def whole(self, term: str) -> list[int]:
        """Return the indexes of the tokens whose normalised form equals `term`."""
        known = self._found.get(term)
        if known is None:
            known = self._found[term] = self._whole(term)
        return known

    def _whole(self, term: str) -> list[int]:
        found: list[int] = []
        size = len(term)
        if not size or term.isspace():  # whitespace shows as a space and never matches
            return found
        norm, starts = self.haystack(term)
        at = norm.find(term)
        while at >= 0:
            i = bisect_left(starts, at)
            if i < len(starts) - 1 and starts[i] == at and starts[i + 1] == at + size:
                found.append(i)
            at = norm.find(term, at + 1)
        return found

    def matches(self, terms: AbstractSet[str], inside: AbstractSet[str]) -> tuple[dict[int, str], list[int]]:
        """Return the matched term by token index (matched tokens only) and the matched indexes."""
        matched: dict[int, str] = {}
        for term in terms:
            for i in self.whole(term):
                matched[i] = term
        if inside:
            self._mark_inside(matched, inside)
        return matched, sorted(matched)

    def _mark_inside(self, matched: dict[int, str], inside: AbstractSet[str]) -> None:
        """Mark the whole tokens that overlap an occurrence of a term of `inside`."""
        for term in sorted(inside):
            norm, starts = self.haystack(term)
            at = norm.find(term)
            while at >= 0:
                first = bisect_right(starts, at) - 1
                last = bisect_left(starts, at + len(term))  # one past the last overlapping token
                for i in range(first, last):
                    if i not in matched:
                        matched[i] = term
                at = norm.find(term, at + 1)


def _collapse(tokens: Sequence[str]) -> list[str]:
    """Drop empty tokens, show each whitespace run as one space, none at the end."""
    shown: list[str] = []
    for token in tokens:
        if not token:
            continue
        if token.isspace():
            if shown and shown[-1] != " ":
                shown.append(" ")
            continue
        shown.append(token)
    while shown and shown[-1] == " ":
        shown.pop()
    return shown


def _shows_as_is(tokens: list[str], text: str) -> bool:
    """Whether `_collapse` leaves these tokens (and their text) as they are: every blank token is a
    single space between two others (as in most titles), none is empty."""
    return (
        "" not in tokens
        and tokens[0] != " "
        and tokens[-1] != " "
        and "  " not in text
        and sum(map(str.isspace, tokens)) == tokens.count(" ")
    )


def _gram_only(terms: AbstractSet[str], streams: Sequence[_Stream]) -> frozenset[str]:
    left = {term for term in terms if len(term) >= 2 and _is_plain(term)}
    for stream in streams:
        if not left:
            break
        left = {term for term in left if not stream.whole(term)}
    return frozenset(left)


def gram_only_terms(terms: AbstractSet[str], *streams: Sequence[str]) -> frozenset[str]:
    """Return the terms of 2+ CJK characters that no token of these streams equals.

    Pass all the token streams of one document (title and body): such a term can only have matched
    through the gram fields, so `inside` highlighting applies to it; a term that is a whole token
    somewhere in the document marks whole-token equals only (马克 does not mark 马克思主义 when the
    document also holds the token 马克).
    """
    return _gram_only(terms, [_Stream.of(stream) for stream in streams])


def _render(stream: _Stream, marked: list[int], start: int, end: int) -> str:
    """Render tokens start..end-1 escaped, each run of consecutive `marked` tokens in one <mark>."""
    text, offsets, escape = stream.text, stream.offsets, stream.escape
    parts: list[str] = []
    at = offsets[start]
    k = bisect_left(marked, start)
    stop = bisect_left(marked, end, k)
    while k < stop:
        first = last = marked[k]
        k += 1
        while k < stop and marked[k] == last + 1:
            last = marked[k]
            k += 1
        begin = offsets[first]
        if begin > at:
            parts.append(escape(text[at:begin]))
        at = offsets[last + 1]
        parts.append("<mark>" + escape(text[begin:at]) + "</mark>")
    if offsets[end] > at:
        parts.append(escape(text[at : offsets[end]]))
    return "".join(parts)


def _highlight_all(stream: _Stream, terms: AbstractSet[str], inside: AbstractSet[str]) -> str:
    _, marked = stream.matches(terms, inside)
    return _render(stream, marked, 0, len(stream))


def highlight_all(
    tokens: Sequence[str], terms: AbstractSet[str], inside: AbstractSet[str] = frozenset()
) -> str:
    """Return the whole text HTML-escaped, with matched tokens wrapped in <mark> (for titles).

    `terms` mark tokens equal to them; `inside` (from `gram_only_terms`) mark the whole tokens
    overlapping their occurrences.
    """
    return _highlight_all(_Stream.of(tokens), terms, inside)


def snippet(
    tokens: Sequence[str],
    terms: AbstractSet[str],
    max_chars: int = 120,
    inside: AbstractSet[str] = frozenset(),
) -> str:
    """Return the best window of about `max_chars` characters, escaped, with <mark> highlights.

    `terms` and `inside` mark tokens as in `highlight_all`.

    The best window holds the most distinct matched terms (then the most matches, then the
    earliest); it starts shortly before its first match, at a sentence start when one is near, and
    "…" marks each cut end. Without any match the escaped beginning of the text is returned.
    """
    return _snippet(_Stream.of(tokens), terms, max_chars, inside)


def _snippet(stream: _Stream, terms: AbstractSet[str], max_chars: int, inside: AbstractSet[str]) -> str:
    matched, hits = stream.matches(terms, inside)
    n = len(stream)
    prefix, text = stream.offsets, stream.text

    def window_end(start: int) -> int:
        end = bisect_right(prefix, prefix[start] + max_chars) - 1
        return max(end, start + 1) if start < n else start

    if prefix[-1] <= max_chars:
        return _render(stream, hits, 0, n)
    if not hits:
        return _cut(stream, hits, 0, window_end(0))

    best: tuple[int, int, int] | None = None
    best_start = 0
    for k, m in enumerate(hits):
        end = window_end(m)
        within = hits[k : bisect_left(hits, end, k)]
        score = (len({matched[i] for i in within}), len(within), -m)
        if best is None or score > best:
            best, best_start = score, m
    end = window_end(best_start)
    last_hit = hits[bisect_left(hits, end) - 1]

    # Lead in with some context before the first match, without pushing the last match out.
    budget = min(max_chars // 4, max_chars - (prefix[last_hit + 1] - prefix[best_start]))
    start = best_start
    while start > 0 and text[prefix[start] - 1] not in _SENTENCE_ENDS:
        if prefix[best_start] - prefix[start - 1] > budget:
            break
        start -= 1
    while start < best_start and stream.is_space(start):
        start += 1
    return _cut(stream, hits, start, max(window_end(start), last_hit + 1))


def _cut(stream: _Stream, marked: list[int], start: int, end: int) -> str:
    stop = end
    while stop > start and stream.is_space(stop - 1):
        stop -= 1
    text = _render(stream, marked, start, stop)
    return (ELLIPSIS if start > 0 else "") + text + (ELLIPSIS if end < len(stream) else "")


def make_hit(
    item_id: int,
    score: float,
    title_tokens: Sequence[str],
    body_tokens: Sequence[str],
    terms: AbstractSet[str],
) -> Hit:
    """Build a Hit with the highlighted title and body snippet from a document's stored tokens."""
    return _hit(item_id, score, _Stream.of(title_tokens), _Stream.of(body_tokens), terms)


def pack_stream(tokens: Sequence[str]) -> bytes:
    """Pack a token stream as shown for an index to store: the displayed text and where each token
    begins, so a hit unpacks it with no splitting, joining or summing of lengths (`make_hit_packed`).

    The offsets are in the machine's byte order: an index is rebuilt, not moved between machines.
    """
    stream = _Stream.of(tokens)
    code = "H" if stream.offsets[-1] < 1 << 16 else "I"
    offsets = array(code, stream.offsets)
    head = _PACKED_HEAD.pack(code.encode("ascii"), len(offsets))
    return head + offsets.tobytes() + stream.text.encode("utf-8")


def unpack_tokens(packed: bytes) -> list[str]:
    """The tokens as shown of a packed stream (whitespace runs as one space, no empty token)."""
    return _Stream.unpack(packed).shown


def make_hit_packed(item_id: int, score: float, title: bytes, body: bytes, terms: AbstractSet[str]) -> Hit:
    """Build the Hit `make_hit` builds, from the title and body streams as packed by `pack_stream`."""
    return _hit(item_id, score, _Stream.unpack(title), _Stream.unpack(body), terms)


def _hit(item_id: int, score: float, title: _Stream, body: _Stream, terms: AbstractSet[str]) -> Hit:
    inside = _gram_only(terms, (title, body))
    return Hit(
        id=item_id,
        score=score,
        snippet=_snippet(body, terms, 120, inside),
        title_html=_highlight_all(title, terms, inside),
    )
