"""Scores, rankings, targets, requests and timeliness on a fixture office with answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from tests.conftest import user
from webapp.extensions import db
from webapp.models import AuditEvent, Item, Request, ScoreEntry
from webapp.services import editing, items, requests, scoring, timeliness, upward
from webapp.services.errors import ValidationError
from webapp.timeutil import SHANGHAI, local_today

RULES_2025 = {
    "adoption_points": {"mrkb": 1, "yqxx": 2, "*": 1},
    "upward_points": {"province": 3, "central": 6},
    "instruction_points": {"central": 10, "provincial": 5, "municipal": 2},
    "problem_bonus": 1,
    "research_bonus": 2,
    "request_late_penalty": 0.5,
    "request_missing_penalty": 1,
    "late_report_penalty": 1,
    "missed_report_penalty": 2,
    "multi_outlet": "highest",
    "points_per_item": 1,
    "emergency_limit_hours": 2,
    "request_verdict_points": {},
}
TEXT = "我县推进重点工作，完成年度任务，取得明显成效。"


@pytest.fixture
def app(any_db_app: Flask) -> Flask:
    """Every test here runs on SQLite and again on PostgreSQL (skipped cleanly without it)."""
    return any_db_app


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), SHANGHAI).replace(hour=hour)


def make_item(
    unit: str, day: str, kind: str = "achievement", genre: str = "dynamic", **extra: object
) -> Item:
    item = items.submit_item(
        None,
        items.ItemInput(
            title=f"{unit}{day}信息", text=TEXT + day, unit_code=unit, event_date=day, genre=genre, **extra
        ),  # type: ignore[arg-type]
    ).item
    item.submitted_at = at(day)
    editing.correct_tags(user("editor"), item.id, kind=kind)  # a known kind, whatever the tagger says
    return item


def adopt(item: Item, publication: str, day: str) -> None:
    items.review_item(user("editor"), item.id, "adopt", publication)
    item.adoptions[-1].adopted_at = at(day)
    scoring.rescore_items([item])
    db.session.commit()


@pytest.fixture
def office(any_db_app: Flask) -> Flask:
    """October 2026 in the 县区 category, as in the docstring of each figure below."""
    editor = user("editor")
    scoring.save_rules(None, date(2025, 1, 1), RULES_2025)
    # 2025: six adopted items across the category (for 2026's targets: average 6 / 6 units = 1.0).
    for unit in ("yx", "yx", "yx", "cq", "cq", "cq"):
        adopt(make_item(unit, "2025-06-01"), "mrkb", "2025-06-02")
    # yx: a problem item in 阳泉信息 (2 + 1 bonus) and an item taken up by the province (best outlet 3)
    # with a provincial leader's instruction (5): 11 points, 2 adopted.
    adopt(make_item("yx", "2026-10-09", kind="problem"), "yqxx", "2026-10-10")
    b = make_item("yx", "2026-10-11")
    adopt(b, "mrkb", "2026-10-12")
    upward.record_upward(editor, b.id, "province", "adopted", "2026-10-15")
    editing.record_instruction(editor, b.id, "张省长", "provincial", "2026-10-20", "很好")
    # cq: 阳泉信息 (2) + 每日快报 (1) with a municipal instruction (2): 5 points.
    adopt(make_item("cq", "2026-10-07"), "yqxx", "2026-10-08")
    f = make_item("cq", "2026-10-08")
    adopt(f, "mrkb", "2026-10-09")
    editing.record_instruction(editor, f.id, "李市长", "municipal", "2026-10-21")
    # pdx: 阳泉信息 (2) + a research item in 每日快报 (1 + 2): 5 points, tied with cq.
    adopt(make_item("pdx", "2026-10-04"), "yqxx", "2026-10-05")
    adopt(make_item("pdx", "2026-10-05", genre="research"), "mrkb", "2026-10-06")
    # A request to jq and kq due 20 October: kq answers late (-0.5), jq never (-1).
    request = requests.create_request(
        editor, "秋粮收购情况", "请报送进展", local_today() + timedelta(days=1), unit_codes=["jq", "kq"]
    )
    answer = make_item("kq", "2026-10-22", request_id=request.id)
    request.deadline = date(2026, 10, 20)
    answer.submitted_at = at("2026-10-22")
    requests.judge_answer(editor, answer.id, "adopted")  # accepted on 23 October
    db.session.execute(
        db.update(AuditEvent)
        .where(AuditEvent.entity_id == answer.id, AuditEvent.action == "judge_answer")
        .values(at=at("2026-10-23"))
    )
    # jq also missed an event on 3 October (-2): -3 in all.
    timeliness.record_missed(editor, "jq", "2026-10-03", "某镇发生山火，未按规定报告")
    # gxq reported an emergency 3.5 hours after it happened (-1).
    late = make_item("gxq", "2026-10-07", genre="emergency", event_time="2026-10-07T08:00")
    late.submitted_at = at("2026-10-07", 11).replace(minute=30)
    db.session.commit()
    scoring.rescore_all()
    return any_db_app


def test_ranking_with_ties_points_and_rates(office: Flask) -> None:
    rows = scoring.ranking("xq", scoring.parse_period("2026-10"))
    table = [(r.unit.code, r.rank, r.points, r.adopted, r.submitted) for r in rows]
    assert table == [
        ("yx", 1, 11.0, 2, 2),
        ("cq", 2, 5.0, 2, 2),
        ("pdx", 2, 5.0, 2, 2),
        ("kq", 4, -0.5, 0, 1),
        ("gxq", 5, -1.0, 0, 1),
        ("jq", 6, -3.0, 0, 0),
    ]
    yx = rows[0]
    assert yx.adoption_rate == 1.0 and yx.problem_share == 0.5
    assert [r.rank_change for r in rows] == [0, -1, -1, -3, -4, -5]  # September: all tied at 1
    ledger = scoring.ledger("yx", scoring.parse_period("2026-10"))
    assert sum(e.points for e in ledger) == 11.0
    # b scored 1 when 每日快报 took it, and the province's higher outlet adds the 2 more on its own day.
    assert sorted(e.cause for e in ledger) == [
        "adoption",
        "adoption",
        "instruction",
        "problem_bonus",
        "upward",
    ]
    assert {e.cause for e in scoring.ledger("jq", scoring.parse_period("2026-10"))} == {
        "request_missing",
        "missed_report",
    }


def test_targets_and_excellent_units(office: Flask) -> None:
    year = scoring.parse_period("2026")
    targets = scoring.yearly_targets("xq", 2026)
    assert set(targets.values()) == {1.0}
    scoring.set_target(None, "yx", 2026, 20)
    rows = {r.unit.code: r for r in scoring.ranking("xq", year)}
    assert (rows["yx"].target, rows["yx"].target_met) == (20.0, False)
    assert (rows["cq"].target, rows["cq"].target_met) == (1.0, True)
    assert rows["gxq"].target_met is False
    scoring.save_setting(None, "excellent_counts", {"xq": 2})
    # yx has the most points but is short of its target (不合格): never 先进.
    assert [r.unit.code for r in scoring.excellent_units("xq", 2026)] == ["cq", "pdx"]
    scoring.save_setting(None, "excellent_counts", {"xq": 1})
    assert scoring.excellent_units("xq", 2026) == []  # cq and pdx tie at the cut-off: neither is named
    with pytest.raises(ValidationError):
        scoring.save_setting(None, "excellent_counts", {"xq": 6})  # the category has 6 units


def test_rules_change_on_new_year_leaves_last_year_alone(office: Flask) -> None:
    last_year = scoring.parse_period("2025")
    before = [(r.unit.code, r.rank, r.points) for r in scoring.ranking("xq", last_year)]
    assert before[:2] == [("cq", 1, 3.0), ("yx", 1, 3.0)]
    scoring.save_rules(None, date(2026, 1, 1), {**RULES_2025, "adoption_points": {"mrkb": 4, "yqxx": 2}})
    assert [(r.unit.code, r.rank, r.points) for r in scoring.ranking("xq", last_year)] == before
    rows = {r.unit.code: r.points for r in scoring.ranking("xq", scoring.parse_period("2026-10"))}
    assert rows["yx"] == 12.0  # item b's best outlet is now 每日快报 (4) rather than the province (3)


def test_multi_outlet_each_counts_every_outlet(office: Flask) -> None:
    scoring.save_rules(None, date(2025, 1, 1), {**RULES_2025, "multi_outlet": "each"})
    rows = {r.unit.code: r.points for r in scoring.ranking("xq", scoring.parse_period("2026-10"))}
    assert rows["yx"] == 12.0  # item b now scores 每日快报 (1) and the province (3)


@pytest.mark.parametrize(
    ("mode", "each_source", "office"), [("office", 0.0, 1.0), ("shared", 0.5, 0.0), ("each", 1.0, 0.0)]
)
def test_merged_item_credit_follows_the_rule(
    app: Flask, mode: str, each_source: float, office: float
) -> None:
    """综合信息 is the office's own work by default (Yangquan's practice); shared or full per source
    unit when the office says so."""
    scoring.save_rules(None, date(2025, 1, 1), {**RULES_2025, "merged_credit": mode})
    editor = user("editor")
    a, b = make_item("yx", "2026-10-09"), make_item("pdx", "2026-10-09")
    merged = editing.merge_items(editor, [a.id, b.id], "全市综述")
    adopt(merged, "mrkb", "2026-10-10")
    rows = {r.unit.code: r.points for r in scoring.ranking("xq", scoring.parse_period("2026-10"))}
    assert rows["yx"] == rows["pdx"] == each_source
    ledger = scoring.ledger(merged.unit.code, scoring.parse_period("2026-10"))
    assert sum(e.points for e in ledger) == office
    with pytest.raises(ValidationError):
        scoring.save_rules(None, date(2025, 1, 1), {**RULES_2025, "merged_credit": "nobody"})


def test_requests_states_and_answers(app: Flask) -> None:
    editor = user("editor")
    request = requests.create_request(
        editor, "防汛备汛", "请报送隐患排查情况", local_today() + timedelta(days=3), category_codes=["xq"]
    )
    assert len(request.targets) == 6 and requests.request_state(request) == "open"
    assert request in requests.open_for_unit(user("reporter").unit_id)
    with pytest.raises(ValidationError):
        items.submit_item(user("reporter_nyj"), items.ItemInput("答复", "正文内容", request_id=request.id))
    answers = [
        items.submit_item(
            None,
            items.ItemInput("答复", "防汛隐患排查已完成", unit_code=target.unit.code, request_id=request.id),
        ).item
        for target in request.targets
    ]
    assert requests.request_state(request) == "open"  # answered, but nothing judged yet
    assert {s.state for s in requests.target_states(request)} == {"pending"}
    for answer in answers:
        requests.judge_answer(editor, answer.id, "adopted")
    assert requests.request_state(request) == "answered"
    assert {s.state for s in requests.target_states(request)} == {"answered"}
    requests.close_request(editor, request.id)
    assert requests.request_state(request) == "closed"
    with pytest.raises(ValidationError):
        requests.create_request(editor, "过期", "", date(2020, 1, 1), unit_codes=["yx"])


def test_emergency_needs_an_event_time_and_late_reports_are_listed(app: Flask) -> None:
    with pytest.raises(ValidationError):
        items.submit_item(None, items.ItemInput("突发", "某地发生火灾", unit_code="yx", genre="emergency"))
    late = make_item("yx", "2026-10-07", genre="emergency", event_time="2026-10-07T08:00")
    late.submitted_at = datetime(2026, 10, 7, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: 4 hours later
    db.session.commit()
    found = timeliness.late_reports([late.unit_id], date(2026, 10, 1), date(2026, 11, 1))
    assert [(r.item.id, r.hours) for r in found] == [(late.id, 4.0)]


def test_periods_parse_and_step_back() -> None:
    assert scoring.parse_period("2026-Q1").previous().key == "2025-Q4"
    assert scoring.parse_period("2026-01").previous().key == "2025-12"
    assert scoring.parse_period("2026-Q3").end == date(2026, 10, 1)
    assert scoring.parse_period("2026").label == "2026年度"
    assert scoring.competition_ranks([9, 5, 5, 1]) == [1, 2, 2, 4]
    for bad in ("2026-13", "26", "2026-Q5", ""):
        with pytest.raises(ValidationError):
            scoring.parse_period(bad)


def test_rules_are_validated(app: Flask) -> None:
    with pytest.raises(ValidationError):
        scoring.save_rules(None, date(2026, 1, 1), {"problem_bonus": "很多"})
    with pytest.raises(ValidationError):
        scoring.save_rules(None, date(2026, 1, 1), {"multi_outlet": "sometimes"})
    assert db.session.scalar(db.select(db.func.count(Request.id))) == 0


# --- figures an office can sign (issue #11): each contradiction, named -------------------------------


def test_adoption_rate_never_exceeds_one_when_adoptions_come_later(app: Flask) -> None:
    """An item submitted in September and adopted in October: October's rate is not 200 %."""
    for day in ("2026-09-28", "2026-09-29"):
        adopt(make_item("yx", day), "mrkb", "2026-10-03")
    adopt(make_item("yx", "2026-10-05"), "mrkb", "2026-10-06")
    make_item("yx", "2026-10-07")
    october = {r.unit.code: r for r in scoring.ranking("xq", scoring.parse_period("2026-10"))}["yx"]
    assert (october.adopted, october.submitted, october.adopted_of_submitted) == (3, 2, 1)
    assert october.adoption_rate == 0.5
    september = {r.unit.code: r for r in scoring.ranking("xq", scoring.parse_period("2026-09"))}["yx"]
    assert (september.adopted, september.adoption_rate) == (0, 1.0)  # both adopted, in October


def test_any_date_range_is_a_period() -> None:
    span = scoring.parse_period("2026-01-01~2026-05-31")
    assert (span.start, span.end, span.label, span.is_year) == (
        date(2026, 1, 1),
        date(2026, 6, 1),
        "2026年1–5月",
        False,
    )
    across = scoring.parse_period("2025-09-01~2026-01-31")
    assert across.label == "2025年9月至2026年1月"
    assert across.previous().end == across.start
    assert scoring.parse_period("2026-03-05~2026-03-20").label == "2026年3月5日至3月20日"
    ytd = scoring.parse_period(f"{local_today().year}-ytd")
    assert ytd.start == date(local_today().year, 1, 1) and ytd.end == local_today() + timedelta(days=1)
    for bad in ("2026-05-31~2026-01-01", "2026-02-30~2026-03-01", "0000", "2026-01-01~2046-01-01"):
        with pytest.raises(ValidationError):
            scoring.parse_period(bad)


def test_a_later_higher_outlet_does_not_move_credit_between_periods(office: Flask) -> None:
    """ "Only the highest outlet counts" used to move item b's credit from one period to another when
    a higher outlet came later; now each adoption scores its increment on its own day."""
    september = [(r.unit.code, r.points) for r in scoring.ranking("xq", scoring.parse_period("2026-09"))]
    editor = user("editor")
    b = db.session.scalar(db.select(Item).where(Item.title == "yx2026-10-11信息"))
    assert b is not None
    upward.record_upward(editor, b.id, "central", "adopted", "2026-11-03")
    scoring.rescore_all()
    october = {r.unit.code: r.points for r in scoring.ranking("xq", scoring.parse_period("2026-10"))}
    november = {r.unit.code: r.points for r in scoring.ranking("xq", scoring.parse_period("2026-11"))}
    assert october["yx"] == 11.0 and november["yx"] == 3.0  # 6 for 国办 less the 3 already scored
    assert [
        (r.unit.code, r.points) for r in scoring.ranking("xq", scoring.parse_period("2026-09"))
    ] == september


def test_a_rule_set_effective_today_leaves_last_month_alone(office: Flask) -> None:
    last_month = scoring.parse_period(f"{local_today():%Y-%m}").previous()
    before = [(r.unit.code, r.rank, r.points) for r in scoring.ranking("xq", last_month)]
    october = [
        (r.unit.code, r.rank, r.points) for r in scoring.ranking("xq", scoring.parse_period("2026-10"))
    ]
    scoring.save_rules(
        None,
        local_today(),
        {**RULES_2025, "upward_points": {"province": 30, "central": 60}, "multi_outlet": "each"},
    )
    assert [(r.unit.code, r.rank, r.points) for r in scoring.ranking("xq", last_month)] == before
    assert [
        (r.unit.code, r.rank, r.points) for r in scoring.ranking("xq", scoring.parse_period("2026-10"))
    ] == october


def test_upward_adoption_cannot_predate_the_item(office: Flask) -> None:
    b = db.session.scalar(db.select(Item).where(Item.title == "yx2026-10-11信息"))
    assert b is not None
    with pytest.raises(ValidationError):
        upward.record_upward(user("editor"), b.id, "province", "adopted", "2026-10-01")
    with pytest.raises(ValidationError):
        upward.record_upward(user("editor"), b.id, "province", "sent", "2026-10-01")


def test_monthly_rankings_pass_no_verdict_and_name_no_excellent_units(office: Flask) -> None:
    scoring.set_target(None, "yx", 2026, 20)
    month = scoring.ranking("xq", scoring.parse_period("2026-10"))
    assert all(r.target_met is None and not r.excellent for r in month)
    yx = next(r for r in month if r.unit.code == "yx")
    assert yx.progress == pytest.approx(11.0 / 20)
    year = {r.unit.code: r for r in scoring.ranking("xq", scoring.parse_period("2026"))}
    assert year["yx"].target_met is False and not year["yx"].excellent


def test_default_excellent_quota_is_below_the_category_size(office: Flask) -> None:
    for code, size in (("xq", 6), ("zddw", 3)):
        quota = scoring.excellent_quota(code, size)
        assert 0 < quota < size
    named = scoring.excellent_units("xq", 2026)
    assert len(named) <= scoring.excellent_quota("xq", 6)
    assert all(r.target_met is not False for r in named)


def test_ignored_request_is_penalised_at_its_deadline_without_closing(app: Flask) -> None:
    editor = user("editor")
    request = requests.create_request(
        editor, "冬季供暖", "请报送供暖保障情况", local_today() + timedelta(days=2), unit_codes=["jq"]
    )
    request.deadline = local_today() - timedelta(days=3)  # the deadline passed; nobody touched it since
    db.session.commit()
    jq = scoring.ledger("jq", scoring.parse_period(str(request.deadline.year)))
    assert [(e.cause, e.occurred_on) for e in jq] == [("request_missing", request.deadline)]


def test_only_an_accepted_answer_fulfils_a_request(app: Flask) -> None:
    """答非所问 does not count as answered: the unit is penalised as if silent, on the deadline or on the
    day its answer was turned down, whichever is later; 采用 by review accepts without a verdict."""
    editor = user("editor")
    request = requests.create_request(
        editor,
        "冬季供暖",
        "请报送供暖保障情况",
        local_today() + timedelta(days=2),
        unit_codes=["yx", "pdx", "cq"],
    )
    off = items.submit_item(
        None, items.ItemInput("答复", "供暖工作很重要。", unit_code="yx", request_id=request.id)
    )
    good = items.submit_item(
        None, items.ItemInput("答复", "已完成换热站检修12座。", unit_code="pdx", request_id=request.id)
    )
    requests.judge_answer(editor, off.item.id, "off_topic")
    items.review_item(editor, good.item.id, "adopt", "mrkb")
    states = {s.unit.code: s.state for s in requests.target_states(request)}
    assert states == {"yx": "unacceptable", "pdx": "answered", "cq": "waiting"}
    request.deadline = local_today() - timedelta(days=1)
    good.item.submitted_at = at((local_today() - timedelta(days=3)).isoformat())  # on time
    db.session.commit()
    scoring.rescore_request(request)
    db.session.commit()
    penalties = {
        e.unit.code: (e.cause, e.occurred_on)
        for e in db.session.scalars(db.select(ScoreEntry).where(ScoreEntry.request_id == request.id))
        if e.points < 0
    }
    assert penalties == {
        "yx": ("request_missing", local_today()),  # turned down today, after the deadline
        "cq": ("request_missing", request.deadline),
    }
    with pytest.raises(ValidationError):
        requests.judge_answer(editor, good.item.id, "excellent")


def test_emergency_time_limit_by_grade(app: Flask) -> None:
    """A major event reported 1.5 hours late is 迟报 (limit 1 hour); a general one is not (4 hours)."""
    for grade, late in (("major", True), ("general", False)):
        item = items.submit_item(
            None,
            items.ItemInput(
                f"{grade}突发事件",
                "某镇发生一起交通事故，已妥善处置。" + grade,
                unit_code="yx",
                genre="emergency",
                event_time="2026-10-07T08:00",
                event_grade=grade,
            ),
        ).item
        item.submitted_at = at("2026-10-07", 9).replace(minute=30)
        db.session.commit()
        assert (scoring.late_report_hours(item) is not None) is late, grade
    with pytest.raises(ValidationError):
        items.submit_item(
            None,
            items.ItemInput(
                "突发",
                "某地发生火灾",
                unit_code="yx",
                genre="emergency",
                event_time="2026-10-07T08:00",
                event_grade="x",
            ),
        )


def test_unreported_is_recorded_apart_from_missed(app: Flask) -> None:
    editor = user("editor")
    timeliness.record_missed(editor, "jq", "2026-10-03", "某镇山火，事后才获悉，始终未报", kind="unreported")
    timeliness.record_missed(editor, "jq", "2026-10-04", "某村塌方，只报了一半情况")
    causes = {e.cause: e.points for e in scoring.ledger("jq", scoring.parse_period("2026-10"))}
    assert causes == {"unreported": -3.0, "missed_report": -2.0}
    with pytest.raises(ValidationError):
        timeliness.record_missed(editor, "jq", "2026-10-04", "x", kind="late")
