"""Times are stored in UTC and shown in Asia/Shanghai (UTC+8 all year: China keeps no summer time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_now() -> datetime:
    """Now on the office's wall clock."""
    return datetime.now(SHANGHAI)


def local_today() -> date:
    """Today's date in Asia/Shanghai."""
    return local_now().date()


def local_midnight(day: date) -> datetime:
    """The start of a day on the office's wall clock (bounds of date ranges over stored times)."""
    return datetime.combine(day, datetime.min.time(), SHANGHAI)


def to_local(moment: datetime) -> datetime:
    """Convert a stored time (UTC; naive values from SQLite count as UTC) to Asia/Shanghai."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI)
