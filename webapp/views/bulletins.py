"""Bulletin pages: compose an issue from adopted items, preview it, download the Word file."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from webapp.services import bulletins, items
from webapp.services.access import is_editor
from webapp.services.errors import DomainError, Forbidden

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_response(filename: str, data: bytes) -> Response:
    """Send a Word file as a download (shared by the page and the API)."""
    return send_file(BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True, download_name=filename)


def _chosen_in_order(form: MultiDict[str, str]) -> list[int]:
    """The ticked items, by their order numbers; items without a number keep the list order."""
    chosen = [int(i) for i in form.getlist("item_ids") if i.isdigit()]

    def key(pair: tuple[int, int]) -> tuple[int, int]:
        position, item_id = pair
        raw = form.get(f"order_{item_id}", "").strip()
        return (int(raw) if raw.isdigit() else 10_000, position)

    return [item_id for _, item_id in sorted(enumerate(chosen), key=key)]


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> str | Response:
    if not is_editor(current_user):
        raise Forbidden("只有编辑可以编发刊物")
    if request.method == "POST":
        try:
            issue = bulletins.create_issue(
                current_user,
                request.form.get("publication", ""),
                _chosen_in_order(request.form),
                editor_note=request.form.get("editor_note"),
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(f"已生成{issue.label}", "success")
            return redirect(url_for("bulletins.show", issue_id=issue.id))
    return render_template(
        "bulletins.html",
        issues=bulletins.list_issues(),
        publications=bulletins.list_publications(),
        adopted=items.list_items(current_user, status="adopted", limit=200),
    )


@bp.route("/<int:issue_id>")
@login_required
def show(issue_id: int) -> str:
    return render_template("bulletin.html", issue=bulletins.get_issue(issue_id))


@bp.route("/<int:issue_id>.docx")
@login_required
def download(issue_id: int) -> Response:
    return docx_response(*bulletins.export_issue(current_user, issue_id))
