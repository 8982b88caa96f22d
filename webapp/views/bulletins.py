"""Bulletin pages: compose a draft from adopted items, reorder and group it, preview, publish, download."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from webapp.converters import parse_id, parse_ids
from webapp.services import archive_import, bulletins, items
from webapp.services.access import is_editor, is_reader
from webapp.services.bulletins import EntryInput
from webapp.services.errors import DomainError, Forbidden
from webapp.services.paging import PageRequest

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_response(filename: str, data: bytes) -> Response:
    """Send a Word file as a download (shared by the page and the API)."""
    return send_file(BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True, download_name=filename)


READER_ENDPOINTS = frozenset({"bulletins.preview", "bulletins.download"})


@bp.before_request
@login_required
def editors_only() -> None:
    """Composing is the editors'; leaders may read (preview, download) published issues, which the
    service checks issue by issue against every reader's clearance."""
    allowed = is_reader if request.endpoint in READER_ENDPOINTS else is_editor
    if not allowed(current_user):
        raise Forbidden("只有编辑可以编发刊物")


def _ints(values: list[str]) -> list[int]:
    return parse_ids(values)


def _composed(form: MultiDict[str, str]) -> list[EntryInput]:
    """The entries as the compose form left them: its order, moves, removals, additions, columns."""
    order = _ints(form.getlist("entry"))
    move = form.get("move", "")
    if ":" in move:
        direction, _, raw = move.partition(":")
        if (moved := parse_id(raw)) is not None and moved in order:
            i = order.index(moved)
            j = i - 1 if direction == "up" else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
    removed = set(_ints(form.getlist("remove")))
    order = [i for i in order if i not in removed] + [i for i in _ints(form.getlist("add")) if i not in order]
    return [EntryInput(i, form.get(f"column_{i}")) for i in order]


@bp.route("/", methods=["GET", "POST"])
def index() -> str | Response:
    if request.method == "POST":
        try:
            issue = bulletins.create_issue(
                current_user,
                request.form.get("publication", ""),
                [EntryInput(i) for i in _ints(request.form.getlist("add"))],
                editor_note=request.form.get("editor_note"),
                supplement=request.form.get("supplement") == "1",
                override_reason=request.form.get("override_reason", ""),
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash("已新建草稿，可调整顺序、栏目后印发", "success")
            return redirect(url_for("bulletins.show", issue_id=issue.id))
    adopted = items.page_items(
        current_user, items.ItemFilter(status="adopted"), PageRequest.from_args(request.args)
    )
    return render_template(
        "bulletins.html",
        issues=bulletins.list_issues(),
        publications=bulletins.list_publications(),
        adopted=adopted,
        published=bulletins.published_issues([i.id for i in adopted.rows]),
        form=request.form,
        years={p: archive_import.publication_years(p.code) for p in bulletins.list_all_publications()},
    )


@bp.route("/<int:issue_id>", methods=["GET", "POST"])
def show(issue_id: int) -> str | Response:
    if request.method == "POST":
        try:
            bulletins.update_issue(
                current_user,
                issue_id,
                _composed(request.form),
                editor_note=request.form.get("editor_note"),
                override_reason=request.form.get("override_reason", ""),
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash("草稿已保存", "success")
        return redirect(url_for("bulletins.show", issue_id=issue_id))
    issue = bulletins.get_issue(current_user, issue_id, compose=True)
    in_issue = {entry.item_id for entry in issue.entries}
    candidates = [
        i for i in items.list_items(current_user, status="adopted", limit=200) if i.id not in in_issue
    ]
    shown = [entry.item_id for entry in issue.entries] + [i.id for i in candidates]
    published = bulletins.published_issues(shown)
    return render_template(
        "bulletin.html",
        issue=issue,
        data=bulletins.bulletin_data(issue),
        candidates=candidates,
        published=published,
        repeated=bulletins.repeated_items(issue.publication_id, sorted(in_issue), exclude_issue=issue.id),
    )


@bp.route("/<int:issue_id>/publish", methods=["POST"])
def publish(issue_id: int) -> Response:
    try:
        issue = bulletins.publish_issue(current_user, issue_id, request.form.get("override_reason", ""))
    except Forbidden:
        raise
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(f"已印发{issue.label}", "success")
    return redirect(url_for("bulletins.show", issue_id=issue_id))


@bp.route("/<int:issue_id>/preview")
def preview(issue_id: int) -> str:
    issue = bulletins.get_issue(current_user, issue_id)
    return render_template("bulletin_preview.html", issue=issue, data=bulletins.bulletin_data(issue))


@bp.route("/<int:issue_id>.docx")
def download(issue_id: int) -> Response:
    return docx_response(*bulletins.export_issue(current_user, issue_id))
