"""The balance dashboard, rankings and 通报 exports, unit records and requests, through HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest
from flask import Flask

from nlp import Segmenter
from tests.conftest import bearer, close_app, login, make_app, submit, user
from webapp.extensions import db
from webapp.services import balance, demo, editing, items, reports, scoring
from webapp.timeutil import local_today

PROBLEM = "南坳村等部分农村生活污水处理设施存在建而不用问题，运维经费缺口较大，管网配套滞后，群众反映强烈。"
SUCCESS = "我县推进高标准农田建设，新建农田3.5万亩，带动农民增收，取得明显成效。"


def _office() -> None:
    today = local_today().isoformat()
    editor = user("editor")
    a = submit("污水处理设施运行不正常", PROBLEM, unit="yx", event_date=today).item
    b = submit("高标准农田建设成效明显", SUCCESS, unit="yx", event_date=today).item
    submit(
        "企业复工情况",
        "阳泉宏达机械有限公司复工复产有序推进，规上企业全部复工。",
        unit="fgw",
        event_date=today,
    )
    editing.correct_tags(editor, a.id, kind="problem")
    editing.correct_tags(editor, b.id, kind="achievement")
    items.review_item(editor, a.id, "adopt", "mrkb")


def test_balance_figures_and_api(app: Flask) -> None:
    _office()
    figures = balance.balance(balance.build_scope(None, None, None, None))
    assert figures.submitted.total == 3 and figures.adopted.total == 1
    assert figures.adopted.problem == 1 and figures.problem_share_adopted == 1.0
    assert figures.grassroots["企业"] == 1 and figures.grassroots["农村"] >= 1
    silent = {(s.unit.code, s.kind) for s in figures.silent_units}
    assert ("jq", "no_submission") in silent and ("yx", "no_submission") not in silent
    assert ("yx", "no_adoption") not in silent and ("jq", "no_adoption") in silent
    assert figures.silent_units[0].unit.direct_reporting  # direct-reporting points come first
    gaps = [p.name for p in figures.priorities if p.gap]
    assert "对外开放" in gaps

    client = app.test_client()
    body = client.get(
        "/api/v1/stats/balance", query_string={"category": "xq"}, headers=bearer("editor")
    ).get_json()
    assert body["submitted"]["total"] == 2 and body["submitted"]["kinds"]["problem"] == 1
    assert body["adopted"]["kinds"] == {"problem": 1, "achievement": 0, "other": 0}
    assert body["problem_share_submitted"] == 0.5 and body["problem_share_adopted"] == 1.0
    assert {"code", "name", "reason"} <= set(body["silent_units"][0])
    assert all(u["code"] in {"cq", "kq", "jq", "pdx", "yx", "gxq"} for u in body["silent_units"])
    assert client.get("/api/v1/stats/balance", headers=bearer("reporter")).status_code == 403
    bad = client.get("/api/v1/stats/balance", query_string={"from": "2026-13-01"}, headers=bearer("editor"))
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_date"

    ranking = client.get(
        "/api/v1/stats/ranking",
        query_string={"period": str(local_today().year), "category": "xq"},
        headers=bearer("editor"),
    ).get_json()
    top = ranking["rows"][0]
    assert top["unit"] == "yx" and top["rank"] == 1 and top["adopted"] == 1 and top["submitted"] == 2
    assert set(top) >= {
        "rank",
        "unit",
        "points",
        "adopted",
        "submitted",
        "adoption_rate",
        "target",
        "target_met",
    }
    assert (
        client.get(
            "/api/v1/stats/ranking", query_string={"period": "x", "category": "xq"}, headers=bearer("editor")
        ).status_code
        == 400
    )


def test_dashboard_numbers_link_to_their_items(app: Flask) -> None:
    _office()
    client = login(app.test_client(), "editor")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "问题性信息占报送总量 33.3%" in page and "<svg" in page
    assert "kind=problem" in page and "沉默单位" in page
    start = date(local_today().year, 1, 1).isoformat()
    link = f"/search?from={start}&amp;to={local_today().isoformat()}&amp;status=adopted&amp;kind=problem"
    assert link in page
    results = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "污水处理设施运行不正常" in results and "高标准农田" not in results


def test_rankings_page_and_exports(app: Flask) -> None:
    _office()
    client = login(app.test_client(), "editor")
    period = f"{local_today():%Y-%m}"
    page = client.get("/rankings", query_string={"period": period}).get_data(as_text=True)
    assert "盂县人民政府办公室" in page and "排名" in page
    word = client.get(f"/rankings/export.docx?period={period}")
    assert word.status_code == 200
    tables = docx.Document(io.BytesIO(word.data)).tables
    assert any("盂县人民政府办公室" in cell.text for t in tables for row in t.rows for cell in row.cells)
    sheet = client.get(f"/rankings/export.csv?period={period}")
    rows = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["类别", "名次", "名次变化", "单位"] and any(
        r[3] == "盂县人民政府办公室" for r in rows
    )
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/rankings/export.xlsx?period={period}").data))
    values = [c.value for c in book.active["D"]]
    assert "盂县人民政府办公室" in values
    assert client.get("/rankings/export.pdf").status_code == 404
    assert login(app.test_client(), "reporter").get("/rankings").status_code == 403


def test_unit_record_ledger_and_missed_report(app: Flask) -> None:
    _office()
    client = login(app.test_client(), "editor")
    page = client.get("/units/yx").get_data(as_text=True)
    assert "计分台账" in page and "本级采用" in page and "问题性信息加分" in page
    client.post(
        "/units/jq/missed", data={"event_date": local_today().isoformat(), "description": "某镇山火未报"}
    )
    page = client.get("/units/jq").get_data(as_text=True)
    assert "漏报：" in page and "某镇山火未报" in page and "-2" in page
    assert login(app.test_client(), "reporter").get("/units/jq").status_code == 403


def test_request_flow_through_pages(app: Flask) -> None:
    editor = login(app.test_client(), "editor")
    deadline = (local_today() + timedelta(days=5)).isoformat()
    response = editor.post(
        "/requests", data={"topic": "秋粮收购进展", "deadline": deadline, "units": ["yx", "pdx"]}
    )
    assert response.status_code == 302
    url = response.headers["Location"]
    reporter = login(app.test_client(), "reporter")
    assert "秋粮收购进展" in reporter.get("/").get_data(as_text=True)
    request_id = int(url.rsplit("/", 1)[1])
    form = {
        "title": "我县秋粮收购进展",
        "text": "我县秋粮收购进展顺利，已收购粮食2万吨。",
        "request_id": str(request_id),
    }
    response = reporter.post("/items/new", data=form)
    assert response.status_code == 302
    answer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = reporter.get(url).get_data(as_text=True)
    assert "已报送，待评定" in page and "平定县" not in page  # a reporter sees only their own unit's line
    page = editor.get(url).get_data(as_text=True)
    assert "征集中" in page and "待报送" in page
    verdict = editor.post(f"{url}/answers/{answer_id}/verdict", data={"verdict": "off_topic"})
    assert verdict.status_code == 302
    page = editor.get(url).get_data(as_text=True)
    assert "答非所问" in page and "答复未被采用" in page
    editor.post(f"{url}/answers/{answer_id}/verdict", data={"verdict": "adopted"})
    assert "已按时报送并采用" in reporter.get(url).get_data(as_text=True)
    assert login(app.test_client(), "reporter_nyj").get(url).status_code == 404
    scoring_page = editor.get("/admin/scoring").get_data(as_text=True)
    assert "计分规则" in scoring_page


def test_admin_saves_rules_and_settings(app: Flask) -> None:
    admin = login(app.test_client(), "admin")
    form = {
        "section": "rules",
        "effective_from": "2026-01-01",
        "adoption_points": "mrkb 2\n* 1",
        "upward_points": "province 3\ncentral 6",
        "instruction_points": "provincial 5",
        "multi_outlet": "each",
        **{name: "1" for name in scoring.NUMERIC_RULES},
    }
    assert admin.post("/admin/scoring", data=form).status_code == 302
    _, rules = scoring.rule_book().at(date(2026, 6, 1))
    assert rules.adoption("mrkb") == 2 and rules.multi_outlet == "each"
    bad = admin.post("/admin/scoring", data={**form, "problem_bonus": "很多"}, follow_redirects=True)
    assert "必须是数值" in bad.get_data(as_text=True)
    admin.post(
        "/admin/scoring",
        data={
            "section": "setting",
            "key": "silence",
            "value": '{"days_without_submission": 7, "months_without_adoption": 2}',
        },
    )
    assert scoring.setting("silence", {})["days_without_submission"] == 7
    db.session.remove()


def test_manual_corrections_and_target_overrides(app: Flask) -> None:
    year = local_today().year
    admin = login(app.test_client(), "admin")
    admin.post("/units/yx/score", data={"action": "correction", "points": "-1.5", "note": "重复报送"})
    admin.post("/units/yx/score", data={"action": "target", "year": str(year), "points": "12"})
    assert scoring.yearly_targets("xq", year)[user("reporter").unit_id] == 12.0
    assert [(e.cause, e.points) for e in scoring.ledger("yx", scoring.parse_period(str(year)))] == [
        ("correction", -1.5)
    ]
    scoring.rescore_all()
    assert sum(e.points for e in scoring.ledger("yx", scoring.parse_period(str(year)))) == -1.5
    response = admin.post(
        "/units/yx/score", data={"action": "correction", "points": "x", "note": "n"}, follow_redirects=True
    )
    assert "格式有误" in response.get_data(as_text=True)
    editor = login(app.test_client(), "editor")
    editor.post("/units/yx/score", data={"action": "target", "year": str(year), "points": "1"})
    assert scoring.yearly_targets("xq", year)[user("reporter").unit_id] == 12.0  # admins only


@pytest.fixture
def demo_app(tmp_path: Path, segmenter: Segmenter) -> Iterator[Flask]:
    """A fresh demo office from the built-in sample (fast, and the same on every machine)."""
    app = make_app(tmp_path, segmenter, WTF_CSRF_ENABLED=False)
    with app.app_context():
        demo.seed_demo(tmp_path / "no-corpus")
        yield app
        close_app(app)


def test_every_period_kind_exports_on_a_fresh_demo(demo_app: Flask) -> None:
    """Month, quarter, year, year to date and a span of months: the 通报 in Word, CSV and XLSX; no
    采用率 above 100 %; 先进 within a quota below the category's size and never 不合格."""
    client = login(demo_app.test_client(), "editor")
    today = local_today()
    periods = [
        f"{today:%Y-%m}",
        f"{today.year}-Q{(today.month - 1) // 3 + 1}",
        str(today.year),
        f"{today.year}-ytd",
        f"{today.year - 1}-09-01~{today.year}-01-31",
    ]
    for period in periods:
        for kind in ("docx", "csv", "xlsx"):
            response = client.get(f"/rankings/export.{kind}", query_string={"period": period})
            assert response.status_code == 200, (period, kind, response.get_data(as_text=True)[:300])
        assert client.get("/rankings", query_string={"period": period}).status_code == 200
        for category, rows in reports.sections(scoring.parse_period(period)):
            assert all(0.0 <= r.adoption_rate <= 1.0 for r in rows)
            excellent = [r for r in rows if r.excellent]
            assert len(excellent) <= scoring.excellent_quota(category.code, len(rows)) < len(rows)
            assert all(r.target_met is not False for r in excellent)
    yearly = docx.Document(io.BytesIO(client.get(f"/rankings/export.docx?period={today.year}").data))
    text = "\n".join(p.text for p in yearly.paragraphs)
    assert "说明" in text and "采用率为本期报送的信息中已被采用" in text
    monthly = docx.Document(io.BytesIO(client.get(f"/rankings/export.docx?period={today:%Y-%m}").data))
    header = [cell.text for cell in monthly.tables[0].rows[0].cells]
    assert "年度进度" in header and "是否达标" not in header
    api = client.get(f"/api/v1/stats/ranking?period={today.year}", headers=bearer("editor")).get_json()
    assert {c["category"] for c in api["categories"]} >= {"xq", "szbm", "zddw"}
    row = api["categories"][0]["rows"][0]
    assert isinstance(row["excellent"], bool) and row["qualified"] in (True, False, None)
    monthly_api = client.get(
        f"/api/v1/stats/ranking?period={today:%Y-%m}&category=xq", headers=bearer("editor")
    )
    assert all(r["qualified"] is None for r in monthly_api.get_json()["rows"])


def test_dashboard_counts_achievement_items_that_contain_problems(app: Flask) -> None:
    today = local_today().isoformat()
    mixed = submit(
        "全县粮食生产再获丰收",
        "今年全县粮食总产量达到42万吨，同比增长3.1%。新建高标准农田5万亩，农业机械化水平明显提高。"
        "但也存在农田水利设施老化等问题。",
        unit="yx",
        event_date=today,
    ).item
    assert mixed.kind == "achievement" and mixed.contains_problems
    figures = balance.balance(balance.build_scope(None, None, None, None))
    assert figures.containing_problems == 1 and figures.as_json()["containing_problems"] == 1
    page = login(app.test_client(), "editor").get("/dashboard").get_data(as_text=True)
    assert "另有 1 条成绩、经验等信息同时反映了问题" in page
