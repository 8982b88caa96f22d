"""Log in and out (sessions for the UI; the API uses bearer tokens)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from webapp.services.users import authenticate, change_password
from webapp.views.flashing import attempt

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only redirect to paths on this site after login."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "POST":
        user = authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("用户名或密码错误", "error")
    return render_template("login.html")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    form = request.form
    if request.method == "POST":
        if form.get("new_password") != form.get("confirm"):
            flash("两次输入的新密码不一致", "error")
        elif attempt(
            lambda: change_password(current_user, form.get("current", ""), form.get("new_password", "")),
            "密码已修改",
        ):
            return redirect(url_for("pages.home"))
    return render_template("account.html")


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))
