"""Build HTML-escaped snippets and titles with <mark> around whole matched tokens.

Shared by every backend: it works on the stored token stream of a document (the tokens of the one
`nlp` analysis, which concatenate back to the text), so a term marks whole tokens only and a query
马克 never lights up part of 马克思.

A term that matched only through the gram fields (it is in the text but no token of the document
equals it: 农田 inside 高标准农田, 安全生产 across 安全|生产) marks every token that overlaps one of its
occurrences, so the mark still covers whole tokens. That applies to terms of two or more CJK
characters only: a single character would light up half the text, and a Latin word inside a longer
token did not match at all. See `gram_only_terms`.
"""

from __future__ import annotations

import html
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from search.base import Hit
from search.grams import is_cjk_text
from search.query import normalize_token

ELLIPSIS = "…"
_SENTENCE_ENDS = set("。！？；!?;\n")


def gram_only_terms(terms: AbstractSet[str], *streams: Sequence[str]) -> frozenset[str]:
    """Return the terms of 2+ CJK characters that no token of these streams equals.

    Pass all the token streams of one document (title and body): such a term can only have matched
    through the gram fields, so `inside` highlighting applies to it; a term that is a whole token
    somewhere in the document marks whole-token equals only (马克 does not mark 马克思主义 when the
    document also holds the token 马克).
    """
    candidates = {term for term in terms if len(term) >= 2 and is_cjk_text(term)}
    if not candidates:
        return frozenset()
    for stream in streams:
        for token in stream:
            norm = normalize_token(token)
            if norm in candidates:
                candidates.discard(norm)
                if not candidates:
                    return frozenset()
    return frozenset(candidates)


def _prepare(
    tokens: Sequence[str], terms: AbstractSet[str], inside: AbstractSet[str] = frozenset()
) -> tuple[list[str], list[str | None]]:
    """Collapse whitespace runs to one space; return display tokens and the matched term of each."""
    shown: list[str] = []
    matched: list[str | None] = []
    for token in tokens:
        if not token:
            continue
        if token.isspace():
            if shown and shown[-1] != " ":
                shown.append(" ")
                matched.append(None)
            continue
        shown.append(token)
        norm = normalize_token(token)
        matched.append(norm if norm in terms else None)
    while shown and shown[-1] == " ":
        shown.pop()
        matched.pop()
    if inside:
        _mark_inside(shown, matched, inside)
    return shown, matched


def _mark_inside(shown: list[str], matched: list[str | None], inside: AbstractSet[str]) -> None:
    """Mark the whole tokens that overlap an occurrence of a term of `inside` in the joined text."""
    norms = [normalize_token(token) for token in shown]
    starts = [0]
    for norm in norms:
        starts.append(starts[-1] + len(norm))
    text = "".join(norms)
    for term in sorted(inside):
        at = text.find(term)
        while at >= 0:
            first = bisect_right(starts, at) - 1
            last = bisect_left(starts, at + len(term))  # one past the last overlapping token
            for i in range(first, last):
                if matched[i] is None:
                    matched[i] = term
            at = text.find(term, at + 1)


def _render(shown: list[str], matched: list[str | None], start: int, end: int) -> str:
    parts: list[str] = []
    in_mark = False
    for i in range(start, end):
        if matched[i] is not None and not in_mark:
            parts.append("<mark>")
            in_mark = True
        elif matched[i] is None and in_mark:
            parts.append("</mark>")
            in_mark = False
        parts.append(html.escape(shown[i]))
    if in_mark:
        parts.append("</mark>")
    return "".join(parts)


def highlight_all(
    tokens: Sequence[str], terms: AbstractSet[str], inside: AbstractSet[str] = frozenset()
) -> str:
    """Return the whole text HTML-escaped, with matched tokens wrapped in <mark> (for titles).

    `terms` mark tokens equal to them; `inside` (from `gram_only_terms`) mark the whole tokens
    overlapping their occurrences.
    """
    shown, matched = _prepare(tokens, terms, inside)
    return _render(shown, matched, 0, len(shown))


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
    shown, matched = _prepare(tokens, terms, inside)
    n = len(shown)
    prefix = [0]
    for token in shown:
        prefix.append(prefix[-1] + len(token))

    def window_end(start: int) -> int:
        end = bisect_right(prefix, prefix[start] + max_chars) - 1
        return max(end, start + 1) if start < n else start

    if prefix[-1] <= max_chars:
        return _render(shown, matched, 0, n)
    hits = [i for i, term in enumerate(matched) if term is not None]
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
    inside = gram_only_terms(terms, title_tokens, body_tokens)
    return Hit(
        id=item_id,
        score=score,
        snippet=snippet(body_tokens, terms, inside=inside),
        title_html=highlight_all(title_tokens, terms, inside),
    )
