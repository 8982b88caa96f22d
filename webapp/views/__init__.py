"""Blueprints: thin views that parse the request, call one service and render or serialise."""

from __future__ import annotations

from flask import Flask, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from webapp.extensions import db, login_manager
from webapp.models import (
    AUDIT_ACTIONS,
    EVENT_GRADES,
    GENRES,
    INSTRUCTION_LEVELS,
    ISSUE_STATUSES,
    JOB_KINDS,
    JOB_STATUSES,
    KIND_LABELS,
    LEVELS,
    MISSED_KINDS,
    OUTLET_TIERS,
    REQUEST_STATES,
    REQUEST_VERDICTS,
    ROLE_LABELS,
    SCORE_CAUSES,
    STANDING_MEASURES,
    STATUS_LABELS,
    UPWARD_KINDS,
    Item,
    User,
)
from webapp.services.access import TEMPLATE_PREDICATES, visible_title
from webapp.textmarks import marked_paragraphs
from webapp.timeutil import to_local


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    """Flask-Login's session lookup: a session from before the user's last logout, password, role or
    clearance change (an older session version) finds nobody."""
    raw_id, _, version = session_key.partition(":")
    if not raw_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or user.session_version != int(version):
        return None
    return user


HIDDEN_TITLE = "（超出您的查看权限的信息）"


def item_link(item: Item) -> Markup:
    """A link to an item titled as it is, or a neutral placeholder when the viewer may not see it."""
    title = visible_title(current_user, item)
    if title is None:
        return Markup('<span class="muted">{}</span>').format(HIDDEN_TITLE)
    return Markup('<a href="{}">{}</a>').format(url_for("pages.item", item_id=item.id), escape(title))


def register(app: Flask) -> None:
    """Register every blueprint and the template helpers."""
    from webapp.views import admin, api, auth, bulletins, desk, jobs, office, pages

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(bulletins.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(office.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(jobs.bp)

    app.jinja_env.globals["marked_paragraphs"] = marked_paragraphs
    app.jinja_env.globals.update(TEMPLATE_PREDICATES, item_link=item_link)
    app.jinja_env.filters["local"] = lambda moment: to_local(moment).strftime("%Y-%m-%d %H:%M")
    app.jinja_env.globals.update(
        AUDIT_ACTIONS=AUDIT_ACTIONS,
        KIND_LABELS=KIND_LABELS,
        GENRES=GENRES,
        REQUEST_STATES=REQUEST_STATES,
        REQUEST_VERDICTS=REQUEST_VERDICTS,
        SCORE_CAUSES=SCORE_CAUSES,
        STATUS_LABELS=STATUS_LABELS,
        LEVELS=LEVELS,
        ROLE_LABELS=ROLE_LABELS,
        ISSUE_STATUSES=ISSUE_STATUSES,
        JOB_KINDS=JOB_KINDS,
        JOB_STATUSES=JOB_STATUSES,
        OUTLET_TIERS=OUTLET_TIERS,
        MISSED_KINDS=MISSED_KINDS,
        EVENT_GRADES=EVENT_GRADES,
        STANDING_MEASURES=STANDING_MEASURES,
        UPWARD_KINDS=UPWARD_KINDS,
        INSTRUCTION_LEVELS=INSTRUCTION_LEVELS,
    )
