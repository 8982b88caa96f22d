"""Log in and out (sessions for the UI; the API uses bearer tokens), the account page and its tokens.

Login throttling counts failed attempts only, in two ways at once: per account name (from any address;
XINXI_LOGIN_LIMIT_ACCOUNT, default 5 a minute and 20 an hour) and per client address (whatever the
name; XINXI_LOGIN_LIMIT_ADDRESS, default 30 a minute). A throttled attempt is refused before the
password is checked, with status 429.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from webapp.extensions import client_address, limiter
from webapp.services import users
from webapp.services.errors import DomainError
from webapp.views.flashing import attempt

bp = Blueprint("auth", __name__)
THROTTLED = "登录尝试过于频繁，请稍后再试"


def _safe_next(target: str | None) -> str:
    """Only redirect to paths on this site after login."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("pages.home")


def _account_key() -> str:
    return "account:" + request.form.get("username", "").strip().lower()


def _failed(response: Response) -> bool:
    """A login attempt counts against the limits when it fails (a throttled one is no new attempt)."""
    return response.status_code not in (302, 429)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["XINXI_LOGIN_LIMIT_ADDRESS"],
    key_func=client_address,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-address",
)
@limiter.limit(
    lambda: current_app.config["XINXI_LOGIN_LIMIT_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-account",
)
def login() -> str | Response:
    if request.method == "POST":
        try:
            user = users.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        except DomainError as exc:
            flash(exc.message, "error")
            return render_template("login.html")
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html")


@bp.errorhandler(RateLimitExceeded)
def throttled(_exc: RateLimitExceeded) -> tuple[str, int]:
    flash(THROTTLED, "error")
    return render_template("login.html"), 429


def _account_page(new_token: str | None = None) -> Response:
    response = Response(
        render_template(
            "account.html",
            tokens=users.list_tokens(current_user),
            token_usable=users.token_usable,
            new_token=new_token,
        ),
        mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Response:
    form = request.form
    if request.method == "POST":
        if form.get("new_password") != form.get("confirm"):
            flash("两次输入的新密码不一致", "error")
        elif attempt(
            lambda: users.change_password(
                current_user, form.get("current", ""), form.get("new_password", "")
            ),
            "密码已修改，其他地方的登录已失效",
        ):
            # This session carries the new session version; every other one has ended.
            login_user(current_user._get_current_object())
            return redirect(url_for("auth.account"))
    return _account_page()


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token() -> Response:
    days = request.form.get("expires_days", "").strip()
    if days and not days.isdigit():
        flash("有效期必须是天数（正整数）", "error")
        return redirect(url_for("auth.account"))
    try:
        token = users.create_token(current_user, request.form.get("name", ""), int(days) if days else None)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("auth.account"))
    # Shown on this page only, never stored in the (signed, readable) session cookie.
    return _account_page(new_token=token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Response:
    attempt(lambda: users.revoke_token(current_user, token_id), "令牌已撤销")
    return redirect(url_for("auth.account"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    users.log_out(current_user)
    logout_user()
    return redirect(url_for("auth.login"))
