"""Users, passwords, sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.models import DEFAULT_LEVEL, LEVELS, ROLES, ApiToken, Unit, User, utcnow
from webapp.services import audit
from webapp.services.access import is_admin
from webapp.services.errors import DomainError, Forbidden, NotFound, ValidationError

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[1] / "common_passwords.txt"
# A user name this short is not looked for inside passwords (it would forbid too much).
MIN_NAME_IN_PASSWORD = 3
MAX_TOKEN_DAYS = 3650
BAD_CREDENTIALS = "用户名或密码错误"


class LoginRefused(DomainError):
    """The credentials are wrong, or right for a deactivated account."""

    code = "login_refused"
    status = 401


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to allow, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password_policy(password: str, username: str) -> None:
    """Refuse a password that is short, all digits, built on the user name or on the common list."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少 {MIN_PASSWORD_LENGTH} 位", code="weak_password")
    if password.isdigit():
        raise ValidationError("密码不能全是数字", code="weak_password")
    name, lowered = username.strip().lower(), password.lower()
    if name and (lowered == name or (len(name) >= MIN_NAME_IN_PASSWORD and name in lowered)):
        raise ValidationError("密码不能包含用户名", code="weak_password")
    if lowered in common_passwords():
        raise ValidationError("这个密码太常见，容易被猜中，请换一个", code="weak_password")


def _hash(password: str, username: str) -> str:
    check_password_policy(password, username)
    return generate_password_hash(password, method=current_app.config["XINXI_PASSWORD_HASH"])


def _require_admin(actor: User | None) -> None:
    if not is_admin(actor):
        raise Forbidden("只有管理员可以管理用户")


def _clearance(level: str | None) -> int:
    """The clearance index of a level name; new users get the lowest one a role needs (内部)."""
    level = level or DEFAULT_LEVEL
    if level not in LEVELS:
        raise ValidationError(f"密级权限必须是 {'、'.join(LEVELS)} 之一", code="invalid_clearance")
    return LEVELS.index(level)


def _unit(unit_code: str | None) -> Unit | None:
    if not unit_code:
        return None
    unit = db.session.scalar(db.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise NotFound(f"没有编码为 {unit_code} 的报送单位")
    return unit


def _check_role(role: str, unit: Unit | None) -> None:
    if role not in ROLES:
        raise ValidationError(f"角色必须是 {', '.join(ROLES)} 之一")
    if role == "reporter" and unit is None:
        raise ValidationError("信息员必须属于一个报送单位，请选择单位")


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
    _require_admin(actor)
    username = username.strip()
    if not username:
        raise ValidationError("用户名不能为空")
    if role not in ROLES:
        raise ValidationError(f"角色必须是 {', '.join(ROLES)} 之一")
    level = _clearance(clearance)
    password_hash = _hash(password, username)
    if db.session.scalar(db.select(User).where(User.username == username)):
        raise ValidationError(f"用户名 {username} 已存在", code="duplicate")
    unit = _unit(unit_code)
    _check_role(role, unit)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=password_hash,
        role=role,
        unit=unit,
        clearance=level,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user",
        user.id,
        "create_user",
        details={"role": role, "unit": unit_code, "clearance": LEVELS[level]},
    )
    db.session.commit()
    return user


def list_users(actor: User | None = None) -> list[User]:
    """Every user, by role and name (for administrators)."""
    _require_admin(actor)
    return list(db.session.scalars(db.select(User).order_by(User.role, User.username)))


def end_sessions(user: User) -> None:
    """Void every session of `user` (the caller commits): the session key carries this version."""
    user.session_version = (user.session_version or 0) + 1


def log_out(user: User) -> None:
    """End the user's sessions everywhere: a copied session cookie stops working too."""
    end_sessions(user)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """A user changes their own password, proving the current one; their other sessions end."""
    if not check_password_hash(user.password_hash, current):
        raise ValidationError("当前密码不正确", code="wrong_password")
    user.password_hash = _hash(new, user.username)
    end_sessions(user)
    audit.record(user, "user", user.id, "change_password")
    db.session.commit()


def _revoke_all_tokens(user: User) -> int:
    now = utcnow()
    tokens = db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user


def administer_user(
    actor: User | None, user_id: int, *, active: bool | None = None, password: str = ""
) -> User:
    """An administrator deactivates or reactivates a user, or sets a new password; deactivation
    revokes the user's API tokens for good, and either ends the user's sessions."""
    _require_admin(actor)
    user = _get_user(user_id)
    details: dict[str, object] = {}
    if active is not None and active != user.active:
        if actor is not None and user.id == actor.id and not active:
            raise ValidationError("不能停用自己的账号", code="self")
        user.active = active
        details["active"] = active
        if not active:
            details["tokens_revoked"] = _revoke_all_tokens(user)
            end_sessions(user)
    if password:
        user.password_hash = _hash(password, user.username)
        details["password"] = True
        end_sessions(user)
    if details:
        audit.record(actor, "user", user.id, "administer", details=details)
    db.session.commit()
    return user


def update_user(
    actor: User | None, user_id: int, *, role: str, unit_code: str | None, clearance: str
) -> User:
    """An administrator changes a user's role, unit or clearance; the user's sessions end, so the
    new rights apply from the next login."""
    _require_admin(actor)
    user = _get_user(user_id)
    unit = _unit(unit_code)
    _check_role(role, unit)
    level = _clearance(clearance)
    if actor is not None and user.id == actor.id and role != user.role:
        raise ValidationError("不能修改自己的角色", code="self")
    before = {
        "role": user.role,
        "unit": user.unit.code if user.unit else None,
        "clearance": LEVELS[user.clearance],
    }
    after = {"role": role, "unit": unit.code if unit else None, "clearance": LEVELS[level]}
    if before == after:
        return user
    user.role, user.unit, user.clearance = role, unit, level
    end_sessions(user)
    changed = {key: {"from": before[key], "to": after[key]} for key in before if before[key] != after[key]}
    audit.record(actor, "user", user.id, "change_user", details=changed)
    db.session.commit()
    return user


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def authenticate(username: str, password: str) -> User:
    """The user with these credentials, or LoginRefused. Unknown and known names cost one hash check
    each (no timing difference); a deactivated account is named only to whoever knows its password."""
    user = db.session.scalar(db.select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["XINXI_PASSWORD_HASH"]), password)
        raise LoginRefused(BAD_CREDENTIALS)
    if not check_password_hash(user.password_hash, password):
        raise LoginRefused(BAD_CREDENTIALS)
    if not user.active:
        raise LoginRefused("该账号已停用，请联系管理员", code="deactivated")
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, name: str = "", expires_days: int | None = None) -> str:
    """Create an API token for `user` and return it (shown once: only its hash is stored)."""
    name = name.strip()
    if len(name) > 100:
        raise ValidationError("令牌名称最多 100 个字", code="invalid_name")
    if expires_days is not None and not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise ValidationError(f"有效期必须是 1 到 {MAX_TOKEN_DAYS} 天", code="invalid_expiry")
    token = "xx_" + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
    db.session.add(ApiToken(user=user, token_hash=_token_hash(token), name=name, expires_at=expires_at))
    db.session.commit()
    return token


def issue_api_token(username: str, name: str = "", expires_days: int | None = None) -> str:
    """Create a new API token for a user named on the command line and return it."""
    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户 {username}")
    if not user.active:
        raise ValidationError(f"用户 {username} 已停用", code="inactive")
    return create_token(user, name, expires_days)


def list_tokens(user: User) -> list[ApiToken]:
    """The user's API tokens, newest first (revoked ones included, marked)."""
    return list(
        db.session.scalars(
            db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke one API token: its owner or an administrator may."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not is_admin(actor)):
        raise NotFound("令牌不存在")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def token_usable(token: ApiToken) -> bool:
    """Whether a token still opens the API: not revoked, not expired, its owner active."""
    if token.revoked_at is not None or not token.user.active:
        return False
    return token.expires_at is None or token.expires_at > utcnow()


def user_for_token(token: str) -> User | None:
    """The active user owning this valid API token, or None."""
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or not token_usable(row):
        return None
    row.last_used_at = utcnow()
    db.session.commit()
    return row.user
