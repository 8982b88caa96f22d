"""Shared fixtures: a fresh app per test on real SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from nlp import Segmenter
from webapp import create_app
from webapp.extensions import db
from webapp.models import User
from webapp.services import demo, items, users

PG_URL = os.environ.get("XINXI_TEST_DATABASE_URL")
PASSWORD = demo.DEMO_PASSWORD
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(scope="session")
def segmenter(tmp_path_factory: pytest.TempPathFactory) -> Segmenter:
    """One loaded jieba for the whole run, shared by every app (as gunicorn's preload does)."""
    return Segmenter(cache_dir=tmp_path_factory.mktemp("jieba")).initialize()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(tmp_path: Path, segmenter: Segmenter, database: str = "sqlite", **extra: Any) -> Flask:
    """A new app on an empty database built by the real migrations, with its own index."""
    if database == "postgres":
        if not PG_URL:
            pytest.skip("XINXI_TEST_DATABASE_URL is not set")
        _reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path / 'xinxi.db'}"
    config = {
        "XINXI_DATABASE_URL": url,
        "XINXI_INDEX_DIR": str(tmp_path / "index"),
        "XINXI_IDF_FILE": str(tmp_path / "idf.json"),
        "XINXI_KIND_MODEL_FILE": str(tmp_path / "kind_model.json"),
        "XINXI_SECRET_KEY": "test-secret",
        "XINXI_PASSWORD_HASH": "pbkdf2:sha256:1000",
        "XINXI_TASKS_IMMEDIATE": "1",  # jobs run at once here (tests/test_jobs.py runs a real worker)
        "XINXI_JOB_DIR": str(tmp_path / "jobs"),
        "TESTING": True,
        **extra,
    }
    app = create_app(config, segmenter=segmenter)

    @app.before_request
    def forget_cached_login() -> None:
        # Tests keep an app context open, so requests share its `g`; Flask-Login caches the user
        # there, which would let one test client's login leak into another's requests.
        g.pop("_login_user", None)

    with app.app_context():
        upgrade()
    return app


def close_app(app: Flask) -> None:
    """Release the app's database connections and search backend (tests must leak no connection)."""
    db.session.remove()
    db.engine.dispose()
    app.extensions["xinxi"].search.close()


def instance_env(tmp_path: Path) -> dict[str, str]:
    """The XINXI_* environment an app and its processes (CLI, task worker) share: one database, index,
    queue and instance files under `tmp_path`."""
    return {
        "XINXI_DATABASE_URL": f"sqlite:///{tmp_path / 'xinxi.db'}",
        "XINXI_INDEX_DIR": str(tmp_path / "index"),
        "XINXI_IDF_FILE": str(tmp_path / "idf.json"),
        "XINXI_KIND_MODEL_FILE": str(tmp_path / "kind_model.json"),
        "XINXI_SECRET_KEY": "test-secret",
        "XINXI_HUEY_FILE": str(tmp_path / "huey.db"),
        "XINXI_JOB_DIR": str(tmp_path / "jobs"),
        "XINXI_JIEBA_CACHE": str(tmp_path / "jieba"),
    }


@pytest.fixture
def app(tmp_path: Path, segmenter: Segmenter) -> Iterator[Flask]:
    """An app on SQLite with the demo office structure (no items), CSRF off for the test client."""
    app = make_app(tmp_path, segmenter, WTF_CSRF_ENABLED=False)
    with app.app_context():
        demo.seed_structure()
        yield app
        close_app(app)


@pytest.fixture(params=["sqlite", "postgres"])
def any_db_app(request: pytest.FixtureRequest, tmp_path: Path, segmenter: Segmenter) -> Iterator[Flask]:
    """The same app on SQLite and again on PostgreSQL (skipped cleanly without it)."""
    app = make_app(tmp_path, segmenter, request.param, WTF_CSRF_ENABLED=False)
    with app.app_context():
        demo.seed_structure()
        yield app
        close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, username: str) -> FlaskClient:
    """Log a test client in as one of the demo users."""
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def bearer(username: str) -> dict[str, str]:
    """API headers with a fresh token for a demo user."""
    return {"Authorization": f"Bearer {users.issue_api_token(username)}"}


def user(username: str) -> User:
    found = db.session.scalar(db.select(User).where(User.username == username))
    assert found is not None
    return found


def submit(
    title: str, text: str, unit: str = "yx", level: str = "内部", event_date: str | None = None
) -> items.SubmitResult:
    """Submit an item as the system (the CLI importer's path)."""
    return items.submit_item(
        None, items.ItemInput(title=title, text=text, unit_code=unit, level=level, event_date=event_date)
    )
