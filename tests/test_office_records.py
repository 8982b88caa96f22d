"""The office's records: units and categories, the writer roster, and what the 通报 and dashboard say
about 约稿, 调研 and upward work."""

from __future__ import annotations

import io
from datetime import date, timedelta

import docx
import pytest
from flask import Flask

from nlp.entities import grassroots_entities
from tests.conftest import bearer, login, submit, user
from webapp.extensions import db
from webapp.models import Item, Request, Unit
from webapp.services import balance, items, reports, requests, scoring, units, writers
from webapp.services.errors import Forbidden, ValidationError
from webapp.timeutil import local_today

TEXT = "我县推进高标准农田建设，新建农田3.5万亩，带动农民增收，取得明显成效。"


@pytest.fixture
def app(any_db_app: Flask) -> Flask:
    """Every test here runs on SQLite and again on PostgreSQL (skipped cleanly without it)."""
    return any_db_app


def test_units_and_categories_are_managed(app: Flask) -> None:
    admin = user("admin")
    units.save_category(admin, "qt", "其他单位", 9)
    unit = units.save_unit(admin, "xhs", "新华社阳泉支社", "qt", direct_reporting=True)
    assert (unit.category.name, unit.direct_reporting, unit.active) == ("其他单位", True, True)
    units.save_unit(admin, "xhs", "新华社阳泉分社", "zddw", active=False)
    renamed = db.session.scalar(db.select(Unit).where(Unit.code == "xhs"))
    assert renamed is not None and (renamed.name, renamed.category.code, renamed.active) == (
        "新华社阳泉分社",
        "zddw",
        False,
    )
    assert "xhs" not in {u.code for u in units.list_units(include_inactive=False)}
    with pytest.raises(Forbidden):
        units.save_unit(user("editor"), "x", "某单位", "xq")
    for code, name, category in (("Bad Code", "某单位", "xq"), ("ok", "", "xq"), ("ok", "某单位", "nope")):
        with pytest.raises(ValidationError):
            units.save_unit(admin, code, name, category)
    client = app.test_client()
    body = {"code": "sjj", "name": "市审计局", "category": "szbm"}
    assert client.post("/api/v1/units", json=body, headers=bearer("editor")).status_code == 403
    created = client.post("/api/v1/units", json=body, headers=bearer("admin"))
    assert created.status_code == 201 and created.get_json()["category"] == "szbm"
    listed = client.get("/api/v1/units?all=1", headers=bearer("editor")).get_json()["units"]
    assert {"xhs", "sjj", "office"} <= {u["code"] for u in listed}
    page = login(app.test_client(), "admin").get("/admin/units").get_data(as_text=True)
    assert "市审计局" in page and "直报点" in page
    assert login(app.test_client(), "editor").get("/admin/units").status_code == 403


def test_writer_roster_points_and_best_writer(app: Flask) -> None:
    editor = user("editor")
    writers.save_writer(
        editor, "yx", "王伟", full_time=True, leader_in_charge="李副县长", trainings="全市信息工作培训班"
    )
    writers.save_writer(user("reporter"), "yx", "李静", phone="0353-1234567")
    with pytest.raises(Forbidden):
        writers.save_writer(user("reporter_nyj"), "yx", "张磊")
    roster = writers.roster("yx")
    assert [w.name for w in roster] == ["李静", "王伟"] and roster[1].trainings == ["全市信息工作培训班"]
    client = app.test_client()
    response = client.post(
        "/api/v1/items",
        json={"title": "盂县农田建设", "text": TEXT, "unit": "yx", "writer": "王伟"},
        headers=bearer("editor"),
    )
    assert response.status_code == 201 and response.get_json()["writer"] == "王伟"
    assert response.get_json()["author"] == "王伟"
    item_id = response.get_json()["id"]
    items.review_item(editor, item_id, "adopt", "mrkb")
    bad = client.post(
        "/api/v1/items",
        json={"title": "t", "text": TEXT + "二", "unit": "yx", "writer": "查无此人"},
        headers=bearer("editor"),
    )
    assert bad.status_code == 400 and bad.get_json()["error"] == "unknown_writer"
    year = scoring.parse_period(str(local_today().year))
    points = writers.writer_points(year)
    assert [(p.writer.name, p.points, p.items) for p in points] == [("王伟", 1.0, 1)]
    yx = db.session.scalar(db.select(Unit).where(Unit.code == "yx"))
    assert yx is not None and writers.best_writers(year, [yx.id])[yx.id].writer.name == "王伟"
    page = login(app.test_client(), "reporter").get("/units/yx").get_data(as_text=True)
    assert "信息员名册" in page and "王伟" in page and "专职" in page
    form = login(app.test_client(), "reporter").get("/items/new").get_data(as_text=True)
    assert "王伟" in form and "李静" in form


def test_report_sections_on_requests_research_and_upward(app: Flask) -> None:
    editor = user("editor")
    request = requests.create_request(
        editor, "冬季供暖", "请报送供暖保障情况", local_today(), unit_codes=["yx", "pdx"]
    )
    answer = items.submit_item(
        None, items.ItemInput("供暖", "已完成换热站检修12座。", unit_code="yx", request_id=request.id)
    )
    requests.judge_answer(editor, answer.item.id, "adopted")
    items.submit_item(None, items.ItemInput("农田调研", TEXT + "调研", unit_code="yx", genre="research"))
    period = scoring.parse_period(f"{local_today().year}-ytd")
    report = reports.ranking_report(period, editor)
    sections = dict(report.extra_sections)
    assert any(
        "冬季供暖" in line and "按时采用1个" in line and "平定县" in line for line in sections["约稿完成情况"]
    )
    assert sections["调研信息"][0].endswith("共报送调研信息1条。")
    assert "上报与上级采用" in sections
    year = reports.ranking_report(scoring.parse_period(str(local_today().year)), editor)
    research = dict(year.extra_sections)["调研信息"]
    assert any(
        "未达到每年2条调研信息要求的单位" in line and "盂县人民政府办公室（1条）" in line for line in research
    )
    assert "优秀信息员" in dict(year.extra_sections) or not any(
        r.excellent
        for _, rows in reports.sections(scoring.parse_period(str(local_today().year)))
        for r in rows
    )
    client = login(app.test_client(), "editor")
    text = "\n".join(
        p.text
        for p in docx.Document(
            io.BytesIO(client.get(f"/rankings/export.docx?period={period.key}").data)
        ).paragraphs
    )
    assert "约稿完成情况" in text and "调研信息" in text and "上报与上级采用" in text


def test_dashboard_floor_research_and_publication_shares(app: Flask) -> None:
    editor = user("editor")
    problem = submit(
        "南坳村污水设施闲置", "南坳村生活污水处理设施建而不用，群众反映强烈，亟待解决。", unit="yx"
    ).item
    good = submit("盂县第一中学建成智慧教室", "盂县第一中学建成智慧教室20间，取得明显成效。", unit="yx").item
    from webapp.services import editing

    editing.correct_tags(editor, problem.id, kind="problem")
    editing.correct_tags(editor, good.id, kind="achievement")
    items.review_item(editor, problem.id, "adopt", "mrkb")
    figures = balance.balance(balance.build_scope(None, None, None, None))
    assert figures.problem_share_submitted == 0.5 and figures.problem_in_band  # a floor: 50 % is fine
    assert figures.grassroots == {"企业": 0, "学校": 1, "社区": 0, "农村": 1}
    mrkb = next(p for p in figures.publications if p.publication.code == "mrkb")
    assert (mrkb.items, mrkb.problem) == (1, 1)
    page = login(app.test_client(), "editor").get("/dashboard").get_data(as_text=True)
    assert "各刊物构成" in page and "调研信息" in page and "偏高" not in page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "阳泉煤业集团公司推进安全生产，桃园社区开展活动",
            {"企业": ["阳泉煤业集团公司"], "社区": ["桃园社区"]},
        ),
        ("在张家村召开现场会，村委会组织村民", {"农村": ["张家村", "村委会"]}),
        ("盂县第一中学和山西大学签约", {"学校": ["盂县第一中学", "山西大学"]}),
        ("全市规上企业全部复工，全市中小学开学，城乡社区治理，美丽乡村建设，农村人居环境整治", {}),
        ("北京楼市新政出台，二手房成交量回升", {}),
    ],
)
def test_grassroots_bodies_are_named_not_just_mentioned(text: str, expected: dict[str, list[str]]) -> None:
    assert {k: v for k, v in grassroots_entities(text).items() if v} == expected


def test_first_year_targets_from_a_category_baseline(app: Flask) -> None:
    """With no last year to average, a baseline per category (not unit by unit) sets the targets, and
    points per item may differ by category."""
    year = local_today().year
    assert scoring.yearly_targets("xq", year) == {}
    scoring.save_setting(None, scoring.BASELINE_KEY, {"xq": 4, "szbm": 2})
    scoring.save_rules(None, date(year, 1, 1), {"points_per_item_by_category": {"xq": 1.5}})
    assert set(scoring.yearly_targets("xq", year).values()) == {6.0}
    assert set(scoring.yearly_targets("szbm", year).values()) == {2.0}
    with pytest.raises(ValidationError):
        scoring.save_setting(None, scoring.BASELINE_KEY, {"xq": "many"})


def test_api_scoring_rules_and_requests(app: Flask) -> None:
    client = app.test_client()
    editor, admin, reporter = bearer("editor"), bearer("admin"), bearer("reporter")
    rules = client.get("/api/v1/scoring/rules", headers=editor).get_json()
    assert rules["rules"]["upward_points"]["zryq"] == 10.0 and rules["rule_sets"] == []
    body = {"effective_from": f"{local_today().year}-01-01", "rules": {**rules["rules"], "problem_bonus": 2}}
    assert client.put("/api/v1/scoring/rules", json=body, headers=editor).status_code == 403
    saved = client.put("/api/v1/scoring/rules", json=body, headers=admin)
    assert saved.status_code == 200 and saved.get_json()["rules"]["problem_bonus"] == 2
    bad = client.put("/api/v1/scoring/rules", json={"effective_from": "x", "rules": {}}, headers=admin)
    assert bad.status_code == 400
    deadline = (local_today() + timedelta(days=3)).isoformat()
    created = client.post(
        "/api/v1/requests",
        json={"topic": "冬季供暖", "deadline": deadline, "units": ["yx", "pdx"]},
        headers=editor,
    )
    assert created.status_code == 201, created.get_json()
    request_id = created.get_json()["id"]
    answer = client.post(
        "/api/v1/items", json={"title": "供暖保障", "text": TEXT, "request_id": request_id}, headers=reporter
    ).get_json()
    listed = client.get("/api/v1/requests", headers=reporter).get_json()
    assert (listed["total"], listed["page"]) == (1, 1)
    mine = listed["requests"][0]
    assert [t["unit"] for t in mine["targets"]] == ["yx"] and mine["targets"][0]["state"] == "pending"
    judged = client.post(
        f"/api/v1/requests/{request_id}/answers/{answer['id']}/verdict",
        json={"verdict": "evasive"},
        headers=editor,
    )
    assert judged.status_code == 200
    states = {t["unit"]: t["state"] for t in judged.get_json()["targets"]}
    assert states == {"yx": "unacceptable", "pdx": "waiting"}
    wrong = client.post(
        f"/api/v1/requests/{request_id + 1}/answers/{answer['id']}/verdict",
        json={"verdict": "adopted"},
        headers=editor,
    )
    assert wrong.status_code == 404


def test_an_overdue_request_can_still_be_answered_and_is_marked_late(app: Flask) -> None:
    """The answer form offers an overdue request, links the answer and marks it late (it used to be
    saved unlinked, leaving the unit its penalty)."""
    editor = user("editor")
    request = requests.create_request(
        editor, "冬季供暖", "请报送供暖保障情况", local_today() + timedelta(days=1), unit_codes=["yx"]
    )
    request.deadline = local_today() - timedelta(days=2)
    db.session.commit()
    reporter = login(app.test_client(), "reporter")
    form = reporter.get(f"/items/new?request={request.id}").get_data(as_text=True)
    assert f'<option value="{request.id}" selected' in form
    response = reporter.post(
        "/items/new", data={"title": "我县冬季供暖保障情况", "text": TEXT, "request_id": str(request.id)}
    )
    assert response.status_code == 302
    answer = db.session.scalar(db.select(Item).where(Item.title == "我县冬季供暖保障情况"))
    assert answer is not None and answer.request_id == request.id
    requests.judge_answer(editor, answer.id, "adopted")
    assert [t.state for t in requests.target_states(request)] == ["late"]
    page = reporter.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "逾期报送" in page


def test_a_long_ledger_pages(app: Flask) -> None:
    editor = user("editor")
    for n in range(60):
        scoring.add_correction(editor, "yx", local_today(), 0.5, f"第{n}次调整")
    client = login(app.test_client(), "editor")
    page = client.get(f"/units/yx?period={local_today().year}").get_data(as_text=True)
    assert "共 60 条，第 1–50 条" in page and "合计 30 分" in page
    second = client.get(f"/units/yx?period={local_today().year}&page=2").get_data(as_text=True)
    assert "第 51–60 条" in second


def test_a_request_carries_out_a_leaders_instruction_with_its_time_limit(app: Flask) -> None:
    client = login(app.test_client(), "editor")
    response = client.post(
        "/requests",
        data={
            "topic": "秋粮收购情况",
            "units": ["yx", "pdx"],
            "leader": "王书记",
            "instruction": "请各县区3日内报送秋粮收购进展和存在的问题。",
            "time_limit": "3",
        },
    )
    assert response.status_code == 302
    commissioned = db.session.scalar(db.select(Request).where(Request.topic == "秋粮收购情况"))
    assert commissioned is not None
    assert (commissioned.instruction_leader, commissioned.deadline) == (
        "王书记",
        local_today() + timedelta(days=3),
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "王书记批示" in page and "限 3 日内报送" in page
    api = app.test_client().post(
        "/api/v1/requests",
        json={
            "topic": "防汛",
            "units": ["yx"],
            "instruction": {"leader": "张市长", "text": "请两日内报送", "days": 2},
        },
        headers=bearer("editor"),
    )
    assert api.status_code == 201 and api.get_json()["instruction"]["days"] == 2
    bad = app.test_client().post(
        "/api/v1/requests",
        json={"topic": "防汛", "units": ["yx"], "instruction": {"leader": "", "text": "x", "days": 200}},
        headers=bearer("editor"),
    )
    assert bad.status_code == 400
    due = commissioned.deadline.isoformat()
    lines = reports.request_lines(scoring.parse_period(f"{due}~{due}"))
    line = next(line for line in lines if "秋粮收购情况" in line)
    assert "落实王书记批示" in line


def test_research_pieces_are_searchable_by_genre(app: Flask) -> None:
    items.submit_item(None, items.ItemInput("盂县农田调研", TEXT + "调研", unit_code="yx", genre="research"))
    items.submit_item(None, items.ItemInput("盂县农田动态", TEXT + "动态", unit_code="yx"))
    client = app.test_client()
    for query in ("genre:research", "信息类别:调研 农田"):
        hits = client.get("/api/v1/search", query_string={"q": query}, headers=bearer("editor")).get_json()[
            "hits"
        ]
        assert [h["title"] for h in hits] == ["盂县农田调研"], query
    page = login(app.test_client(), "editor").get("/search?q=农田&genre=research").get_data(as_text=True)
    assert "盂县<mark>农田</mark>调研" in page and "<mark>农田</mark>动态" not in page and "信息类别" in page
