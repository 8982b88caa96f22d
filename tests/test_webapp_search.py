"""Search as people use it in the app: facets, saved searches with new-hit counts, similar items,
and the permission scope (reporters, clearance) inside the query."""

from __future__ import annotations

from flask import Flask

from tests.conftest import bearer, login, submit, user
from webapp.extensions import db
from webapp.services import searching

FARM = "市农业农村局推进高标准农田建设，今年新建高标准农田3.5万亩，带动农民人均增收600余元。"


def test_facets_and_filter_links(app: Flask) -> None:
    submit("盂县农田建设", FARM, unit="yx")
    submit("平定农田建设", FARM + "平定县", unit="pdx")
    submit("郊区污水治理", "农村生活污水治理设施运行不正常。", unit="jq")
    client = login(app.test_client(), "editor")
    page = client.get("/search", query_string={"q": "农田"}).get_data(as_text=True)
    assert "共 2 条，第 1–2 条" in page and "报送单位" in page and "盂县人民政府办公室" in page
    assert "/search?q=%E5%86%9C%E7%94%B0&amp;unit=yx&amp;page=1" in page
    narrowed = client.get("/search", query_string={"q": "农田", "unit": "yx"}).get_data(as_text=True)
    assert "共 1 条，第 1–1 条" in narrowed


def test_saved_search_counts_new_hits_until_visited(app: Flask) -> None:
    editor = user("editor")
    submit("盂县农田建设", FARM, unit="yx")
    client = login(app.test_client(), "editor")
    client.post("/search/saved", data={"q": "农田", "name": "农田建设"})
    [view] = searching.saved_searches(editor)
    assert (view.saved.name, view.total, view.new) == ("农田建设", 1, 0)
    submit("平定农田建设", FARM + "平定县", unit="pdx")
    home = client.get("/").get_data(as_text=True)
    assert "农田建设" in home and "新增 1" in home
    response = client.get(f"/search/saved/{view.saved.id}")
    assert response.status_code == 302 and "q=%E5%86%9C%E7%94%B0" in response.headers["Location"]
    assert searching.saved_searches(editor)[0].new == 0
    other = login(app.test_client(), "editor2")
    assert other.get(f"/search/saved/{view.saved.id}").status_code == 404
    client.post(f"/search/saved/{view.saved.id}/delete")
    assert searching.saved_searches(editor) == []


def test_similar_items_on_the_item_page(app: Flask) -> None:
    first = submit("盂县农田建设", FARM, unit="yx").item
    submit("平定农田建设", FARM.replace("3.5万亩", "2万亩"), unit="pdx")
    submit("秋粮收购", "今年秋粮收购进展顺利，收购价格总体稳定。", unit="jq")
    page = login(app.test_client(), "editor").get(f"/items/{first.id}").get_data(as_text=True)
    similar = page.split("相似信息", 1)[1].split("</section>", 1)[0]
    assert "平定农田建设" in similar and "秋粮收购" not in similar


def test_permissions_are_inside_the_query(app: Flask) -> None:
    submit("盂县农田建设", FARM, unit="yx")
    submit("平定农田建设", FARM + "平定县", unit="pdx")
    submit("秘密农田信息", FARM + "秘密", unit="yx", level="秘密")
    reporter = app.test_client().get("/api/v1/search", query_string={"q": "农田"}, headers=bearer("reporter"))
    body = reporter.get_json()
    # Own unit only, and within the reporter's clearance (内部 by default): not the 秘密 item.
    assert body["total"] == 1 and {h["unit"] for h in body["hits"]} == {"yx"}
    assert set(body["facets"]["unit"]) == {"yx"}
    low = user("editor2")
    low.clearance = 1  # 内部
    db.session.commit()
    body = (
        app.test_client()
        .get("/api/v1/search", query_string={"q": "农田"}, headers=bearer("editor2"))
        .get_json()
    )
    assert body["total"] == 2 and "秘密农田信息" not in [h["title"] for h in body["hits"]]


def test_old_near_duplicates_are_found_through_the_index(app: Flask) -> None:
    from datetime import date

    old = submit("盂县农田建设", FARM, unit="yx", event_date="2025-01-10").item  # outside the recent window
    old.event_date = date(2024, 1, 10)
    db.session.commit()
    result = submit("平定县农田建设", FARM + "。", unit="pdx")
    assert [d.item_id for d in result.duplicates] == [old.id]


def test_filter_by_publication(app: Flask) -> None:
    from webapp.services import items

    adopted = submit("盂县农田建设", FARM, unit="yx").item
    submit("平定农田建设", FARM + "平定县", unit="pdx")
    items.review_item(user("editor"), adopted.id, "adopt", "yqxx")
    body = (
        app.test_client()
        .get("/api/v1/search", query_string={"q": "农田", "publication": "yqxx"}, headers=bearer("editor"))
        .get_json()
    )
    assert [h["id"] for h in body["hits"]] == [adopted.id]
    assert body["facets"]["publication"] == {"yqxx": 1}
