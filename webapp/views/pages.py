"""The pages people use: start page, submission, item, review and search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from search import SearchError
from webapp.converters import parse_id
from webapp.extensions import db
from webapp.models import GENRES, KIND_LABELS, STATUS_LABELS, Topic, Unit, UnitCategory
from webapp.services import audit, balance, bulletins, editing, items, requests, searching, upward, writers
from webapp.services.access import can_see_unit, is_editor, is_leader
from webapp.services.errors import DomainError, ValidationError
from webapp.services.files import extract
from webapp.services.paging import PageRequest
from webapp.views.flashing import attempt

bp = Blueprint("pages", __name__)


@bp.route("/")
@login_required
def home() -> str:
    wanted = PageRequest.from_args(request.args, per_page=20)
    if is_editor(current_user):
        return render_template(
            "home_editor.html",
            queue=items.page_items(current_user, items.ItemFilter(status="submitted"), wanted, "oldest"),
            recent=items.list_items(current_user, limit=10),
            saved=searching.saved_searches(current_user),
        )
    if is_leader(current_user):
        return render_template(
            "home_leader.html",
            issues=bulletins.readable_issues(current_user),
            awaiting=editing.awaiting_instruction(current_user),
            my_level=editing.leader_level(current_user),
            figures=balance.balance(balance.build_scope(None, None, None, None)),
            saved=searching.saved_searches(current_user),
        )
    return render_template(
        "home_reporter.html",
        items=items.page_items(current_user, None, wanted, "newest"),
        open_requests=requests.open_for_unit(current_user.unit_id) if current_user.unit_id else [],
        saved=searching.saved_searches(current_user),
    )


def _units() -> list[Unit]:
    return list(db.session.scalars(db.select(Unit).where(Unit.active).order_by(Unit.code)))


@bp.route("/items/new", methods=["GET", "POST"])
@login_required
def new_item() -> str | Response | tuple[str, int]:
    form = request.form
    if request.method == "POST":
        data = items.ItemInput(
            title=form.get("title", ""),
            text=form.get("text", ""),
            unit_code=form.get("unit") or None,
            event_date=form.get("event_date") or None,
            level=form.get("level") or None,
            author=form.get("author", ""),
            genre=form.get("genre") or "dynamic",
            event_time=form.get("event_time") or None,
            event_grade=form.get("event_grade") or None,
            writer=form.get("writer") or None,
            request_id=parse_id(form.get("request_id", "")),
        )
        upload = request.files.get("file")
        try:
            if upload is not None and upload.filename:
                extracted = extract(upload.filename, upload.read())
                # A title from the text, never the file name (which would turn up as a keyword).
                data.title = data.title.strip() or extracted.title
                data.text = extracted.text
                data.source_filename = extracted.filename
                data.source_encoding = extracted.encoding
                data.tables = extracted.tables or None
            if not data.title.strip():
                data.title, data.text = items.title_from_text(data.text)
            result = items.submit_item(current_user, data)
        except DomainError as exc:
            flash(exc.message, "error")
            return render_template("item_new.html", **_form_context(form)), exc.status
        flash("报送成功", "success")
        for notice in result.notices:
            flash(notice, "warning")
        for dup in result.duplicates:
            flash(
                f"疑似重复：与“{dup.title}”（{dup.unit}）相似度 {dup.similarity:.0%}",
                f"warning:{dup.item_id}",
            )
        return redirect(url_for("pages.item", item_id=result.item.id))
    return render_template("item_new.html", **_form_context(form))


def _form_context(form: MultiDict[str, str]) -> dict[str, object]:
    """What the submission form needs: units, and the requests the user's unit may answer."""
    open_requests = (
        requests.open_for_unit(current_user.unit_id)
        if current_user.unit_id
        else requests.list_requests(None, False)
    )
    chosen = form.get("request_id") or request.args.get("request", "")
    roster = writers.roster(current_user.unit.code, in_post_only=True) if current_user.unit else []
    return {
        "units": _units(),
        "form": form,
        "open_requests": open_requests,
        "chosen_request": chosen,
        "writers": roster,
    }


@bp.route("/items/<int:item_id>")
@login_required
def item(item_id: int) -> str:
    record = items.get_item(current_user, item_id)
    return render_template(
        "item.html",
        item=record,
        topics=list(db.session.scalars(db.select(Topic.name).where(Topic.active).order_by(Topic.sort_order))),
        history=audit.history("item", record.id),
        publications=bulletins.list_publications(),
        outlets=upward.list_outlets(),
        duplicates=items.stored_duplicates(current_user, record),
        similar=searching.similar_items(current_user, record),
        my_level=editing.leader_level(current_user) if is_leader(current_user) else None,
    )


@bp.route("/items/<int:item_id>/my-instruction", methods=["POST"])
@login_required
def my_instruction(item_id: int) -> Response:
    """A leader records their own instruction (批示) on an item."""
    attempt(
        lambda: editing.record_own_instruction(
            current_user, item_id, request.form.get("instructed_on"), request.form.get("text", "")
        ),
        "已登记批示",
    )
    return redirect(url_for("pages.item", item_id=item_id))


@bp.route("/items/<int:item_id>/review", methods=["POST"])
@login_required
def review(item_id: int) -> Response:
    action = request.form.get("action", "")
    try:
        items.review_item(
            current_user, item_id, action, request.form.get("publication"), request.form.get("reason", "")
        )
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            {"adopt": "已采用", "reject": "已标记为不采用", "return": "已退回修改"}.get(action, "已处理"),
            "success",
        )
    return redirect(url_for("pages.item", item_id=item_id))


@bp.route("/items/<int:item_id>/resubmit", methods=["POST"])
@login_required
def resubmit(item_id: int) -> Response:
    attempt(
        lambda: editing.resubmit_item(
            current_user,
            item_id,
            request.form.get("title", ""),
            request.form.get("text", ""),
            request.form.get("note", ""),
        ),
        "已修改并重新报送",
    )
    return redirect(url_for("pages.item", item_id=item_id))


@bp.route("/search")
@login_required
def search() -> tuple[str, int]:
    """The search page; a query it cannot run (bad syntax, too long, bad date) is explained inline."""
    page, error, status = None, None, 200
    if request.args:
        try:
            page = searching.search_items(current_user, request.args, facets=True)
        except SearchError as exc:
            if exc.status_hint != 400:  # a busy or broken index is the error page's business
                raise
            error, status = str(exc), 400
        except ValidationError as exc:
            error, status = exc.message, exc.status
    return render_template(
        "search.html",
        page=page,
        error=error,
        args=request.args,
        units=[u for u in _units() if can_see_unit(current_user, u)],
        facet_labels=FACET_LABELS,
        facet_names=_facet_names(),
    ), status


# Facet name → (search parameter that filters by it, or "" for none; heading).
FACET_LABELS = {
    "unit": ("unit", "报送单位"),
    "unit_category": ("category", "单位类别"),
    "topic": ("topic", "主题"),
    "kind": ("kind", "类型"),
    "status": ("status", "状态"),
    "year": ("year", "年度"),
    "publication": ("publication", "采用刊物"),
    "genre": ("genre", "信息类别"),
}


def _facet_names() -> dict[str, dict[str, str]]:
    """Display names of facet values (unit and category codes, kinds, statuses)."""
    names = {
        "unit": {u.code: u.name for u in _units()},
        "unit_category": {c.code: c.name for c in db.session.scalars(db.select(UnitCategory))},
        "kind": dict(KIND_LABELS),
        "status": dict(STATUS_LABELS),
        "publication": {p.code: p.name for p in bulletins.list_all_publications()},
        "genre": dict(GENRES),
    }
    return names


@bp.route("/search/saved", methods=["POST"])
@login_required
def save_search() -> Response:
    params = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        saved = searching.save_search(current_user, request.form.get("name", ""), params)
        flash(f"已保存检索“{saved.name}”，首页将提示新增结果", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    query: dict[str, Any] = searching.saved_params(params)  # url_for types its keywords loosely
    return redirect(url_for("pages.search", **query))


@bp.route("/search/saved/<int:saved_id>")
@login_required
def open_saved(saved_id: int) -> Response:
    query: dict[str, Any] = searching.visit_saved(current_user, saved_id)
    return redirect(url_for("pages.search", **query))


@bp.route("/search/saved/<int:saved_id>/delete", methods=["POST"])
@login_required
def delete_saved(saved_id: int) -> Response:
    searching.delete_saved(current_user, saved_id)
    return redirect(url_for("pages.home"))


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on every page, whatever the page's <link rel=icon> says."""
    icon = Path(current_app.static_folder or "static") / "favicon.ico"
    response = Response(icon.read_bytes(), mimetype="image/vnd.microsoft.icon")
    response.cache_control.max_age = 86400
    return response


@bp.route("/healthz")
def healthz() -> str:
    """A cheap liveness probe for load balancers."""
    return "ok"
