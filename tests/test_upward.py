"""Upward reporting as data: outlets with points as rules, items sent up and adopted, each unit's share
of the city's upward points, standings the upper offices publish, and silent direct-reporting points."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from nlp import Segmenter
from tests.conftest import bearer, close_app, login, make_app, submit, user
from webapp.extensions import db
from webapp.models import UpwardReport
from webapp.services import balance, editing, items, scoring, upward
from webapp.services.errors import Forbidden, ValidationError
from webapp.timeutil import local_today

TEXT = "我县推进高标准农田建设，新建农田3.5万亩，带动农民增收，取得明显成效。"


@pytest.fixture
def app(any_db_app: Flask) -> Flask:
    """Every test here runs on SQLite and again on PostgreSQL (skipped cleanly without it)."""
    return any_db_app


def _adopted(unit: str, title: str) -> int:
    item = submit(title, TEXT + title, unit=unit).item
    items.review_item(user("editor"), item.id, "adopt", "mrkb")
    return item.id


def test_outlets_and_their_points_are_rules(app: Flask) -> None:
    assert [o.code for o in upward.list_outlets()] == ["province", "central", "zryq"]
    _, rules = scoring.rule_book().at(local_today())
    assert [rules.upward(o) for o in upward.list_outlets()] == [3.0, 6.0, 10.0]
    admin = user("admin")
    outlet = upward.save_outlet(
        admin, "swyq", "省委办公厅《每日要情》", "province", points=4, effective_from=local_today()
    )
    _, rules = scoring.rule_book().at(local_today())
    assert rules.upward(outlet) == 4.0
    _, before = scoring.rule_book().at(local_today() - timedelta(days=1))
    assert before.upward(outlet) == 3.0  # the province tier's points before the new rule set
    with pytest.raises(Forbidden):
        upward.save_outlet(user("editor"), "x1", "某刊物", "province")
    with pytest.raises(ValidationError):
        upward.save_outlet(admin, "Bad Code", "某刊物", "province")
    with pytest.raises(ValidationError):
        upward.save_outlet(admin, "ok", "某刊物", "county")


def test_sent_and_adopted_figures_and_shares(app: Flask) -> None:
    editor = user("editor")
    today = local_today()
    yx, fgw = _adopted("yx", "盂县经验"), _adopted("fgw", "发改委经验")
    for item_id in (yx, fgw):
        upward.record_upward(editor, item_id, "province", "sent", today)
    upward.record_upward(editor, yx, "zryq", "adopted", today)  # 10 points
    upward.record_upward(
        editor, fgw, "province", "adopted", today, awarded_points=2.5
    )  # the upper office's 2.5
    a, b = (
        submit("平定县秋粮", TEXT + "平定", unit="pdx").item,
        submit("郊区秋粮", TEXT + "郊区", unit="jq").item,
    )
    merged = editing.merge_items(editor, [a.id, b.id], "全市秋粮收购进展")
    upward.record_upward(editor, merged.id, "central", "adopted", today)  # 6 points, the office's own
    figures = upward.upward_figures(scoring.parse_period(f"{today.year}-ytd"))
    assert (figures.sent, figures.adopted, figures.total_points) == (2, 3, 18.5)
    by_outlet = {o.outlet.code: (o.sent, o.adopted) for o in figures.outlets}
    assert by_outlet == {"province": (2, 1), "central": (0, 1), "zryq": (0, 1)}
    shares = {u.unit.code: (u.points, round(u.share, 3)) for u in figures.units if u.points}
    assert shares == {"yx": (10.0, 0.541), "office": (6.0, 0.324), "fgw": (2.5, 0.135)}
    # Every direct-reporting point is listed, the silent ones at 0.
    assert [u.unit.code for u in figures.direct_points] == ["yx", "fgw", "jq", "nyj", "pdx", "yjj"]
    # The local score: 每日快报 (1), then 《昨日要情》 adds the 9 more on its day (highest outlet only).
    ledger = scoring.ledger("yx", scoring.parse_period(f"{today.year}-ytd"))
    assert sum(e.points for e in ledger if e.item_id == yx) == 10.0


def test_upward_records_are_checked(app: Flask) -> None:
    editor = user("editor")
    item_id = _adopted("yx", "盂县经验")
    for outlet, kind, day, points in (
        ("nowhere", "adopted", None, None),
        ("province", "lost", None, None),
        ("province", "adopted", "2020-01-01", None),  # before the item was submitted
        ("province", "adopted", None, "-1"),
        ("province", "adopted", None, "nan"),
    ):
        with pytest.raises(ValidationError):
            upward.record_upward(editor, item_id, outlet, kind, day, points)
    with pytest.raises(Forbidden):
        upward.record_upward(user("reporter"), item_id, "province", "sent", None)


def test_direct_reporting_point_silent_upward_despite_local_adoptions(app: Flask) -> None:
    editor = user("editor")
    _adopted("yx", "盂县经验")  # a local adoption today: not an upward one
    pdx = _adopted("pdx", "平定经验")
    upward.record_upward(editor, pdx, "province", "adopted", local_today())
    found = {
        (s.unit.code, s.kind) for s in balance.silent_units(balance.scope_units(balance.Scope(None, None)))
    }
    assert ("yx", "no_upward") in found
    assert ("pdx", "no_upward") not in found
    assert not any(code == "cq" and kind == "no_upward" for code, kind in found)  # not a 直报点


def test_standings_are_recorded_as_a_trend(app: Flask) -> None:
    editor = user("editor")
    for month, rank in (("2026-01", 12), ("2026-02", 4), ("2026-03", 6)):
        upward.record_standing(editor, month, "national_rank", rank, 31)
    upward.record_standing(editor, "2026-03", "national_rank", 5, 31, "更正")  # a correction replaces
    upward.record_standing(editor, "2026", "quality_coefficient", 42, 240)
    trend = upward.standings()
    assert [(r.period, r.value) for r in trend["national_rank"]] == [
        ("2026-01", 12),
        ("2026-02", 4),
        ("2026-03", 5),
    ]
    with pytest.raises(ValidationError):
        upward.record_standing(editor, "2026-04", "national_rank", 40, 31)  # a rank beyond the field
    with pytest.raises(ValidationError):
        upward.record_standing(editor, "2026-13", "national_rank", 4, 31)


def test_upward_api_and_pages(app: Flask) -> None:
    client = app.test_client()
    item_id = _adopted("yx", "盂县经验")
    headers = bearer("editor")
    response = client.post(
        f"/api/v1/items/{item_id}/upward",
        json={"outlet": "zryq", "kind": "adopted", "date": local_today().isoformat(), "points": 3},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["outlet"] == "zryq"
    assert (
        client.get(f"/api/v1/items/{item_id}", headers=headers).get_json()["upward"][0]["kind"] == "adopted"
    )
    stats = client.get("/api/v1/stats/upward", headers=headers).get_json()
    assert stats["total_points"] == 3.0 and stats["units"][0] == {
        "unit": "yx",
        "unit_name": "盂县人民政府办公室",
        "direct_reporting": True,
        "office": False,
        "points": 3.0,
        "adopted": 1,
        "share": 1.0,
    }
    assert client.get("/api/v1/stats/upward", headers=bearer("reporter")).status_code == 403
    listed = client.get("/api/v1/outlets", headers=headers).get_json()["outlets"]
    assert {o["code"]: o["points"] for o in listed} == {"province": 3.0, "central": 6.0, "zryq": 10.0}
    body = {"code": "swyq", "name": "省委办公厅《每日要情》", "tier": "province", "points": 4}
    assert client.post("/api/v1/outlets", json=body, headers=headers).status_code == 403
    assert client.post("/api/v1/outlets", json=body, headers=bearer("admin")).status_code == 201
    bad = client.post("/api/v1/items/1/upward", json={"outlet": "zryq", "kind": "x"}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_kind"
    leader = login(app.test_client(), "leader")
    page = leader.get("/upward").get_data(as_text=True)
    assert "上报与上级采用" in page and "盂县人民政府办公室" in page
    assert login(app.test_client(), "reporter").get("/upward").status_code == 403
    assert leader.get("/admin/outlets").status_code == 403
    admin = login(app.test_client(), "admin")
    assert "国办《昨日要情》" in admin.get("/admin/outlets").get_data(as_text=True)
    editor = login(app.test_client(), "editor")
    response = editor.post(
        "/upward/standings",
        data={"period": "2026-05", "measure": "national_rank", "value": "8", "out_of": "31"},
    )
    assert response.status_code == 302
    assert "全国排名" in editor.get("/upward").get_data(as_text=True)


def test_api_keeps_genre_event_time_and_request(app: Flask) -> None:
    """An emergency sent by API is timed like one sent by the form (it used to escape 迟报)."""
    client = app.test_client()
    event = (local_today() - timedelta(days=1)).isoformat() + "T08:00"
    response = client.post(
        "/api/v1/items",
        json={
            "title": "某镇突发山火",
            "text": "某镇昨日上午突发山火，现已扑灭。",
            "unit": "yx",
            "genre": "emergency",
            "event_time": event,
        },
        headers=bearer("editor"),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["genre"] == "emergency" and body["event_time"].startswith(
        str(local_today() - timedelta(days=1))
    )
    ledger = scoring.ledger("yx", scoring.parse_period(str(local_today().year)))
    assert [e.cause for e in ledger if e.item_id == body["id"]] == ["late_report"]
    bad = client.post(
        "/api/v1/items",
        json={"title": "t", "text": "正文", "unit": "yx", "request_id": 0},
        headers=bearer("editor"),
    )
    assert bad.status_code == 400


def test_old_upward_adoptions_move_to_upward_reports(tmp_path: Path, segmenter: Segmenter) -> None:
    """The migration keeps every recorded upward adoption, under its level's outlet, its text as a note."""
    app = make_app(tmp_path, segmenter)
    with app.app_context():
        downgrade(revision="0007")
        rows = [
            "INSERT INTO unit_category (code, name, sort_order) VALUES ('xq', '县区', 1)",
            "INSERT INTO unit (code, name, category_id, direct_reporting, active, is_office) "
            "VALUES ('yx', '盂县', 1, 1, 1, 0)",
            "INSERT INTO item (title, original_text, clean_text, simplified_title, simplified_text, "
            "unit_id, author, event_date, submitted_at, updated_at, status, level, kind, kind_score, "
            "kind_evidence, keywords, sentences, fingerprint, is_comprehensive, genre, kind_locked, "
            "topics_locked) VALUES ('t', 'x', 'x', 't', 'x', 1, '', '2026-01-02', "
            "'2026-01-02 00:00:00', '2026-01-02 00:00:00', 'adopted', '内部', 'other', 0, '[]', '[]', "
            "'[]', 0, 0, 'dynamic', 0, 0)",
            "INSERT INTO upward_adoption (item_id, level, outlet, adopted_on, created_at) "
            "VALUES (1, 'central', '《昨日要情》', '2026-01-05', '2026-01-05 00:00:00')",
        ]
        for row in rows:
            db.session.execute(text(row))
        db.session.commit()
        upgrade()
        row = db.session.scalar(db.select(UpwardReport))
        assert row is not None
        assert (row.outlet.code, row.kind, row.reported_on, row.note) == (
            "central",
            "adopted",
            date(2026, 1, 5),
            "《昨日要情》",
        )
        close_app(app)
