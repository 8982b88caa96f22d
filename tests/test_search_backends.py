"""Search backends: the same behaviour tests run against Whoosh, tantivy and PostgreSQL.

The `backend` fixture is parametrised by backend kind; the PostgreSQL runs need
XINXI_TEST_DATABASE_URL and work in a schema of their own, created and dropped per test (other test
files reset the `public` schema). Index-directory matters (several processes, corruption, other
instances) run for Whoosh and tantivy.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from nlp.normalize import to_simplified
from nlp.segment import Segmenter
from search import (
    FACET_NAMES,
    IndexDoc,
    QuerySyntaxError,
    SearchBackend,
    SearchQuery,
    SearchResult,
    make_backend,
)

PG_URL = os.environ.get("XINXI_TEST_DATABASE_URL")
BACKEND_KINDS = [
    "whoosh",
    "tantivy",
    pytest.param("postgres", marks=pytest.mark.postgres),
]
FILE_KINDS = ["whoosh", "tantivy"]


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
    return [replace(make_doc(segmenter, *item), stamp=f"v1-{item[0]}") for item in ITEMS]


def drop_schema(url: str, schema: str) -> None:
    """Drop a test schema and everything in it."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def open_backend(tmp_path: Path, segmenter: Segmenter) -> Iterator[Callable[[str], SearchBackend]]:
    """Open backends of a kind on one index (directory or PostgreSQL schema) for this test."""
    opened: list[SearchBackend] = []
    schema = f"search_test_{uuid.uuid4().hex[:10]}"

    def _open(kind: str) -> SearchBackend:
        if kind == "postgres" and not PG_URL:
            pytest.skip("XINXI_TEST_DATABASE_URL is not set")
        backend = make_backend(
            kind, index_dir=tmp_path / kind, segmenter=segmenter, database_url=PG_URL, schema=schema
        )
        opened.append(backend)
        return backend

    yield _open
    for backend in opened:
        backend.close()
    if PG_URL and any(type(b).__name__ == "PostgresBackend" for b in opened):
        drop_schema(PG_URL, schema)


@pytest.fixture(params=BACKEND_KINDS)
def empty_backend(
    request: pytest.FixtureRequest, open_backend: Callable[[str], SearchBackend]
) -> SearchBackend:
    return open_backend(request.param)


@pytest.fixture
def backend(empty_backend: SearchBackend, docs: list[IndexDoc]) -> SearchBackend:
    empty_backend.index(docs)
    return empty_backend


def ids(result: SearchResult) -> set[int]:
    return {hit.id for hit in result.hits}


def find(backend: SearchBackend, text: str = "", **kwargs: object) -> SearchResult:
    return backend.search(SearchQuery(text=text, per_page=50, **kwargs))  # type: ignore[arg-type]


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
    result = find(backend, allowed_units=frozenset({"HZ"}), want_facets=True)
    assert ids(result) == {1, 5, 8, 11}
    assert result.total == 4
    assert result.facets["unit"] == {"HZ": 4}
    assert sum(result.facets["kind"].values()) == 4

    result = find(backend, "国企改革", allowed_units=frozenset({"HZ"}), want_facets=True)
    assert (ids(result), result.total, result.facets["unit"]) == ({1}, 1, {"HZ": 1})
    assert find(backend, allowed_units=frozenset()).total == 0


def test_max_level_hides_classified_items(backend: SearchBackend) -> None:
    public = find(backend, max_level=0)
    assert public.total == 9 and not ids(public) & {4, 7, 12}
    assert ids(find(backend, "投资", max_level=1)) == set()
    assert ids(find(backend, "投资", max_level=2)) == {7}


def test_facets_count_the_whole_matching_set(backend: SearchBackend) -> None:
    result = backend.search(SearchQuery(per_page=2, want_facets=True))
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


# --- facets, stamps, more like this ----------------------------------------------------------------


def test_facets_only_when_asked(backend: SearchBackend) -> None:
    plain = find(backend, "国企改革")
    assert plain.facets == {} and plain.total == 2
    assert find(backend, allowed_units=frozenset()).facets == {}
    assert set(find(backend, allowed_units=frozenset(), want_facets=True).facets) == set(FACET_NAMES)


def test_every_facet_is_reported(backend: SearchBackend) -> None:
    result = find(backend, "国企改革", want_facets=True)
    assert set(result.facets) == set(FACET_NAMES)
    assert result.facets["year"] == {"2024": 2}
    assert result.facets["publication"] == {}


def test_facets_for_publication_and_year(backend: SearchBackend, docs: list[IndexDoc]) -> None:
    backend.index([replace(docs[0], publications=("KB", "ZB")), replace(docs[1], publications=("KB",))])
    result = find(backend, want_facets=True)
    assert result.facets["publication"] == {"KB": 2, "ZB": 1}
    assert result.facets["year"] == {"2024": 10, "2023": 2}
    scoped = find(backend, allowed_units=frozenset({"HZ"}), date_to=date(2024, 6, 30), want_facets=True)
    assert scoped.facets["publication"] == {"KB": 1, "ZB": 1}
    assert scoped.facets["year"] == {"2024": 1, "2023": 1}
    assert ids(find(backend, publication="KB")) == {docs[0].id, docs[1].id}
    assert ids(find(backend, publication="ZB")) == {docs[0].id}
    assert ids(find(backend, publication="NONE")) == set()


def test_stamps_round_trip(backend: SearchBackend, docs: list[IndexDoc]) -> None:
    assert backend.stamps() == {doc.id: f"v1-{doc.id}" for doc in docs}
    backend.index([replace(docs[2], stamp="v2-3")])
    backend.delete([4])
    stamps = backend.stamps()
    assert stamps[3] == "v2-3" and 4 not in stamps and len(stamps) == 11


# A near-duplicate of item 2 (the same story retold by another unit) and an unrelated item.
NEAR_DUPLICATE = (
    31, "FGW", "dept", "宁波市国企改革三年行动收官",
    "宁波市推进国企改革，“一企一策”方式见效，市属国企营业收入增长，资产负债率下降。",
    "achievement", "submitted", 0, date(2024, 5, 12), ("工业和企业",),
)  # fmt: skip


def test_more_like_this_finds_the_near_duplicate(backend: SearchBackend, segmenter: Segmenter) -> None:
    backend.index([make_doc(segmenter, *NEAR_DUPLICATE)])  # type: ignore[arg-type]
    hits = backend.more_like_this(2, SearchQuery())
    assert hits and hits[0].id == 31
    found = {hit.id for hit in hits}
    assert 2 not in found  # never the item itself
    assert not found & {8, 9, 11}  # unrelated: website scripts, Marxism, Asian Games venues
    assert "<mark>" in hits[0].title_html

    # Within the asker's scope and filters only.
    assert 31 not in {
        h.id for h in backend.more_like_this(2, SearchQuery(allowed_units=frozenset({"HZ", "NB"})))
    }
    assert 31 not in {h.id for h in backend.more_like_this(2, SearchQuery(status="adopted"))}
    assert backend.more_like_this(2, SearchQuery(), limit=1)[0].id == 31
    assert backend.more_like_this(999, SearchQuery()) == []


def test_more_like_this_by_the_items_keywords(backend: SearchBackend, segmenter: Segmenter) -> None:
    """Given the item's keywords (as the item page passes them), those words decide, not the index's
    doc frequencies: the same near-duplicate first, the item itself never, the scope kept."""
    backend.index([make_doc(segmenter, *NEAR_DUPLICATE)])  # type: ignore[arg-type]
    keywords = ("国企改革", "一企一策", "宁波市", "营业收入")
    hits = backend.more_like_this(2, SearchQuery(), terms=keywords)
    assert hits and hits[0].id == 31 and 2 not in {hit.id for hit in hits}
    scoped = SearchQuery(allowed_units=frozenset({"HZ", "NB"}))
    assert 31 not in {h.id for h in backend.more_like_this(2, scoped, terms=keywords)}
    assert backend.more_like_this(2, SearchQuery(), terms=("亚运会", "场馆"))[0].id == 11


# --- character grams: widening whole-token matches ---------------------------------------------


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


def test_similar_items_match_keywords_as_whole_words(wide_backend: SearchBackend) -> None:
    """An item's keywords are tokens: similar items match them as words, never through grams (a
    search for 农田 finds 高标准农田; a similar item by the keyword 农田 does not)."""
    assert {hit.id for hit in wide_backend.more_like_this(1, SearchQuery(), terms=("农田",))} == {22}
    assert {hit.id for hit in wide_backend.more_like_this(1, SearchQuery(), terms=("安全生产",))} == {4}


def test_phrase_matches_contiguous_text_through_grams(wide_backend: SearchBackend) -> None:
    assert ids(find(wide_backend, '"高标准 农田"')) == {21}  # one token in the document
    assert ids(find(wide_backend, '"农田 高标准"')) == set()
    assert ids(find(wide_backend, '"资金 缺口"')) == {5}
    assert ids(find(wide_backend, '"缺口 资金"')) == set()


# --- index directories: other instances, threads, several processes, corruption -------------------


@pytest.fixture(params=FILE_KINDS)
def file_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_other_instance_sees_commits(
    file_kind: str, open_backend: Callable[[str], SearchBackend], docs: list[IndexDoc], segmenter: Segmenter
) -> None:
    writer, reader = open_backend(file_kind), open_backend(file_kind)
    writer.index(docs)
    assert reader.count() == 12  # its searcher is open from here on
    extra = make_doc(
        segmenter, 13, "NB", "city", "宁波市外贸订单", "外贸订单增长。", "other", "submitted", 0,
        date(2024, 12, 1), (),
    )  # fmt: skip
    writer.index([extra])
    assert ids(find(reader, "外贸")) == {13}
    # An update by the other instance replaces, it never duplicates (whoosh's own refresh would).
    writer.index([replace(docs[1], title="宁波市国企改革再出发")])
    writer.delete([3])
    assert reader.count() == 12
    assert ids(find(reader, "宁波市")) == {2, 10, 13}


def test_concurrent_searches_while_indexing(
    file_kind: str, open_backend: Callable[[str], SearchBackend], docs: list[IndexDoc]
) -> None:
    backend = open_backend(file_kind)
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


PROCESSES = 4
CALLS = 25


def _index_from_process(kind: str, index_dir: str, worker: int) -> None:
    """Index CALLS documents one call at a time, and update one shared document each time."""
    backend = make_backend(kind, index_dir=Path(index_dir), segmenter=Segmenter())
    for call in range(CALLS):
        item_id = 1000 + worker * CALLS + call
        tokens = ["进程", str(worker), "第", str(call), "条"]
        own = IndexDoc(
            id=item_id, title=f"进程{worker}", body="".join(tokens), title_tokens=["进程", str(worker)],
            body_tokens=tokens, unit="HZ", unit_category="city", topics=(), kind="other",
            status="submitted", level=0, event_date=date(2024, 1, 1), stamp=f"{worker}-{call}",
        )  # fmt: skip
        shared = replace(own, id=999, title="共享", title_tokens=["共享"], stamp=f"shared-{worker}-{call}")
        backend.index([own, shared])
    backend.close()


def test_several_processes_lose_no_update(file_kind: str, tmp_path: Path, segmenter: Segmenter) -> None:
    index_dir = tmp_path / "shared-index"
    first = make_backend(file_kind, index_dir=index_dir, segmenter=segmenter)  # create it once
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_index_from_process, args=(file_kind, str(index_dir), worker))
        for worker in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [process.exitcode for process in processes] == [0] * PROCESSES  # no lock error

    assert first.count() == PROCESSES * CALLS + 1  # the shared document exists once
    stamps = first.stamps()
    for worker in range(PROCESSES):
        for call in range(CALLS):
            assert stamps[1000 + worker * CALLS + call] == f"{worker}-{call}"
    assert stamps[999].startswith("shared-")
    assert find(first, "共享").total == 1
    assert first.check()
    first.close()


def _truncate_index_files(kind: str, index_dir: Path) -> None:
    if kind == "whoosh":
        files = list(index_dir.glob("*.seg"))
    else:
        files = [p for p in index_dir.iterdir() if p.suffix in (".idx", ".store", ".term", ".pos", ".fast")]
    assert files
    for path in files:
        with path.open("r+b") as handle:
            handle.truncate(8)


def test_corrupt_index_is_detected_and_recreated(
    file_kind: str, open_backend: Callable[[str], SearchBackend], tmp_path: Path, docs: list[IndexDoc]
) -> None:
    first = open_backend(file_kind)
    first.index(docs)
    assert first.check()
    first.close()  # a mapped segment must not be truncated under a live reader (SIGBUS)
    _truncate_index_files(file_kind, tmp_path / file_kind)

    backend = open_backend(file_kind)
    assert not backend.check()
    backend.recreate()
    assert backend.check()
    assert backend.count() == 0
    assert backend.rebuild(docs) == 12
    assert backend.check()
    assert ids(find(backend, "国企改革")) == {1, 2}


def test_missing_index_is_detected_and_recreated(
    file_kind: str, open_backend: Callable[[str], SearchBackend], tmp_path: Path, docs: list[IndexDoc]
) -> None:
    import shutil

    backend = open_backend(file_kind)
    backend.index(docs)
    backend.close()
    shutil.rmtree(tmp_path / file_kind)
    assert not backend.check()
    backend.recreate()
    assert backend.check() and backend.count() == 0
    backend.index(docs[:3])
    assert backend.count() == 3


def test_genre_filter_and_field(empty_backend: SearchBackend, docs: list[IndexDoc]) -> None:
    """调研 pieces (genre research) are found by the filter, by `genre:research` and by `信息类别:调研`."""
    empty_backend.index([replace(doc, genre="research" if doc.id in (1, 3) else "dynamic") for doc in docs])
    research = ids(find(empty_backend, genre="research"))
    assert research == {1, 3}
    assert ids(find(empty_backend, "genre:research")) == research
    assert ids(find(empty_backend, "信息类别:调研")) == research
    facets = empty_backend.search(SearchQuery(text="", per_page=1, want_facets=True)).facets
    assert facets["genre"]["research"] == 2
