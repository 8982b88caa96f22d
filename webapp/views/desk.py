"""The editor's desk: review queue with filters and bulk actions, edits and versions, tags, merges,
upward adoptions and leaders' instructions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.converters import parse_ids
from webapp.extensions import db
from webapp.models import UPWARD_KINDS, Topic, Unit
from webapp.services import bulletins, editing, items, upward
from webapp.services.access import is_editor
from webapp.services.errors import DomainError, Forbidden
from webapp.services.paging import PageRequest
from webapp.views.flashing import attempt

bp = Blueprint("desk", __name__)


@bp.before_request
@login_required
def editors_only() -> None:
    # Returned items are revised by their own unit through pages.resubmit, not here.
    if not is_editor(current_user):
        raise Forbidden("只有编辑可以使用编辑台")


def _ids(name: str = "item_ids") -> list[int]:
    return parse_ids(request.form.getlist(name))


def _back_to_item(item_id: int) -> Response:
    return redirect(url_for("pages.item", item_id=item_id))


@bp.route("/review")
def queue() -> str:
    filters = items.ItemFilter(
        status=request.args.get("status", "submitted") or None,
        unit=request.args.get("unit") or None,
        topic=request.args.get("topic") or None,
        kind=request.args.get("kind") or None,
        level=request.args.get("level") or None,
    )
    sort = request.args.get("sort") or "oldest"  # the oldest pending first: nothing waits unseen
    page = items.page_items(current_user, filters, PageRequest.from_args(request.args), sort)
    return render_template(
        "review_queue.html",
        page=page,
        rows=page.rows,
        duplicates=items.duplicates_for(current_user, page.rows),
        args=request.args,
        filters=filters,
        sort=sort,
        sorts=items.ITEM_SORTS,
        units=list(db.session.scalars(db.select(Unit).where(Unit.active).order_by(Unit.code))),
        topics=list(db.session.scalars(db.select(Topic.name).where(Topic.active).order_by(Topic.sort_order))),
        publications=bulletins.list_publications(),
    )


@bp.route("/review/bulk", methods=["POST"])
def bulk() -> Response:
    action, ids = request.form.get("action", ""), _ids()
    try:
        if action == "assign_topic":
            changed = editing.assign_topic(current_user, ids, request.form.get("topic", ""))
            flash(f"已为 {len(changed)} 条信息添加主题", "success")
        elif action == "merge":
            merged = editing.merge_items(current_user, ids, request.form.get("merge_title", ""))
            flash(f"已合并为综合信息（{len(ids)} 条来源）", "success")
            return _back_to_item(merged.id)
        else:
            done = items.bulk_review(
                current_user, ids, action, request.form.get("publication"), request.form.get("reason", "")
            )
            flash(f"已处理 {len(done)} 条信息", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(request.referrer or url_for("desk.queue"))


@bp.route("/items/<int:item_id>/edit", methods=["POST"])
def edit(item_id: int) -> Response:
    attempt(
        lambda: editing.edit_item(
            current_user,
            item_id,
            request.form.get("title", ""),
            request.form.get("text", ""),
            request.form.get("note", ""),
        ),
        "已保存为新版本",
    )
    return _back_to_item(item_id)


@bp.route("/items/<int:item_id>/versions")
def versions(item_id: int) -> str:
    item = items.get_item(current_user, item_id)
    compare = request.args.get("compare", type=int)
    chosen = next((v for v in item.versions if v.number == compare), None)
    current = item.versions[-1] if item.versions else None
    diff = editing.version_diff(chosen.text, current.text) if chosen and current else None
    return render_template("versions.html", item=item, chosen=chosen, current=current, diff=diff)


@bp.route("/items/<int:item_id>/restore", methods=["POST"])
def restore(item_id: int) -> Response:
    attempt(
        lambda: editing.restore_version(current_user, item_id, request.form.get("number", type=int) or 0),
        "已恢复该版本（保存为新版本）",
    )
    return _back_to_item(item_id)


@bp.route("/items/<int:item_id>/tags", methods=["POST"])
def tags(item_id: int) -> Response:
    attempt(
        lambda: editing.correct_tags(
            current_user, item_id, request.form.get("kind") or None, request.form.getlist("topics")
        ),
        "已校正标签（重新标注时保留校正结果）",
    )
    return _back_to_item(item_id)


@bp.route("/items/<int:item_id>/upward", methods=["POST"], endpoint="upward")
def record_upward(item_id: int) -> Response:
    form = request.form
    kind = form.get("kind", "adopted")
    attempt(
        lambda: upward.record_upward(
            current_user,
            item_id,
            form.get("outlet", ""),
            kind,
            form.get("day"),
            form.get("awarded_points"),
            form.get("note", ""),
        ),
        f"已登记{UPWARD_KINDS.get(kind, '')}",
    )
    return _back_to_item(item_id)


@bp.route("/leaders/<int:user_id>/level", methods=["POST"])
def leader_level(user_id: int) -> Response:
    """An administrator sets a leader's instruction level (their profile)."""
    attempt(
        lambda: editing.set_leader_level(current_user, user_id, request.form.get("level", "")),
        "已设置领导批示层级",
    )
    return redirect(url_for("admin.user_list"))


@bp.route("/items/<int:item_id>/instruction", methods=["POST"])
def instruction(item_id: int) -> Response:
    form = request.form
    attempt(
        lambda: editing.record_instruction(
            current_user,
            item_id,
            form.get("leader", ""),
            form.get("level", ""),
            form.get("instructed_on"),
            form.get("text", ""),
        ),
        "已登记领导批示",
    )
    return _back_to_item(item_id)
