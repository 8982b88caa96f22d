"""Reporting units and the office's own unit."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import Unit, UnitCategory

OFFICE_CATEGORY = ("office", "本级")
OFFICE_UNIT = ("office", "市委办公室信息科")


def office_unit() -> Unit:
    """The information office's own unit, which files the comprehensive items it composes.

    An archive from before the office had a unit gets one here, in a category of its own, so that no
    reporter's unit ever holds the office's products.
    """
    unit = db.session.scalar(db.select(Unit).where(Unit.is_office).order_by(Unit.id).limit(1))
    if unit is not None:
        return unit
    code, name = OFFICE_CATEGORY
    category = db.session.scalar(db.select(UnitCategory).where(UnitCategory.code == code))
    if category is None:
        category = UnitCategory(code=code, name=name, sort_order=99)
        db.session.add(category)
    unit_code, unit_name = OFFICE_UNIT
    while db.session.scalar(db.select(Unit.id).where(Unit.code == unit_code)) is not None:
        unit_code += "_"
    unit = Unit(code=unit_code, name=unit_name, category=category, is_office=True)
    db.session.add(unit)
    db.session.flush()
    return unit
