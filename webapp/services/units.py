"""Reporting units and the office's own unit."""

from __future__ import annotations

import re

from webapp.extensions import db
from webapp.models import Unit, UnitCategory, User
from webapp.services import audit
from webapp.services.access import is_admin
from webapp.services.errors import Forbidden, ValidationError

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


UNIT_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def checked_code(value: str, what: str) -> str:
    """A unit's, category's or outlet's code: its key, short lower-case ASCII, never changed."""
    code = value.strip().lower()
    if not UNIT_CODE.match(code):
        raise ValidationError(
            f"{what}编码应为小写字母开头的字母、数字或下划线（至多 32 位）", code="invalid_code"
        )
    return code


def _name(value: str, what: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > 100:
        raise ValidationError(f"请填写{what}名称（至多 100 字）", code="name_required")
    return name


def list_categories() -> list[UnitCategory]:
    """Unit categories in their ranking order."""
    return list(
        db.session.scalars(db.select(UnitCategory).order_by(UnitCategory.sort_order, UnitCategory.code))
    )


def save_category(actor: User | None, code: str, name: str, sort_order: int | str = 0) -> UnitCategory:
    """Add or rename a unit category (administrators); its code is its key and never changes."""
    if not is_admin(actor):
        raise Forbidden("只有管理员可以管理报送单位")
    code, name = checked_code(code, "类别"), _name(name, "类别")
    try:
        order = int(sort_order or 0)
    except (TypeError, ValueError):
        raise ValidationError("排序必须是整数", code="invalid_number") from None
    category = db.session.scalar(db.select(UnitCategory).where(UnitCategory.code == code))
    if category is None:
        category = UnitCategory(code=code)
        db.session.add(category)
    category.name, category.sort_order = name, order
    db.session.flush()
    audit.record(actor, "unit_category", category.id, "update", details={"code": code, "name": name})
    db.session.commit()
    return category


def save_unit(
    actor: User | None,
    code: str,
    name: str,
    category_code: str,
    *,
    direct_reporting: bool = False,
    active: bool = True,
    is_office: bool = False,
) -> Unit:
    """Add a unit or change its name, category, 直报点 flag, activity or office flag (administrators).

    Its code is its key (items, users and the ledger keep pointing at it), so it never changes; a unit
    that stops reporting is deactivated, never deleted.
    """
    if not is_admin(actor):
        raise Forbidden("只有管理员可以管理报送单位")
    code, name = checked_code(code, "单位"), _name(name, "单位")
    category = db.session.scalar(db.select(UnitCategory).where(UnitCategory.code == category_code))
    if category is None:
        raise ValidationError(f"没有编码为 {category_code} 的单位类别", code="unknown_category")
    unit = db.session.scalar(db.select(Unit).where(Unit.code == code))
    created = unit is None
    if unit is None:
        unit = Unit(code=code)
        db.session.add(unit)
    before = None if created else {"name": unit.name, "category": unit.category.code, "active": unit.active}
    unit.name, unit.category = name, category
    unit.direct_reporting, unit.active, unit.is_office = direct_reporting, active, is_office
    db.session.flush()
    audit.record(
        actor,
        "unit",
        unit.id,
        "create" if created else "update",
        details={
            "before": before,
            "name": name,
            "category": category.code,
            "active": active,
            "office": is_office,
        },
    )
    db.session.commit()
    return unit


def list_units(include_inactive: bool = True) -> list[Unit]:
    """Every unit, by category and code."""
    query = db.select(Unit).join(UnitCategory).order_by(UnitCategory.sort_order, Unit.code)
    if not include_inactive:
        query = query.where(Unit.active)
    return list(db.session.scalars(query))
