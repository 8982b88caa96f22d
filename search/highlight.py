"""Build HTML-escaped snippets and titles with <mark> around whole matched tokens.

Shared by every backend: it works on the stored token stream of a document (the tokens of the one
`nlp` analysis, which concatenate back to the text), so a term marks whole tokens only and a query
马克 never lights up part of 马克思.

A term that matched only through the gram fields (it is in the text but no token of the document
equals it: 农田 inside 高标准农田, 安全生产 across 安全|生产) marks every token that overlaps one of its
occurrences, so the mark still covers whole tokens. That applies to terms of two or more CJK
characters only: a single character would light up half the text, and a Latin word inside a longer
token did not match at all. See `gram_only_terms`.

Highlighting runs on every hit of every search, so it avoids per-token Python work: a stream is
normalised once as one string, terms are found in it with `str.find` and mapped back to tokens by
their offsets, and escaping works on joined runs of tokens.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from itertools import accumulate

from search.base import Hit
from search.grams import is_cjk_text
from search.query import fold_width, normalize_token

ELLIPSIS = "…"
_SENTENCE_ENDS = set("。！？；!?;\n")
# Lower-casing one string is not always lower-casing its parts: a capital sigma depends on what
# follows it. Such a text is normalised token by token.
_CONTEXTUAL = "\u03a3"
_SPACE = re.compile(r"\s")


class _Stream:
    """A token stream ready for matching: display tokens and their normalised text with offsets.

    Empty tokens are dropped and each run of whitespace tokens shows as one space (none at the
    end); `starts[i]` is where token i begins in `norm`, the normalised concatenation.
    """

    __slots__ = ("_found", "norm", "offsets", "shown", "starts")

    def __init__(self, tokens: Sequence[str]) -> None:
        shown = tokens if isinstance(tokens, list) else list(tokens)
        text = "".join(shown)
        if "" in shown or (_SPACE.search(text) and any(map(str.isspace, shown))):
            shown = _collapse(shown)
            text = "".join(shown)
        norm = fold_width(text).lower()
        offsets = list(accumulate(map(len, shown), initial=0))
        starts = offsets
        if len(norm) != len(text) or _CONTEXTUAL in text:
            parts = [normalize_token(token) for token in shown]
            norm = "".join(parts)
            starts = list(accumulate(map(len, parts), initial=0))
        self.shown: list[str] = shown
        self.norm: str = norm
        self.starts: list[int] = starts  # token offsets in `norm`
        self.offsets: list[int] = offsets  # token offsets in the displayed text
        self._found: dict[str, list[int]] = {}

    def whole(self, term: str) -> list[int]:
        """Return the indexes of the tokens whose normalised form equals `term`."""
        known = self._found.get(term)
        if known is None:
            known = self._found[term] = self._whole(term)
        return known

    def _whole(self, term: str) -> list[int]:
        found: list[int] = []
        norm, starts = self.norm, self.starts
        size = len(term)
        if not size or term.isspace():  # whitespace shows as a space and never matches
            return found
        at = norm.find(term)
        while at >= 0:
            i = bisect_left(starts, at)
            if i < len(starts) - 1 and starts[i] == at and starts[i + 1] == at + size:
                found.append(i)
            at = norm.find(term, at + 1)
        return found

    def matches(
        self, terms: AbstractSet[str], inside: AbstractSet[str]
    ) -> tuple[list[str | None], list[int]]:
        """Return the matched term of each token (None where none matched) and the matched indexes."""
        matched: list[str | None] = [None] * len(self.shown)
        marked: set[int] = set()
        for term in terms:
            for i in self.whole(term):
                matched[i] = term
                marked.add(i)
        if inside:
            self._mark_inside(matched, marked, inside)
        return matched, sorted(marked)

    def _mark_inside(self, matched: list[str | None], marked: set[int], inside: AbstractSet[str]) -> None:
        """Mark the whole tokens that overlap an occurrence of a term of `inside`."""
        norm, starts = self.norm, self.starts
        for term in sorted(inside):
            at = norm.find(term)
            while at >= 0:
                first = bisect_right(starts, at) - 1
                last = bisect_left(starts, at + len(term))  # one past the last overlapping token
                for i in range(first, last):
                    if matched[i] is None:
                        matched[i] = term
                        marked.add(i)
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


def _gram_only(terms: AbstractSet[str], streams: Sequence[_Stream]) -> frozenset[str]:
    candidates = {term for term in terms if len(term) >= 2 and is_cjk_text(term)}
    if not candidates:
        return frozenset()
    return frozenset(term for term in candidates if not any(stream.whole(term) for stream in streams))


def gram_only_terms(terms: AbstractSet[str], *streams: Sequence[str]) -> frozenset[str]:
    """Return the terms of 2+ CJK characters that no token of these streams equals.

    Pass all the token streams of one document (title and body): such a term can only have matched
    through the gram fields, so `inside` highlighting applies to it; a term that is a whole token
    somewhere in the document marks whole-token equals only (马克 does not mark 马克思主义 when the
    document also holds the token 马克).
    """
    return _gram_only(terms, [_Stream(stream) for stream in streams])


def _render(shown: list[str], matched: list[str | None], start: int, end: int) -> str:
    parts: list[str] = []
    escape = html.escape
    i = start
    while i < end:
        j = i
        if matched[i] is None:
            while j < end and matched[j] is None:
                j += 1
            parts.append(escape("".join(shown[i:j])))
        else:
            while j < end and matched[j] is not None:
                j += 1
            parts.append("<mark>" + escape("".join(shown[i:j])) + "</mark>")
        i = j
    return "".join(parts)


def _highlight_all(stream: _Stream, terms: AbstractSet[str], inside: AbstractSet[str]) -> str:
    matched, _ = stream.matches(terms, inside)
    return _render(stream.shown, matched, 0, len(stream.shown))


def highlight_all(
    tokens: Sequence[str], terms: AbstractSet[str], inside: AbstractSet[str] = frozenset()
) -> str:
    """Return the whole text HTML-escaped, with matched tokens wrapped in <mark> (for titles).

    `terms` mark tokens equal to them; `inside` (from `gram_only_terms`) mark the whole tokens
    overlapping their occurrences.
    """
    return _highlight_all(_Stream(tokens), terms, inside)


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
    return _snippet(_Stream(tokens), terms, max_chars, inside)


def _snippet(stream: _Stream, terms: AbstractSet[str], max_chars: int, inside: AbstractSet[str]) -> str:
    shown = stream.shown
    matched, hits = stream.matches(terms, inside)
    n = len(shown)
    prefix = stream.offsets

    def window_end(start: int) -> int:
        end = bisect_right(prefix, prefix[start] + max_chars) - 1
        return max(end, start + 1) if start < n else start

    if prefix[-1] <= max_chars:
        return _render(shown, matched, 0, n)
    if not hits:
        return _cut(shown, matched, 0, window_end(0))

    best: tuple[int, int, int] | None = None
    best_start = 0
    for m in hits:
        end = window_end(m)
        within = hits[bisect_left(hits, m) : bisect_left(hits, end)]
        score = (len({matched[i] for i in within}), len(within), -m)
        if best is None or score > best:
            best, best_start = score, m
    end = window_end(best_start)
    last_hit = hits[bisect_left(hits, end) - 1]

    # Lead in with some context before the first match, without pushing the last match out.
    budget = min(max_chars // 4, max_chars - (prefix[last_hit + 1] - prefix[best_start]))
    start = best_start
    while start > 0 and shown[start - 1][-1] not in _SENTENCE_ENDS:
        if prefix[best_start] - prefix[start - 1] > budget:
            break
        start -= 1
    while start < best_start and shown[start] == " ":
        start += 1
    return _cut(shown, matched, start, max(window_end(start), last_hit + 1))


def _cut(shown: list[str], matched: list[str | None], start: int, end: int) -> str:
    stop = end
    while stop > start and shown[stop - 1] == " ":
        stop -= 1
    text = _render(shown, matched, start, stop)
    return (ELLIPSIS if start > 0 else "") + text + (ELLIPSIS if end < len(shown) else "")


def make_hit(
    item_id: int,
    score: float,
    title_tokens: Sequence[str],
    body_tokens: Sequence[str],
    terms: AbstractSet[str],
) -> Hit:
    """Build a Hit with the highlighted title and body snippet from a document's stored tokens."""
    title, body = _Stream(title_tokens), _Stream(body_tokens)
    inside = _gram_only(terms, (title, body))
    return Hit(
        id=item_id,
        score=score,
        snippet=_snippet(body, terms, 120, inside),
        title_html=_highlight_all(title, terms, inside),
    )
