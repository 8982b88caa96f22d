"""Model-level guarantees: times are stored as instants, whatever the database."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from tests.conftest import submit
from webapp.extensions import db
from webapp.models import Item
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
