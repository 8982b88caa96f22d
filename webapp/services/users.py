"""Users, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.models import LEVELS, ROLES, ApiToken, Unit, User, utcnow
from webapp.services import audit
from webapp.services.errors import Forbidden, NotFound, ValidationError

MIN_PASSWORD_LENGTH = 8


def create_user(
    username: str,
    password: str,
    role: str,
    unit_code: str | None = None,
    display_name: str = "",
    clearance: str | None = None,
    actor: User | None = None,
) -> User:
    """Create a user (by an administrator, or the CLI); reporters must belong to a unit."""
    if actor is not None and actor.role != "admin":
        raise Forbidden("只有管理员可以管理用户")
    username = username.strip()
    if not username:
        raise ValidationError("用户名不能为空")
    if role not in ROLES:
        raise ValidationError(f"角色必须是 {', '.join(ROLES)} 之一")
    password_hash = _hash(password)
    if db.session.scalar(db.select(User).where(User.username == username)):
        raise ValidationError(f"用户名 {username} 已存在", code="duplicate")
    unit = None
    if unit_code:
        unit = db.session.scalar(db.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise NotFound(f"没有编码为 {unit_code} 的报送单位")
    if role == "reporter" and unit is None:
        raise ValidationError("信息员必须属于一个报送单位（--unit）")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=password_hash,
        role=role,
        unit=unit,
        clearance=LEVELS.index(clearance) if clearance else len(LEVELS) - 1,
    )
    db.session.add(user)
    db.session.commit()
    return user


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    return generate_password_hash(password, method=current_app.config["XINXI_PASSWORD_HASH"])


def list_users() -> list[User]:
    """Every user, by role and name."""
    return list(db.session.scalars(db.select(User).order_by(User.role, User.username)))


def change_password(user: User, current: str, new: str) -> None:
    """A user changes their own password, proving the current one."""
    if not check_password_hash(user.password_hash, current):
        raise ValidationError("当前密码不正确", code="wrong_password")
    user.password_hash = _hash(new)
    db.session.commit()


def administer_user(
    actor: User | None, user_id: int, *, active: bool | None = None, password: str = ""
) -> User:
    """An administrator deactivates or reactivates a user, or sets a new password."""
    if actor is not None and actor.role != "admin":
        raise Forbidden("只有管理员可以管理用户")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    if active is not None:
        if actor is not None and user.id == actor.id and not active:
            raise ValidationError("不能停用自己的账号", code="self")
        user.active = active
    if password:
        user.password_hash = _hash(password)
    audit.record(actor, "user", user.id, "administer", details={"active": active, "password": bool(password)})
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, or None."""
    user = db.session.scalar(db.select(User).where(User.username == username.strip()))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_api_token(username: str) -> str:
    """Create a new API token for a user and return it; only its hash is stored."""
    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户 {username}")
    token = "xx_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_token_hash(token)))
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """The active user owning this API token, or None."""
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    db.session.commit()
    return row.user
