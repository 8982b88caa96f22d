"""Search, the parts above the backends: query language, character grams and highlighting."""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.segment import Segmenter
from search import (
    QuerySyntaxError,
    SearchError,
    highlight_all,
    make_backend,
    parse_query,
    positive_terms,
    snippet,
)
from search.grams import GramQuery, gram_query, index_chars, index_grams, phrase_text, text_grams
from search.highlight import gram_only_terms, make_hit, make_hit_packed, pack_stream, unpack_tokens
from search.query import And, FieldTerm, MatchAll, Not, Or, Phrase, Term
from search.similar import distinctive_terms, similar_tree


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter().initialize()


# --- query language ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("国企改革", Term("国企改革")),
        ("國企改革", Term("国企改革")),
        ("资金缺口", Phrase(("资金", "缺口"))),
        ("ＧＤＰ", Term("gdp")),
        ("国企改革 宁波市", And((Term("国企改革"), Term("宁波市")))),
        ("吞吐量 OR 亚运会", Or((Term("吞吐量"), Term("亚运会")))),
        ("国企改革 -宁波市", And((Term("国企改革"), Not(Term("宁波市"))))),
        ("国企改革 NOT 宁波市", And((Term("国企改革"), Not(Term("宁波市"))))),
        ('"资金 缺口"', Phrase(("资金", "缺口"))),
        ("“资金缺口”", Phrase(("资金", "缺口"))),
        ("title:国企改革", Term("国企改革", "title")),
        ('标题："资金缺口"', Phrase(("资金", "缺口"), "title")),
        ("unit:HZ kind:问题", And((FieldTerm("unit", "HZ"), FieldTerm("kind", "problem")))),
        ("(吞吐量 OR 亚运会) 杭州", And((Or((Term("吞吐量"), Term("亚运会"))), Term("杭州")))),
        ("", MatchAll()),
        ("，。！", MatchAll()),
        ("国企改革 OR", Term("国企改革")),
    ],
)
def test_parse_query(segmenter: Segmenter, text: str, expected: object) -> None:
    assert parse_query(text, segmenter) == expected


@pytest.mark.parametrize(
    ("text", "message"), [('"国企改革', "引号未闭合"), ("(国企改革", "括号"), ("a )", "括号")]
)
def test_parse_query_rejects_bad_syntax(segmenter: Segmenter, text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse_query(text, segmenter)


def test_positive_terms_skip_negations(segmenter: Segmenter) -> None:
    tree = parse_query('国企改革 "资金缺口" -宁波市 unit:HZ', segmenter)
    assert positive_terms(tree) == {"国企改革", "资金", "缺口"}


# --- highlighting ------------------------------------------------------------------------------


def test_highlight_marks_whole_tokens_only() -> None:
    tokens = ["学习", "马克思主义", "，", "专家", "马克", "来访", "。"]
    assert highlight_all(tokens, {"马克"}) == "学习马克思主义，专家<mark>马克</mark>来访。"


def test_highlight_escapes_and_merges_adjacent_marks() -> None:
    tokens = ["<", "b", ">", "资金", "缺口", "&"]
    assert highlight_all(tokens, {"资金", "缺口"}) == "&lt;b&gt;<mark>资金缺口</mark>&amp;"


def test_snippet_picks_window_with_most_terms_and_cuts_with_ellipsis() -> None:
    tokens = (
        ["开头", "。"] + ["填充"] * 60 + ["资金", "，"] + ["填充"] * 60 + ["资金", "缺口", "。"] + ["尾"] * 60
    )
    result = snippet(tokens, {"资金", "缺口"}, max_chars=40)
    assert result.startswith("…") and result.endswith("…")
    assert "<mark>资金缺口</mark>" in result
    assert len(result.replace("<mark>", "").replace("</mark>", "")) <= 42


def test_snippet_without_match_returns_beginning() -> None:
    tokens = ["第一句", "。"] + ["内容"] * 100
    result = snippet(tokens, {"无关"}, max_chars=20)
    assert result.startswith("第一句。") and result.endswith("…") and "<mark>" not in result


@pytest.mark.parametrize(
    "tokens",
    [
        ["资金", "缺口", "。"],
        ["<", "b", ">", "资金", " ", "缺口", "&"],  # escaping, a space between tokens
        ["", "开头", "\n", "\n", "资金", "  ", "Σ", "ΣΑ", " ", ""],  # empty, blank runs, casing
        [],
        ["填充"] * 40_000 + ["资金"],  # offsets past 65,535 characters
    ],
)
def test_packed_stream_shows_and_highlights_as_the_tokens(tokens: list[str]) -> None:
    """The index stores a stream packed; a hit from it is the hit from the tokens themselves."""
    terms = {"资金", "σα", "缺口"}
    title, body = pack_stream(tokens[:8]), pack_stream(tokens)
    assert make_hit_packed(7, 1.5, title, body, terms) == make_hit(7, 1.5, tokens[:8], tokens, terms)
    assert "".join(unpack_tokens(body)) == html.unescape(highlight_all(tokens, set()))


def test_import_search_imports_no_backend_library() -> None:
    code = (
        "import sys, search, search.grams, search.highlight, search.similar; "
        "print(sorted(m for m in ('whoosh', 'tantivy', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_make_backend_rejects_unknown_kinds(tmp_path: Path, segmenter: Segmenter) -> None:
    with pytest.raises(SearchError):
        make_backend("lucene", index_dir=tmp_path, segmenter=segmenter)
    with pytest.raises(SearchError):
        make_backend("postgres", index_dir=tmp_path, segmenter=segmenter)  # no database URL


# --- character grams: widening whole-token matches ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("高标准农田", ["高标", "标准", "准农", "农田"]),
        ("农田", ["农田"]),
        ("水", ["水"]),
        ("资金，缺口", ["资金", "缺口"]),  # no gram crosses punctuation
        ("省，市", ["省", "市"]),  # a one-character run keeps its place as a unigram
        ("gdp增长5.2%", ["gdp", "增长", "5", "2"]),
        ("new york", ["new", "york"]),
        ("covid-19疫情", ["covid", "19", "疫情"]),
        ("，。！ ", []),
    ],
)
def test_text_grams(text: str, expected: list[str]) -> None:
    assert text_grams(text) == expected


def test_index_grams_come_from_the_tokens_concatenation_normalised() -> None:
    tokens = ["确保安全", "生产线", "，", "ＧＤＰ", "增长"]
    assert index_grams(tokens) == ["确保", "保安", "安全", "全生", "生产", "产线", "gdp", "增长"]
    assert index_chars(["用水", "，", "ab", "〇"]) == ["用", "水", "〇"]


def test_phrase_text_and_gram_query() -> None:
    assert phrase_text(("资金", "缺口")) == "资金缺口"
    assert phrase_text(("new", "york")) == "new york"
    assert phrase_text(("gdp", "增长")) == "gdp增长"
    assert gram_query("水") == GramQuery("chars", ("水",))
    assert gram_query("农田") == GramQuery("grams", ("农田",))
    assert gram_query("安全生产") == GramQuery("grams", ("安全", "全生", "生产"))
    assert gram_query("%") is None


def test_gram_only_terms_are_multi_character_cjk_terms_no_token_equals() -> None:
    title, body = ["高标准农田", "建设"], ["保护", "耕地", "用水", "gdp增长"]
    terms = {"农田", "耕地", "水", "gdp", "马克"}
    assert gram_only_terms(terms, title, body) == {"农田", "马克"}


def test_gram_match_marks_the_whole_containing_token() -> None:
    tokens = ["新建", "高标准农田", "5", "万亩"]
    assert highlight_all(tokens, {"农田"}, {"农田"}) == "新建<mark>高标准农田</mark>5万亩"
    # Across tokens: every overlapping token, whole, in one mark.
    split = ["企业", "安全", "生产", "责任", "；", "确保安全", "生产线", "运行"]
    assert highlight_all(split, {"安全生产"}, {"安全生产"}) == (
        "企业<mark>安全生产</mark>责任；<mark>确保安全生产线</mark>运行"
    )
    long = ["开头", "。"] + ["填充"] * 60 + ["高标准农田", "。"] + ["尾"] * 60
    cut = snippet(long, {"农田"}, max_chars=40, inside={"农田"})
    assert "<mark>高标准农田</mark>" in cut and cut.startswith("…")


def test_never_a_partial_token_mark() -> None:
    tokens = ["学习", "马克思主义", "，", "专家", "马克", "来访"]
    inside = gram_only_terms({"马克"}, tokens)
    assert inside == frozenset()  # 马克 is a token here: whole-token equality only
    assert highlight_all(tokens, {"马克"}, inside) == "学习马克思主义，专家<mark>马克</mark>来访"
    only = ["学习", "马克思主义"]  # found through grams: the whole token, never <mark>马克</mark>思
    assert highlight_all(only, {"马克"}, gram_only_terms({"马克"}, only)) == "学习<mark>马克思主义</mark>"
    # A single character never marks the tokens around it.
    assert highlight_all(["改善", "用水"], {"水"}, gram_only_terms({"水"}, ["改善", "用水"])) == "改善用水"


# --- more like this: distinctive terms ----------------------------------------------------------


def test_distinctive_terms_prefer_rare_repeated_words() -> None:
    title = ["国企", "改革", "取得", "新", "进展"]
    body = ["国企", "改革", "，", "工作", "工作", "工作", "上市公司", "3", "家", "。"]
    freqs = {"国企": 3, "改革": 5, "取得": 40, "进展": 30, "上市公司": 2}
    terms = distinctive_terms(title, body, lambda ts: {t: freqs.get(t, 1) for t in ts}, 100)
    assert terms[:2] == ["国企", "改革"]
    assert "工作" not in terms  # a stop word however often it occurs
    assert "3" not in terms and "新" not in terms  # numbers and single characters are no topics
    assert "上市公司" in terms
    assert similar_tree(["国企", "改革"]) == Or((Term("国企", whole=True), Term("改革", whole=True)))


def test_distinctive_terms_skip_words_no_other_document_holds() -> None:
    terms = distinctive_terms(["独有词"], ["共有词"], lambda ts: {"独有词": 1, "共有词": 2}, 10)
    assert terms == ["共有词"]


GRAM_TEXTS = (
    "今年全市新建高标准农田5万亩，改善灌溉用水条件。",
    "市委书记王浩在会上强调抓好防汛",
    "市委书记王浩在会上强调，要确保安全生产线运行平稳。",
)


def test_segmentation_of_the_gram_items(segmenter: Segmenter) -> None:
    # The premise of the tests below: whole-token matching alone would miss these.
    def cut(text: str) -> list[str]:
        return [t.text for t in segmenter.tokens(text)]

    assert "高标准农田" in cut(GRAM_TEXTS[0]) and "农田" not in cut(GRAM_TEXTS[0])
    assert "王浩在" in cut(GRAM_TEXTS[1]) and cut("王浩") == ["王浩"]
    assert "安全生产" not in cut(GRAM_TEXTS[2]) and cut("安全生产") == ["安全生产"]
