"""Configuration pages: publications and topic word lists (editors and admins), users (admins)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.extensions import db
from webapp.models import DEFAULT_LEVEL, Publication, Unit
from webapp.services import bulletins, editing, items, settings, users
from webapp.services.access import is_admin, is_editor
from webapp.services.errors import DomainError, Forbidden
from webapp.services.paging import PageRequest
from webapp.views.flashing import attempt

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def editors_only() -> None:
    if not is_editor(current_user):
        raise Forbidden("没有权限")


@bp.route("/publications", methods=["GET", "POST"])
def publications() -> str | Response:
    if request.method == "POST":
        try:
            publication = settings.save_publication(current_user, request.form.get("code", ""), request.form)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(f"已保存刊物《{publication.name}》", "success")
            return redirect(url_for("admin.publications"))
    return render_template(
        "admin_publications.html", publications=bulletins.list_all_publications(), blank=Publication()
    )


def _admins_only() -> None:
    if not is_admin(current_user):
        raise Forbidden("只有管理员可以管理用户")


@bp.route("/users", methods=["GET", "POST"])
def user_list() -> str | Response:
    _admins_only()
    form = request.form
    if request.method == "POST" and attempt(
        lambda: users.create_user(
            form.get("username", ""),
            form.get("password", ""),
            form.get("role", ""),
            form.get("unit") or None,
            display_name=form.get("display_name", ""),
            clearance=form.get("clearance") or None,
            actor=current_user,
        ),
        f"已创建用户 {form.get('username', '')}",
    ):
        return redirect(url_for("admin.user_list"))
    units = list(db.session.scalars(db.select(Unit).order_by(Unit.code)))
    return render_template(
        "admin_users.html",
        users=users.list_users(current_user),
        units=units,
        default_level=DEFAULT_LEVEL,
        leader_levels=editing.leader_levels(),
    )


@bp.route("/users/<int:user_id>", methods=["POST"])
def administer(user_id: int) -> Response:
    _admins_only()
    form = request.form
    action = form.get("action", "")
    if action == "update":
        attempt(
            lambda: users.update_user(
                current_user,
                user_id,
                role=form.get("role", ""),
                unit_code=form.get("unit") or None,
                clearance=form.get("clearance", ""),
            ),
            "已保存，该用户需重新登录",
        )
    else:
        active = {"activate": True, "deactivate": False}.get(action)
        attempt(
            lambda: users.administer_user(
                current_user, user_id, active=active, password=form.get("password", "")
            ),
            "已保存",
        )
    return redirect(url_for("admin.user_list"))


@bp.route("/topics", methods=["GET", "POST"])
def topics() -> str | Response:
    if request.method == "POST":
        try:
            topic = settings.save_topic(
                current_user,
                request.form.get("name", ""),
                request.form.get("words", ""),
                active=request.form.get("active", "1") == "1",
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(
                f"已保存主题“{topic.name}”；新报送的信息按新词表标注，已有信息可运行 flask retag 重新标注",
                "success",
            )
            return redirect(url_for("admin.topics"))
    return render_template(
        "admin_topics.html", topics=settings.list_topics(), format_words=settings.format_word_list
    )


@bp.route("/withdrawn")
def withdrawn() -> str:
    page = items.page_withdrawn(current_user, PageRequest.from_args(request.args))
    return render_template("admin_withdrawn.html", page=page, items=page.rows)


@bp.route("/items/<int:item_id>/withdraw", methods=["POST"])
def withdraw(item_id: int) -> Response:
    attempt(
        lambda: items.withdraw_item(current_user, item_id, request.form.get("reason", "")), "已撤回该信息"
    )
    return redirect(url_for("pages.item", item_id=item_id))


@bp.route("/items/<int:item_id>/reinstate", methods=["POST"])
def reinstate(item_id: int) -> Response:
    attempt(
        lambda: items.reinstate_item(current_user, item_id, request.form.get("reason", "")), "已恢复该信息"
    )
    return redirect(url_for("pages.item", item_id=item_id))
