"""The demo office looks like a real year of a city's information work (built from ../shared/corpus)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import timedelta

import pytest
from flask import Flask

from nlp import Segmenter
from tests.conftest import CORPUS, close_app, make_app
from webapp.extensions import db
from webapp.models import BulletinIssue, Item, Publication, Request, Unit, UpwardReport
from webapp.services import demo, reports, scoring, upward
from webapp.timeutil import local_today, to_local


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, segmenter: Segmenter) -> Iterator[Flask]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    app = make_app(tmp_path_factory.mktemp("demo"), segmenter)
    with app.app_context():
        demo.seed_demo(CORPUS)
        yield app
        close_app(app)


def test_a_year_of_items_in_the_units_own_voice(office: Flask) -> None:
    rows = db.session.execute(db.select(Item.title, Item.submitted_at, Item.kind, Item.status)).all()
    assert len(rows) >= 1500
    months = {to_local(moment).strftime("%Y-%m") for _, moment, _, _ in rows}
    assert len(months) >= 12
    problem = sum(kind == "problem" for _, _, kind, _ in rows) / len(rows)
    adopted = sum(status == "adopted" for _, _, _, status in rows) / len(rows)
    assert 0.15 <= problem <= 0.25 and 0.12 <= adopted <= 0.28
    titles = [title for title, *_ in rows]
    assert not any(t.startswith(("【", "一是", "九是")) or "各位代表" in t for t in titles)
    assert not any(word in t for t in titles for word in ("海洋", "首都", "我省", "全省"))


def test_bulletins_upward_work_and_requests(office: Flask) -> None:
    daily = db.session.scalar(db.select(Publication).where(Publication.code == "mrkb"))
    assert daily is not None
    issues = db.session.scalars(
        db.select(BulletinIssue).where(
            BulletinIssue.publication_id == daily.id, BulletinIssue.status == "published"
        )
    ).all()
    assert len(issues) >= 2 * 48  # two or three a week
    days = sorted(i.issue_date for i in issues)
    assert days[-1] - days[0] > timedelta(days=300)
    figures = upward.upward_figures(scoring.parse_period(f"{local_today().year - 1}-12-01~{local_today()}"))
    assert figures.sent > 50 and 0 < figures.adopted < figures.sent
    quiet = db.session.scalar(db.select(Unit).where(Unit.code == demo.QUIET_DIRECT_POINT))
    assert quiet is not None and quiet.direct_reporting
    recent = db.session.scalar(
        db.select(db.func.count(UpwardReport.id))
        .join(Item, UpwardReport.item_id == Item.id)
        .where(
            Item.unit_id == quiet.id,
            UpwardReport.kind == "adopted",
            UpwardReport.reported_on >= local_today() - timedelta(days=150),
        )
    )
    assert recent == 0
    assert db.session.scalar(db.select(db.func.count(Request.id))) >= 12
    judged = db.session.scalar(db.select(db.func.count(Item.id)).where(Item.request_verdict.is_not(None)))
    assert judged and judged >= 30


def test_the_years_report_names_excellent_units_within_quota(office: Flask) -> None:
    year = scoring.parse_period(str(local_today().year))
    for category, rows in reports.sections(year):
        excellent = [r for r in rows if r.excellent]
        assert len(excellent) <= scoring.excellent_quota(category.code, len(rows)) < len(rows)
        assert all(r.target_met is not False and 0 <= r.adoption_rate <= 1 for r in excellent)


def test_last_months_ranking_survives_a_rule_set_effective_today(office: Flask) -> None:
    last_month = scoring.parse_period(f"{local_today():%Y-%m}").previous()

    def table() -> list[tuple[str, int, float]]:
        return [
            (row.unit.code, row.rank, row.points) for _, rows in reports.sections(last_month) for row in rows
        ]

    before = table()
    _, rules = scoring.rule_book().at(local_today())
    changed = {
        **asdict(rules),
        "adoption_points": {"*": 5.0},
        "multi_outlet": "each",
        "merged_credit": "each",
    }
    scoring.save_rules(None, local_today(), changed)
    assert table() == before
    text = " ".join(
        line
        for _, lines in reports.ranking_report(
            scoring.parse_period(str(local_today().year)), None
        ).extra_sections
        for line in lines
    )
    assert "上级采用计分" in text and "约稿" in text and "调研信息" in text and "占全市" in text
