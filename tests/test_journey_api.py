"""The whole journey of one item through the JSON API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import io

import docx
from docx.shared import Mm
from flask import Flask

from tests.conftest import bearer

PROBLEM_TEXT = (
    "近期调研发现，我县部分乡镇已建成的农村生活污水处理设施存在“建而不用”问题。"
    "一是运维经费缺口较大，12个站点中有5个长期停运。二是管网配套滞后，收集管网覆盖率不足四成。"
    "建议将运维经费纳入财政预算，推行专业化运维。"
)
TRADITIONAL_TEXT = (
    "市農業農村局推進高標準農田建設，今年新建高標準農田3.5萬畝，"
    "項目區畝均增產糧食80公斤以上，帶動農民人均增收600餘元。經驗做法被省辦採用。"
)


def test_item_travels_from_submission_to_word_bulletin(any_db_app: Flask) -> None:
    client = any_db_app.test_client()
    reporter, editor = bearer("reporter"), bearer("editor")

    created = client.post(
        "/api/v1/items",
        json={
            "title": "我县农村生活污水处理设施运行不正常",
            "text": PROBLEM_TEXT,
            "event_date": "2026-11-20",
        },
        headers=reporter,
    )
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert item["unit"] == "yx" and item["status"] == "submitted" and item["level"] == "内部"
    assert item["kind"] == "problem" and item["kind_evidence"]
    assert any(t["name"] == "三农" for t in item["topics"])
    assert item["keywords"]

    trad = client.post(
        "/api/v1/items",
        json={"title": "高標準農田建設成效明顯", "text": TRADITIONAL_TEXT, "unit": "nyj", "level": "公开"},
        headers=editor,
    )
    assert trad.status_code == 201, trad.get_json()
    trad_id = trad.get_json()["id"]

    fetched = client.get(f"/api/v1/items/{item['id']}", headers=reporter)
    assert fetched.status_code == 200 and fetched.get_json()["title"] == item["title"]

    # A simplified query finds the traditional-script item and the reverse, with highlights.
    found = client.get("/api/v1/search", query_string={"q": "采用 农田"}, headers=editor).get_json()
    assert [h["id"] for h in found["hits"]] == [trad_id]
    assert "<mark>" in found["hits"][0]["snippet"]
    found = client.get("/api/v1/search", query_string={"q": "汙水 處理"}, headers=editor).get_json()
    assert item["id"] in [h["id"] for h in found["hits"]]
    # Reporters see their own unit only, in hits and in totals.
    mine = client.get("/api/v1/search", query_string={"q": "农田"}, headers=reporter).get_json()
    assert mine["total"] == 0 and mine["hits"] == []

    refused = client.post(f"/api/v1/items/{item['id']}/review", json={"action": "adopt"}, headers=reporter)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    for item_id in (item["id"], trad_id):
        adopted = client.post(
            f"/api/v1/items/{item_id}/review", json={"action": "adopt", "publication": "mrkb"}, headers=editor
        )
        assert adopted.status_code == 200 and adopted.get_json()["status"] == "adopted"
    assert (
        client.get(
            "/api/v1/search", query_string={"q": "农田", "status": "adopted"}, headers=editor
        ).get_json()["total"]
        == 1
    )

    publications = client.get("/api/v1/publications", headers=editor).get_json()["publications"]
    assert {"mrkb", "yqxx"} <= {p["code"] for p in publications}
    units = client.get("/api/v1/units", headers=editor).get_json()["units"]
    assert len(units) >= 15 and all(u["code"] for u in units)

    issue = client.post(
        "/api/v1/bulletins", json={"publication": "mrkb", "item_ids": [trad_id, item["id"]]}, headers=editor
    )
    assert issue.status_code == 201 and issue.get_json()["number"] == 1
    repeat = client.post(
        "/api/v1/bulletins", json={"publication": "mrkb", "item_ids": [trad_id]}, headers=editor
    )
    assert repeat.status_code == 409 and repeat.get_json()["error"] == "already_published"
    second = client.post(
        "/api/v1/bulletins",
        json={"publication": "mrkb", "item_ids": [trad_id], "override_reason": "更正后重发"},
        headers=editor,
    )
    assert second.get_json()["number"] == 2
    other = client.post(
        "/api/v1/bulletins", json={"publication": "yqxx", "item_ids": [trad_id]}, headers=editor
    )
    assert other.get_json()["number"] == 1

    download = client.get(f"/api/v1/bulletins/{issue.get_json()['id']}.docx", headers=editor)
    assert download.status_code == 200
    assert download.mimetype.endswith("wordprocessingml.document")
    document = docx.Document(io.BytesIO(download.data))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.5) and abs(section.page_height - Mm(297)) < Mm(0.5)
    assert abs(section.top_margin - Mm(37)) < Mm(0.5) and abs(section.left_margin - Mm(28)) < Mm(0.5)
    texts = [p.text for p in document.paragraphs]
    assert texts[0].strip() == "每日快报" or "每日快报" in texts[:3]
    assert any("第1期" in t for t in texts)
    # Official outputs are in simplified script, whatever the item was written in.
    titles = [t for t in texts if t in ("高标准农田建设成效明显", "我县农村生活污水处理设施运行不正常")]
    assert titles[-2:] == ["高标准农田建设成效明显", "我县农村生活污水处理设施运行不正常"]
    assert "高標準農田建設成效明顯" not in "".join(texts)


def test_api_errors_are_json_with_fitting_status(app: Flask) -> None:
    client = app.test_client()
    editor = bearer("editor")
    assert client.get("/api/v1/items/1").status_code == 401
    assert client.get("/api/v1/items/1", headers={"Authorization": "Bearer wrong"}).get_json()["error"] == (
        "unauthorized"
    )
    cases = [
        ({"title": "", "text": "正文"}, "title_required"),
        ({"title": "标题", "text": "正文", "unit": "yx", "level": "绝密"}, "level_refused"),
        ({"title": "标题", "text": "正文", "unit": "yx", "level": "顶级"}, "invalid_level"),
        ({"title": "标题", "text": "正文", "unit": "nope"}, "unknown_unit"),
        ({"title": "标题", "text": "正文", "unit": "yx", "event_date": "2026-13-01"}, "invalid_date"),
        ({"title": 5, "text": "正文"}, "invalid_field"),
    ]
    for body, code in cases:
        response = client.post("/api/v1/items", json=body, headers=editor)
        assert response.status_code == 400, body
        assert response.get_json()["error"] == code and response.get_json()["message"]
    not_json = client.post("/api/v1/items", data="x", headers=editor, content_type="text/plain")
    assert not_json.status_code == 400 and not_json.get_json()["error"] == "invalid_json"
    assert client.get("/api/v1/items/999", headers=editor).status_code == 404
    bad_query = client.get("/api/v1/search", query_string={"q": "x", "page": "0"}, headers=editor)
    assert bad_query.status_code == 400
    assert client.get("/api/v1/nothing", headers=editor).get_json()["error"] == "not_found"


def test_reporter_cannot_submit_for_another_unit_or_read_it(app: Flask) -> None:
    client = app.test_client()
    other = client.post(
        "/api/v1/items", json={"title": "标题", "text": "正文内容", "unit": "nyj"}, headers=bearer("reporter")
    )
    assert other.status_code == 403
    theirs = client.post(
        "/api/v1/items", json={"title": "农业信息", "text": "正文内容"}, headers=bearer("reporter_nyj")
    ).get_json()
    assert client.get(f"/api/v1/items/{theirs['id']}", headers=bearer("reporter")).status_code == 404


def test_review_rules(app: Flask) -> None:
    client = app.test_client()
    editor = bearer("editor")
    item_id = client.post(
        "/api/v1/items", json={"title": "一条信息", "text": "正文内容", "unit": "yx"}, headers=editor
    ).get_json()["id"]
    missing_reason = client.post(f"/api/v1/items/{item_id}/review", json={"action": "reject"}, headers=editor)
    assert missing_reason.status_code == 400 and missing_reason.get_json()["error"] == "reason_required"
    returned = client.post(
        f"/api/v1/items/{item_id}/review", json={"action": "return", "reason": "请补充数据"}, headers=editor
    )
    assert returned.get_json()["status"] == "returned"
    again = client.post(
        f"/api/v1/items/{item_id}/review", json={"action": "adopt", "publication": "mrkb"}, headers=editor
    )
    assert again.status_code == 409
    not_adopted = client.post(
        "/api/v1/bulletins", json={"publication": "mrkb", "item_ids": [item_id]}, headers=editor
    )
    assert not_adopted.status_code == 409 and not_adopted.get_json()["error"] == "not_adopted"


def test_openapi_describes_the_api(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/items",
        "/items/{id}",
        "/items/{id}/review",
        "/search",
        "/bulletins",
        "/bulletins/{id}.docx",
        "/publications",
        "/units",
    ):
        assert path in spec["paths"]
