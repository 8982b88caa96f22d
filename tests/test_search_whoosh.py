"""Search: query language, highlighting, and the Whoosh backend on a real index in tmp_path.

The behaviour tests take a `backend` fixture parametrised by backend kind, so the tantivy and
PostgreSQL backends can join them by adding their kind to BACKEND_KINDS.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from nlp.normalize import to_simplified
from nlp.segment import Segmenter
from search import (
    IndexBusyError,
    IndexDoc,
    QuerySyntaxError,
    SearchBackend,
    SearchQuery,
    SearchResult,
    highlight_all,
    make_backend,
    parse_query,
    positive_terms,
    snippet,
)
from search.grams import GramQuery, gram_query, index_chars, index_grams, phrase_text, text_grams
from search.highlight import gram_only_terms
from search.query import And, FieldTerm, MatchAll, Not, Or, Phrase, Term
from search.whoosh_backend import WhooshBackend

BACKEND_KINDS = ["whoosh"]


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter().initialize()


# (id, unit, category, title, body, kind, status, level, event date, topics). Items 1 and 10 are
# written in traditional script, as some units send them.
ITEMS: list[tuple[int, str, str, str, str, str, str, int, date, tuple[str, ...]]] = [
    (1, "HZ", "city", "杭州市深化國企改革取得新進展",
     "今年以來，杭州市採用混合所有制改革等方式推進國企改革，新增上市公司3家，國有資本運營效率明顯提升。",
     "achievement", "adopted", 0, date(2024, 3, 5), ("工业和企业",)),
    (2, "NB", "city", "宁波市国企改革三年行动圆满收官",
     "宁波市采用“一企一策”方式推进国企改革，市属国企营业收入增长12%，资产负债率稳步下降。",
     "achievement", "adopted", 0, date(2024, 5, 10), ("工业和企业",)),
    (3, "FGW", "dept", "全省经济运行总体平稳",
     "一季度全省GDP增长5.2%，规模以上工业增加值增长6.1%，经济运行总体平稳、稳中有进。",
     "achievement", "adopted", 0, date(2024, 4, 15), ("经济运行",)),
    (4, "GAT", "dept", "部分地区安全生产隐患排查不到位",
     "检查发现，部分企业安全生产隐患排查流于形式，整改不到位，存在较大风险，需引起高度重视。",
     "problem", "submitted", 1, date(2024, 6, 1), ("安全稳定",)),
    (5, "HZ", "city", "乡村振兴示范村建设存在资金缺口",
     "部分乡村振兴示范村建设资金缺口较大，村集体经济薄弱，项目推进缓慢。",
     "problem", "submitted", 0, date(2024, 7, 20), ("三农",)),
    (6, "NB", "city", "宁波舟山港集装箱吞吐量创新高",
     "上半年宁波舟山港集装箱吞吐量同比增长8%，对外开放水平持续提升。",
     "achievement", "adopted", 0, date(2024, 2, 10), ("对外开放", "经济运行")),
    (7, "FGW", "dept", "重大项目投资进度分析",
     "全省重大项目投资完成率偏低，部分项目资金到位滞后，需加快推进。",
     "problem", "submitted", 2, date(2024, 8, 8), ("经济运行",)),
    (8, "HZ", "city", "政务网站留言系统遭遇脚本注入",
     "政务网站留言板发现<script>alert(1)</script>等恶意脚本，已完成安全加固。",
     "problem", "returned", 0, date(2024, 9, 1), ("政务工作",)),
    (9, "GAT", "dept", "全省公安机关深入学习马克思主义理论",
     "组织民警学习马克思主义理论，并邀请外籍专家马克来访交流。",
     "other", "adopted", 0, date(2023, 12, 1), ("党的建设",)),
    (10, "NB", "city", "寧波市優化營商環境",
     "寧波市採用「一窗受理」模式，企業開辦時間壓縮至一個工作日。",
     "achievement", "submitted", 0, date(2024, 10, 10), ("政务工作",)),
    (11, "HZ", "city", "杭州亚运会场馆赛后利用成效明显",
     "杭州亚运会场馆赛后向市民开放，带动文化旅游消费增长。",
     "achievement", "adopted", 0, date(2023, 11, 11), ("文化旅游",)),
    (12, "FGW", "dept", "关于财政金融支持实体经济的调研报告",
     "调研显示，财政金融政策支持实体经济力度加大，但中小企业融资难问题依然存在。",
     "other", "returned", 1, date(2024, 11, 20), ("财政金融",)),
]  # fmt: skip


def make_doc(
    segmenter: Segmenter,
    item_id: int,
    unit: str,
    category: str,
    title: str,
    body: str,
    kind: str,
    status: str,
    level: int,
    day: date,
    topics: tuple[str, ...],
) -> IndexDoc:
    """Build an IndexDoc the way the app does: simplified copies, segmented once."""
    title_s, body_s = to_simplified(title), to_simplified(body)
    return IndexDoc(
        id=item_id,
        title=title_s,
        body=body_s,
        title_tokens=[t.text for t in segmenter.tokens(title_s)],
        body_tokens=[t.text for t in segmenter.tokens(body_s)],
        unit=unit,
        unit_category=category,
        topics=topics,
        kind=kind,
        status=status,
        level=level,
        event_date=day,
    )


@pytest.fixture(scope="module")
def docs(segmenter: Segmenter) -> list[IndexDoc]:
    return [make_doc(segmenter, *item) for item in ITEMS]


@pytest.fixture(params=BACKEND_KINDS)
def empty_backend(request: pytest.FixtureRequest, tmp_path: Path, segmenter: Segmenter) -> SearchBackend:
    return make_backend(request.param, index_dir=tmp_path / "index", segmenter=segmenter)


@pytest.fixture
def backend(empty_backend: SearchBackend, docs: list[IndexDoc]) -> SearchBackend:
    empty_backend.index(docs)
    return empty_backend


def ids(result: SearchResult) -> set[int]:
    return {hit.id for hit in result.hits}


def find(backend: SearchBackend, text: str = "", **kwargs: object) -> SearchResult:
    return backend.search(SearchQuery(text=text, per_page=50, **kwargs))  # type: ignore[arg-type]


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


def test_import_search_does_not_import_whoosh() -> None:
    code = "import sys, search, search.grams, search.highlight; print('whoosh' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_make_backend_rejects_unavailable_kinds(tmp_path: Path, segmenter: Segmenter) -> None:
    from search import SearchError

    with pytest.raises(SearchError):
        make_backend("tantivy", index_dir=tmp_path, segmenter=segmenter)


# --- behaviour of every backend ----------------------------------------------------------------


def test_simplified_and_traditional_queries_find_both_scripts(backend: SearchBackend) -> None:
    assert ids(find(backend, "采用")) == {1, 2, 10}
    assert ids(find(backend, "採用")) == {1, 2, 10}
    assert ids(find(backend, "國企改革")) == {1, 2}


def test_terms_are_anded_by_default(backend: SearchBackend) -> None:
    assert ids(find(backend, "国企改革 宁波市")) == {2}


def test_or(backend: SearchBackend) -> None:
    assert ids(find(backend, "吞吐量 OR 亚运会")) == {6, 11}


def test_exclusion(backend: SearchBackend) -> None:
    assert ids(find(backend, "国企改革 -宁波市")) == {1}
    assert ids(find(backend, "国企改革 NOT 杭州市")) == {2}
    assert 2 not in ids(find(backend, "-国企改革"))


def test_phrase(backend: SearchBackend) -> None:
    assert ids(find(backend, '"资金 缺口"')) == {5}
    assert ids(find(backend, '"缺口 资金"')) == set()
    assert ids(find(backend, "资金")) == {5, 7}


def test_title_field(backend: SearchBackend) -> None:
    assert ids(find(backend, "采用")) == {1, 2, 10}
    assert ids(find(backend, "title:采用")) == set()
    assert ids(find(backend, "title:吞吐量")) == {6}


def test_relevance_boosts_title(backend: SearchBackend) -> None:
    hits = find(backend, "资金").hits
    assert [hit.id for hit in hits] == [5, 7]
    assert hits[0].score > hits[1].score > 0


def test_filters(backend: SearchBackend) -> None:
    assert ids(find(backend, "国企改革", unit="NB")) == {2}
    assert ids(find(backend, kind="problem")) == {4, 5, 7, 8}
    assert ids(find(backend, topic="经济运行")) == {3, 6, 7}
    assert ids(find(backend, unit_category="dept", status="adopted")) == {3, 9}
    assert ids(find(backend, "unit:HZ kind:问题")) == {5, 8}
    assert ids(find(backend, "topic:经济运行 增长")) == {3, 6}


def test_date_range(backend: SearchBackend) -> None:
    result = find(backend, date_from=date(2024, 1, 1), date_to=date(2024, 6, 30))
    assert ids(result) == {1, 2, 3, 4, 6}
    assert ids(find(backend, date_from=date(2024, 10, 10))) == {10, 12}
    assert ids(find(backend, date_to=date(2023, 12, 1))) == {9, 11}


def test_allowed_units_limit_hits_total_and_facets(backend: SearchBackend) -> None:
    result = find(backend, allowed_units=frozenset({"HZ"}))
    assert ids(result) == {1, 5, 8, 11}
    assert result.total == 4
    assert result.facets["unit"] == {"HZ": 4}
    assert sum(result.facets["kind"].values()) == 4

    result = find(backend, "国企改革", allowed_units=frozenset({"HZ"}))
    assert (ids(result), result.total, result.facets["unit"]) == ({1}, 1, {"HZ": 1})
    assert find(backend, allowed_units=frozenset()).total == 0


def test_max_level_hides_classified_items(backend: SearchBackend) -> None:
    public = find(backend, max_level=0)
    assert public.total == 9 and not ids(public) & {4, 7, 12}
    assert ids(find(backend, "投资", max_level=1)) == set()
    assert ids(find(backend, "投资", max_level=2)) == {7}


def test_facets_count_the_whole_matching_set(backend: SearchBackend) -> None:
    result = backend.search(SearchQuery(per_page=2))
    assert result.total == 12 and len(result.hits) == 2
    assert result.facets["unit"] == {"HZ": 4, "NB": 3, "FGW": 3, "GAT": 2}
    assert result.facets["topic"]["经济运行"] == 3  # item 6 counts under both of its topics
    assert sum(result.facets["topic"].values()) == 13
    assert result.facets["kind"] == {"achievement": 6, "problem": 4, "other": 2}


def test_pagination(backend: SearchBackend) -> None:
    pages = [backend.search(SearchQuery(page=n, per_page=5)) for n in (1, 2, 3, 4)]
    assert [p.total for p in pages] == [12, 12, 12, 12]
    assert [len(p.hits) for p in pages] == [5, 5, 2, 0]
    seen = [hit.id for p in pages for hit in p.hits]
    assert sorted(seen) == list(range(1, 13))


def test_sort_by_date(backend: SearchBackend) -> None:
    result = backend.search(SearchQuery(text="增长 OR 采用 OR 资金", sort="date", per_page=50))
    assert [hit.id for hit in result.hits] == [10, 7, 5, 2, 3, 1, 6, 11]
    everything = backend.search(SearchQuery(per_page=50))  # no text: newest first
    assert [hit.id for hit in everything.hits] == [12, 10, 8, 7, 5, 4, 2, 3, 1, 6, 9, 11]


def test_snippet_and_title_highlight_and_escape(backend: SearchBackend) -> None:
    (hit,) = find(backend, "脚本").hits
    assert "<mark>脚本</mark>" in hit.snippet
    assert "&lt;script&gt;" in hit.snippet and "<script>" not in hit.snippet
    assert "<mark>脚本</mark>" in hit.title_html

    (hit,) = find(backend, "國企改革 宁波市").hits
    assert hit.title_html == "<mark>宁波市国企改革</mark>三年行动圆满收官"  # adjacent marks merge
    assert hit.snippet.startswith("<mark>宁波市</mark>采用")


def test_partial_word_is_not_highlighted(backend: SearchBackend) -> None:
    (hit,) = find(backend, "马克").hits
    assert hit.id == 9
    assert "<mark>马克</mark>来访" in hit.snippet
    assert hit.snippet.count("<mark>") == 1 and "马克思主义" in hit.snippet
    assert "<mark>" not in hit.title_html


def test_update_replaces_and_delete_removes(backend: SearchBackend, docs: list[IndexDoc]) -> None:
    changed = replace(
        docs[1], body="宁波市深化国资监管体制改革。", body_tokens=["宁波市", "深化", "国资", "监管"]
    )
    backend.index([changed])
    assert backend.count() == 12
    assert ids(find(backend, "国资")) == {2}
    assert ids(find(backend, "营业收入")) == set()
    backend.delete([2, 99])
    assert backend.count() == 11
    assert ids(find(backend, "宁波市")) == {10}


def test_rebuild_returns_count(backend: SearchBackend, docs: list[IndexDoc]) -> None:
    assert backend.rebuild(iter(docs[:5])) == 5
    assert backend.count() == 5
    assert find(backend).total == 5
    assert backend.rebuild([]) == 0
    assert backend.count() == 0
    assert backend.check()


def test_syntax_error_surfaces(backend: SearchBackend) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        find(backend, '"国企改革')
    assert caught.value.status_hint == 400


# --- Whoosh specifics: several processes, locks, corruption ---------------------------------------


@pytest.fixture
def whoosh_dir(tmp_path: Path) -> Path:
    return tmp_path / "whoosh"


@pytest.fixture
def open_whoosh(whoosh_dir: Path, segmenter: Segmenter) -> Iterator[Callable[..., WhooshBackend]]:
    opened: list[WhooshBackend] = []

    def _open(**kwargs: float) -> WhooshBackend:
        backend = WhooshBackend(whoosh_dir, segmenter, **kwargs)
        opened.append(backend)
        return backend

    yield _open
    for backend in opened:
        backend.close()


def test_other_instance_sees_commits(
    open_whoosh: Callable[..., WhooshBackend], docs: list[IndexDoc], segmenter: Segmenter
) -> None:
    writer, reader = open_whoosh(), open_whoosh()
    writer.index(docs)
    assert reader.count() == 12  # its searcher is open from here on
    extra = make_doc(
        segmenter,
        13,
        "NB",
        "city",
        "宁波市外贸订单",
        "外贸订单增长。",
        "other",
        "submitted",
        0,
        date(2024, 12, 1),
        (),
    )
    writer.index([extra])
    assert ids(find(reader, "外贸")) == {13}
    # An update by the other instance replaces, it never duplicates (whoosh's own refresh would).
    writer.index([replace(docs[1], title="宁波市国企改革再出发")])
    writer.delete([3])
    assert reader.count() == 12
    assert ids(find(reader, "宁波市")) == {2, 10, 13}


def test_writer_waits_for_a_lock_held_by_another_process(
    open_whoosh: Callable[..., WhooshBackend], whoosh_dir: Path, docs: list[IndexDoc]
) -> None:
    from whoosh.filedb.filestore import FileStorage

    backend = open_whoosh(lock_timeout=5.0)
    lock = FileStorage(str(whoosh_dir)).lock("MAIN_WRITELOCK")  # as another process's writer would
    assert lock.acquire()
    timer = threading.Timer(0.3, lock.release)
    timer.start()
    started = time.monotonic()
    backend.index(docs[:2])
    assert time.monotonic() - started >= 0.25
    assert backend.count() == 2

    impatient = open_whoosh(lock_timeout=0.2)
    assert lock.acquire()
    try:
        with pytest.raises(IndexBusyError):
            impatient.index(docs[2:3])
    finally:
        lock.release()


def test_concurrent_searches_while_indexing(
    open_whoosh: Callable[..., WhooshBackend], docs: list[IndexDoc]
) -> None:
    backend = open_whoosh()
    backend.index(docs)
    errors: list[BaseException] = []

    def search_many() -> None:
        try:
            for _ in range(15):
                assert find(backend, "国企改革").total == 2
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=search_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for doc in docs[:8]:
        backend.index([doc])
    for thread in threads:
        thread.join()
    assert errors == []
    assert backend.count() == 12


def test_corrupt_index_is_detected_and_recreated(
    open_whoosh: Callable[..., WhooshBackend], whoosh_dir: Path, docs: list[IndexDoc]
) -> None:
    first = open_whoosh()
    first.index(docs)
    assert first.check()
    first.close()  # a mapped segment must not be truncated under a live reader (SIGBUS)
    segments = list(whoosh_dir.glob("*.seg"))
    assert segments
    for path in segments:
        with path.open("r+b") as handle:
            handle.truncate(8)

    backend = open_whoosh()
    assert not backend.check()
    backend.recreate()
    assert backend.count() == 0
    assert backend.rebuild(docs) == 12
    assert backend.check()
    assert ids(find(backend, "国企改革")) == {1, 2}


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


# Items whose segmentation hides a query word: 21 holds 农田 only inside the token 高标准农田, 22 as
# a token of its own; 23 has the name 王浩 glued into 王浩在 and 安全生产 cut as 确保安全|生产线;
# 24 was segmented before 安全生产 entered the user dictionary (tokens 安全|生产).
GRAM_ITEMS: list[tuple[int, str, str, str, str, str, str, int, date, tuple[str, ...]]] = [
    (21, "HZ", "city", "全市新建高标准农田5万亩", "今年全市新建高标准农田5万亩，改善灌溉用水条件。",
     "achievement", "adopted", 0, date(2024, 3, 1), ("三农",)),
    (22, "NB", "city", "冬季农田建设全面铺开", "各地保护农田，严守耕地红线。",
     "achievement", "adopted", 0, date(2024, 3, 2), ("三农",)),
    (23, "GAT", "dept", "市委书记王浩在会上强调抓好防汛",
     "市委书记王浩在会上强调，要确保安全生产线运行平稳。", "other", "adopted", 0, date(2024, 3, 3), ()),
    (24, "GAT", "dept", "企业责任落实", "企业安全生产责任落实到位。",
     "other", "adopted", 0, date(2024, 3, 4), ()),
]  # fmt: skip


@pytest.fixture
def wide_backend(backend: SearchBackend, segmenter: Segmenter) -> SearchBackend:
    extra = [make_doc(segmenter, *item) for item in GRAM_ITEMS]
    extra[3] = replace(extra[3], body_tokens=["企业", "安全", "生产", "责任", "落实", "到位", "。"])
    backend.index(extra)
    return backend


def test_segmentation_of_the_gram_items(segmenter: Segmenter) -> None:
    # The premise of the tests below: whole-token matching alone would miss these.
    def cut(text: str) -> list[str]:
        return [t.text for t in segmenter.tokens(text)]

    assert "高标准农田" in cut(GRAM_ITEMS[0][4]) and "农田" not in cut(GRAM_ITEMS[0][4])
    assert "王浩在" in cut(GRAM_ITEMS[2][3]) and cut("王浩") == ["王浩"]
    assert "安全生产" not in cut(GRAM_ITEMS[2][4]) and cut("安全生产") == ["安全生产"]


def test_word_inside_a_compound_token_is_found_and_whole_token_marked(wide_backend: SearchBackend) -> None:
    result = find(wide_backend, "农田")
    assert ids(result) == {21, 22}
    hit = next(h for h in result.hits if h.id == 21)
    assert "<mark>高标准农田</mark>" in hit.snippet and "<mark>高标准农田</mark>" in hit.title_html
    hit = next(h for h in result.hits if h.id == 22)
    assert "保护<mark>农田</mark>" in hit.snippet
    assert ids(find(wide_backend, "農田")) == {21, 22}


def test_word_matches_rank_above_gram_only_matches(wide_backend: SearchBackend) -> None:
    hits = find(wide_backend, "农田").hits
    assert [hit.id for hit in hits] == [22, 21]
    assert hits[0].score > 2 * hits[1].score > 0


def test_compound_query_finds_text_segmented_apart(wide_backend: SearchBackend) -> None:
    result = find(wide_backend, "安全生产")
    assert ids(result) == {4, 23, 24}
    snippets = {hit.id: hit.snippet for hit in result.hits}
    assert "企业<mark>安全生产</mark>责任" in snippets[24]
    assert "<mark>确保安全生产线</mark>运行" in snippets[23]
    assert result.hits[0].id == 4  # the only one holding the word as a token


def test_single_character_finds_any_document_containing_it(wide_backend: SearchBackend) -> None:
    assert ids(find(wide_backend, "水")) == {6, 21}  # 水平, 用水
    assert ids(find(wide_backend, "title:水")) == set()
    assert ids(find(wide_backend, "汛")) == {23}


def test_name_glued_to_the_next_character_is_found(wide_backend: SearchBackend) -> None:
    (hit,) = find(wide_backend, "王浩").hits
    assert hit.id == 23
    assert hit.title_html.startswith("市委书记<mark>王浩在</mark>会上")


def test_boolean_operators_apply_to_widened_terms(wide_backend: SearchBackend) -> None:
    assert ids(find(wide_backend, "农田 -高标准")) == {22}
    assert ids(find(wide_backend, "农田 NOT 耕地")) == {21}
    assert not ids(find(wide_backend, "-农田")) & {21, 22}
    assert ids(find(wide_backend, "农田 OR 王浩")) == {21, 22, 23}
    assert ids(find(wide_backend, "农田 用水")) == {21}
    assert ids(find(wide_backend, "(农田 OR 王浩) unit:GAT")) == {23}
    assert ids(find(wide_backend, "农田", unit="HZ")) == {21}
    assert ids(find(wide_backend, "title:农田")) == {21, 22}
    assert ids(find(wide_backend, "title:安全生产")) == {4}


def test_phrase_matches_contiguous_text_through_grams(wide_backend: SearchBackend) -> None:
    assert ids(find(wide_backend, '"高标准 农田"')) == {21}  # one token in the document
    assert ids(find(wide_backend, '"农田 高标准"')) == set()
    assert ids(find(wide_backend, '"资金 缺口"')) == {5}
    assert ids(find(wide_backend, '"缺口 资金"')) == set()


def test_an_index_without_grams_is_reported_and_rebuilt(
    open_whoosh: Callable[..., WhooshBackend], whoosh_dir: Path, docs: list[IndexDoc]
) -> None:
    from whoosh import index as windex
    from whoosh.fields import Schema

    from search.whoosh_backend import INDEX_NAME, build_schema

    current = build_schema()
    old = Schema(
        **{
            name: current[name]
            for name in current.names()
            if not name.endswith(("_grams", "_chars")) and not name.startswith("schema_v")
        }
    )
    whoosh_dir.mkdir()
    windex.create_in(str(whoosh_dir), old, indexname=INDEX_NAME)
    backend = open_whoosh()
    backend.index(docs)  # an outdated index keeps taking documents until it is rebuilt
    assert backend.count() == 12
    assert ids(find(backend, "国企改革 -宁波市")) == {1}
    assert not backend.check()  # the app recreates and rebuilds an index that fails its check

    assert backend.rebuild(docs) == 12
    assert backend.check()
    assert ids(find(backend, "水")) == {6}
