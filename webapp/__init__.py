"""Xinxi web application: the Flask app factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from nlp import Analyzer, Segmenter
from nlp.kind_model import KindModel
from search import SearchBackend, SearchError
from webapp.config import load_config
from webapp.engines import Engines
from webapp.extensions import cache, csrf, db, login_manager, migrate
from webapp.tasks import build_queue

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
INLINE_REBUILD_ITEMS = 2000  # a larger unreadable index is rebuilt by a job, not at start
log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers work while one writer commits; foreign keys are off in SQLite by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def build_search(app: Flask, segmenter: Segmenter, kind: str | None = None) -> SearchBackend:
    """The search backend named in the configuration (or `kind`): Whoosh and tantivy keep their
    files under XINXI_INDEX_DIR, PostgreSQL its table in the application's database."""
    from search import make_backend

    kind = kind or app.config["XINXI_SEARCH_BACKEND"]
    index_dir = Path(app.config["XINXI_INDEX_DIR"])
    return make_backend(
        kind,
        index_dir=index_dir / "tantivy" if kind == "tantivy" else index_dir,
        segmenter=segmenter,
        database_url=app.config["SQLALCHEMY_DATABASE_URI"],
    )


def build_engines(app: Flask, segmenter: Segmenter | None = None) -> Engines:
    """Build the segmenter, analyzer and search backend once per process (before workers fork)."""
    segmenter = segmenter or Segmenter(cache_dir=app.config["XINXI_JIEBA_CACHE"]).initialize()
    analyzer = build_analyzer(app, segmenter)
    return Engines(segmenter=segmenter, analyzer=analyzer, search=build_search(app, segmenter))


def build_analyzer(app: Flask, segmenter: Segmenter, idf: Mapping[str, float] | None = None) -> Analyzer:
    """The analyzer with the office's own IDF table and kind model (shared by every host through
    the database, else this host's instance files), else jieba's IDF and the shipped kind model; an
    unreadable one is logged, not fatal. `idf` overrides the stored table."""
    from webapp.services import artifacts

    found = artifacts.current(app)
    artifacts.mark_loaded(app, found.versions)
    kind_model: KindModel | Literal["default"] = found.kind_model or "default"
    return Analyzer(segmenter, idf=idf if idf is not None else found.idf, kind_model=kind_model)


def create_app(config: dict[str, Any] | None = None, *, segmenter: Segmenter | None = None) -> Flask:
    """Create the app; `config` overrides the XINXI_* environment, `segmenter` shares a loaded jieba."""
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(instance, config))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    cache.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    from webapp.services import artifacts

    artifacts.import_instance_files(app)  # an earlier release's kind model and IDF files, once
    app.extensions["xinxi"] = build_engines(app, segmenter)
    app.extensions["xinxi_queue"] = build_queue(app.config, instance)
    _check_index(app)
    with app.app_context():
        # No pooled connection or open searcher may survive into gunicorn's forked workers.
        db.engine.dispose()
    app.extensions["xinxi"].search.close()

    from webapp import cli, errors, security, views
    from webapp.converters import IdConverter, XinxiRequest

    # Before any rule is added: every <int:...> in the blueprints becomes a bounded id.
    app.url_map.converters["int"] = IdConverter
    app.request_class = XinxiRequest
    security.register(app)
    # Every host picks up a kind model or IDF table another one stored (one small query at most
    # every XINXI_ARTIFACT_CHECK_SECONDS).
    app.before_request(artifacts.refresh_before_request)
    views.register(app)
    errors.register(app)
    cli.register(app)
    return app


def _repair_difference(app: Flask) -> None:
    """An index older than the database (a run killed between a commit and its index write, a
    restored copy) gets the difference at start; two aggregates decide whether to look at all."""
    from sqlalchemy import inspect

    with app.app_context():
        if not inspect(db.engine).has_table("item"):
            return
        from webapp.services.indexing import repair_difference

        try:
            report = repair_difference()
        except SQLAlchemyError:
            db.session.rollback()  # the schema is older than the code: `flask db upgrade` first
            return
        except SearchError:
            log.exception("index repair at start failed; run `flask --app wsgi index-check --fix`")
            return
        if report is not None and not report.clean:
            log.warning(
                "search index was behind the database: %d missing, %d stale, %d extra, repaired",
                len(report.missing),
                len(report.stale),
                len(report.extra),
            )


def _check_index(app: Flask) -> None:
    """A missing or corrupted index is rebuilt from the database at start, not met later as a 500;
    an index that is readable but behind the database gets the difference."""
    from sqlalchemy import inspect

    backend = app.extensions["xinxi"].search
    if backend.check():
        _repair_difference(app)
        return
    log.warning("search index is unreadable; rebuilding it from the database")
    backend.recreate()
    with app.app_context():
        if not inspect(db.engine).has_table("item"):
            return
        from webapp.services.indexing import item_count, reindex_all

        try:
            if item_count() > INLINE_REBUILD_ITEMS and inspect(db.engine).has_table("job"):
                # A large archive is rebuilt by the task queue, so the app starts at once (search
                # fills in as the job runs; its page shows the progress).
                from webapp.services import jobs

                jobs.start(None, "reindex")
                return
            reindex_all()
        except SQLAlchemyError:
            # The schema is older than the code (this start may be `flask db upgrade` itself): the
            # index stays empty until the next start or `flask reindex`, and nothing breaks now.
            db.session.rollback()
            log.warning("index rebuild postponed: the database needs `flask --app wsgi db upgrade` first")
