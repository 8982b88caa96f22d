"""Configuration pages: publications (editors and admins) and topic word lists (admins)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.models import Publication
from webapp.services import bulletins, settings
from webapp.services.access import is_editor
from webapp.services.errors import DomainError, Forbidden

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
