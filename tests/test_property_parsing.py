"""Properties of the text normaliser and the query parser over arbitrary input (hypothesis)."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp import Segmenter
from nlp.normalize import clean_text, strip_unsafe_chars
from search import QuerySyntaxError, parse_query
from search.query import MAX_QUERY_CHARS, Node, positive_terms

UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Every code point, surrogates and controls included: what a JSON "\uXXXX" escape can smuggle in.
ANY_TEXT = st.text(alphabet=st.characters(codec=None, categories=None), max_size=300)
# Text made of the query language's own pieces, so operators, quotes and brackets meet often.
QUERY_PIECES = st.sampled_from(
    [" ", "-", "NOT ", " OR ", " AND ", "(", ")", '"', "“", "”", "「", "」", "『", "』", "：", ":",
     "unit:", "title:", "标题：", "status:", "kind:问题", "农田", "高标准农田建设", "abc", "Ｆｕｌｌ", "\x00",
     "\ud800", "\t", "國務院"]
)  # fmt: skip
QUERY_TEXT = st.lists(QUERY_PIECES, max_size=120).map("".join) | ANY_TEXT
FAST = settings(max_examples=300, derandomize=True, deadline=None, database=None)


@FAST
@given(ANY_TEXT)
def test_strip_unsafe_chars_leaves_nothing_unsafe_and_is_idempotent(text: str) -> None:
    cleaned = strip_unsafe_chars(text)
    assert not UNSAFE.search(cleaned)
    cleaned.encode("utf-8")  # no surrogate left: every database and encoder takes it
    assert strip_unsafe_chars(cleaned) == cleaned
    assert len(cleaned) <= len(text)


@FAST
@given(
    st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs"]) | st.sampled_from("\t\n\r"), max_size=200)
)
def test_strip_unsafe_chars_keeps_safe_text_unchanged(text: str) -> None:
    assert strip_unsafe_chars(text) == text


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(ANY_TEXT)
def test_clean_text_never_raises_on_cleaned_input(text: str) -> None:
    cleaned = clean_text(strip_unsafe_chars(text))
    assert not UNSAFE.search(cleaned)
    assert clean_text(cleaned) is not None


def _parse(text: str, segmenter: Segmenter) -> Node | None:
    try:
        return parse_query(text, segmenter)
    except QuerySyntaxError as exc:  # the package's own error, with a Chinese message for the user
        assert exc.status_hint == 400 and re.search(r"[\u4e00-\u9fff]", str(exc))
        return None


def test_query_parser_answers_any_text_with_a_tree_or_its_own_error(segmenter: Segmenter) -> None:
    slowest = 0.0

    @FAST
    @given(QUERY_TEXT)
    def check(text: str) -> None:
        nonlocal slowest
        start = time.perf_counter()
        node = _parse(text, segmenter)
        elapsed = time.perf_counter() - start
        slowest = max(slowest, elapsed)
        assert elapsed < 0.5, (text, elapsed)
        if node is not None:
            assert len(text) <= MAX_QUERY_CHARS
            positive_terms(node)  # the tree is walkable

    check()
    print(f"\nslowest parse over the generated queries: {slowest * 1000:.1f} ms")


def test_query_parser_bounds_long_runs_of_every_operator(segmenter: Segmenter) -> None:
    @settings(max_examples=100, derandomize=True, deadline=None, database=None)
    @given(QUERY_PIECES, st.integers(min_value=1, max_value=3000))
    def check(piece: str, times: int) -> None:
        start = time.perf_counter()
        _parse(piece * times + "农田", segmenter)
        assert time.perf_counter() - start < 0.5

    check()
