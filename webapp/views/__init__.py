"""Blueprints: thin views that parse the request, call one service and render or serialise."""

from __future__ import annotations

from flask import Flask

from webapp.extensions import db, login_manager
from webapp.models import (
    AUDIT_ACTIONS,
    GENRES,
    INSTRUCTION_LEVELS,
    ISSUE_STATUSES,
    KIND_LABELS,
    LEVELS,
    REQUEST_STATES,
    ROLE_LABELS,
    SCORE_CAUSES,
    STATUS_LABELS,
    UPWARD_LEVELS,
    User,
)
from webapp.textmarks import marked_paragraphs
from webapp.timeutil import to_local


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login's session lookup."""
    return db.session.get(User, int(user_id))


def register(app: Flask) -> None:
    """Register every blueprint and the template helpers."""
    from webapp.views import admin, api, auth, bulletins, desk, office, pages

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(bulletins.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(office.bp)
    app.register_blueprint(api.bp)

    app.jinja_env.globals["marked_paragraphs"] = marked_paragraphs
    app.jinja_env.filters["local"] = lambda moment: to_local(moment).strftime("%Y-%m-%d %H:%M")
    app.jinja_env.globals.update(
        AUDIT_ACTIONS=AUDIT_ACTIONS,
        KIND_LABELS=KIND_LABELS,
        GENRES=GENRES,
        REQUEST_STATES=REQUEST_STATES,
        SCORE_CAUSES=SCORE_CAUSES,
        STATUS_LABELS=STATUS_LABELS,
        LEVELS=LEVELS,
        ROLE_LABELS=ROLE_LABELS,
        ISSUE_STATUSES=ISSUE_STATUSES,
        UPWARD_LEVELS=UPWARD_LEVELS,
        INSTRUCTION_LEVELS=INSTRUCTION_LEVELS,
    )
