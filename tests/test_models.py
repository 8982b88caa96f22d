"""Model-level guarantees: times are stored as instants, whatever the database; migrations keep data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from nlp import Segmenter
from tests.conftest import close_app, make_app, submit
from webapp.extensions import db
from webapp.models import Item
from webapp.services import demo, items
from webapp.timeutil import SHANGHAI, to_local


def test_times_round_trip_as_the_same_instant(any_db_app: Flask) -> None:
    item = submit("时间测试", "测试时间的存储与读取。").item
    moment = datetime(2026, 10, 7, 18, 30, tzinfo=SHANGHAI)
    item.submitted_at = moment
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Item, item.id).submitted_at
    assert stored == moment and stored.tzinfo is not None
    assert stored.astimezone(UTC).hour == 10
    assert to_local(stored).strftime("%Y-%m-%d %H:%M") == "2026-10-07 18:30"


def test_migrations_keep_every_row(tmp_path: Path, segmenter: Segmenter) -> None:
    """Down to the oldest schema this data fits and back up to head: no table loses a row. (SQLite
    rebuilds a table to alter it; with foreign keys on, that used to cascade-delete its children.)"""
    app = make_app(tmp_path, segmenter)
    with app.app_context():
        demo.seed_structure()
        item = submit("盂县农田建设", "我县新建高标准农田3.5万亩，带动农民增收。").item
        items.review_item(None, item.id, "adopt", "mrkb")
        tables = [t for t in inspect(db.engine).get_table_names() if t != "alembic_version"]

        def counts() -> dict[str, int]:
            return {t: db.session.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in tables}

        before = counts()
        assert (
            before["item_topic"] and before["adoption"] and before["score_entry"] and before["item_version"]
        )
        db.session.remove()
        downgrade(revision="0006")
        old = set(inspect(db.engine).get_table_names())  # tables added since hold no old rows to lose
        upgrade()
        after = counts()
        close_app(app)
    assert {t: n for t, n in after.items() if t in old} == {t: n for t, n in before.items() if t in old}
