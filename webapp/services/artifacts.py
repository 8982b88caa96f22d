"""What the office changes at run time and every host must use, kept in the database.

The kind model refined by the editors' corrections (`flask train-kind`) and the keyword IDF table
computed from the archive (`flask refresh-idf`) are rows of `shared_artifact`, not files in one
host's instance folder: a second host behind the same database would otherwise go on tagging with
what it loaded at start. Every write raises the row's version; each process remembers the versions
its analyzer was built from and compares them, at most once every XINXI_ARTIFACT_CHECK_SECONDS, with
one query on this two-row table, rebuilding its analyzer when another process stored a newer one.
Topic word lists and settings are rows read on use (`items.topic_lexicon`) and need nothing here.

The instance files of earlier releases (XINXI_KIND_MODEL_FILE, XINXI_IDF_FILE) are imported once,
at start, while the table holds no row of that name, and read directly while it does not exist yet
(a process started before `flask db upgrade`).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from nlp import load_idf
from nlp.kind_model import KindModel, model_from_json
from webapp.extensions import db
from webapp.models import SharedArtifact, utcnow

KIND_MODEL = "kind_model"
IDF = "idf"
FILE_SETTINGS = {KIND_MODEL: "XINXI_KIND_MODEL_FILE", IDF: "XINXI_IDF_FILE"}
NAMES = tuple(FILE_SETTINGS)
STATE_KEY = "xinxi_artifacts"
log = logging.getLogger(__name__)


@dataclass
class Loaded:
    """The artifact versions a process's analyzer was built from (0: no row, so the instance file
    or the shipped default) and when the process last compared them with the database."""

    versions: dict[str, int] = field(default_factory=dict)
    checked_at: float = 0.0  # time.monotonic()


@dataclass(frozen=True)
class Artifacts:
    """What a new analyzer is built from; None means jieba's IDF or the shipped kind model."""

    idf: dict[str, float] | None
    kind_model: KindModel | None
    versions: dict[str, int]


def instance_file(app: Flask, name: str) -> Path:
    """The instance file an artifact lived in before the database held it."""
    return Path(app.config[FILE_SETTINGS[name]])


def _parse(name: str, content: Any) -> dict[str, float] | KindModel:
    """An artifact's content as the analyzer takes it; ValueError, KeyError or TypeError if malformed."""
    if name == KIND_MODEL:
        return model_from_json(content, "shared kind model")
    if not isinstance(content, dict):
        raise ValueError("the IDF table is not a JSON object")
    return {str(word): float(value) for word, value in content.items()}


def _read_file(name: str, path: Path) -> Any:
    """An instance file's content in the shape it is stored in the database."""
    if name == IDF:
        return load_idf(path)  # JSON or TSV, whichever the name says
    return json.loads(path.read_text(encoding="utf-8"))


def _read(*columns: Any) -> list[Any] | None:
    """Rows of these `shared_artifact` columns, by one query on a short connection of its own (no
    session transaction is opened for it); None when the table does not exist yet or the database
    is away."""
    try:
        with db.engine.connect() as conn:
            return list(conn.execute(db.select(*columns)))
    except SQLAlchemyError:
        return None


def stored_versions() -> dict[str, int] | None:
    """Each stored artifact's version (see `_read`)."""
    table = SharedArtifact.__table__
    rows = _read(table.c.name, table.c.version)
    return None if rows is None else {name: version for name, version in rows}


def _stored_rows() -> dict[str, tuple[int, Any]] | None:
    table = SharedArtifact.__table__
    rows = _read(table.c.name, table.c.version, table.c.content)
    return None if rows is None else {name: (version, content) for name, version, content in rows}


def current(app: Flask) -> Artifacts:
    """The artifacts an analyzer of `app` uses now: the database rows, else the instance files;
    an unreadable one is logged and replaced by the shipped default, never fatal."""
    with app.app_context():  # its own connection: nothing of a caller's context is touched
        rows = _stored_rows() or {}
    parsed: dict[str, Any] = {}
    versions: dict[str, int] = {}
    for name in NAMES:
        version, content, source = 0, None, ""
        if name in rows:
            version, content = rows[name]
            source = f"数据库 shared_artifact.{name} 第 {version} 版"
        elif instance_file(app, name).exists():
            source = str(instance_file(app, name))
            try:
                content = _read_file(name, instance_file(app, name))
            except (ValueError, OSError):
                app.logger.warning("无法读取 %s，改用内置默认值", source)
        versions[name] = version
        if content is None:
            continue
        try:
            parsed[name] = _parse(name, content)
        except (ValueError, KeyError, TypeError, IndexError):
            app.logger.warning("无法读取 %s，改用内置默认值", source)
    return Artifacts(parsed.get(IDF), parsed.get(KIND_MODEL), versions)


def mark_loaded(app: Flask, versions: dict[str, int]) -> None:
    """Remember which versions this process's analyzer was built from."""
    app.extensions[STATE_KEY] = Loaded(dict(versions), time.monotonic())


def loaded_versions(app: Flask) -> dict[str, int]:
    """The versions this process's analyzer was built from."""
    state: Loaded = app.extensions.get(STATE_KEY) or Loaded()
    return dict(state.versions)


def refresh_if_stale(force: bool = False) -> bool:
    """Rebuild this process's analyzer when another process stored a newer artifact (or removed
    one); at most one small query every XINXI_ARTIFACT_CHECK_SECONDS unless `force`."""
    from webapp import build_analyzer
    from webapp.engines import engines

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state: Loaded = app.extensions.setdefault(STATE_KEY, Loaded())
    now = time.monotonic()
    if not force and now - state.checked_at < float(app.config["XINXI_ARTIFACT_CHECK_SECONDS"]):
        return False
    state.checked_at = now
    stored = stored_versions()
    if stored is None:
        return False
    if {name: stored.get(name, 0) for name in NAMES} == {name: state.versions.get(name, 0) for name in NAMES}:
        return False
    engines().analyzer = build_analyzer(app, engines().segmenter)
    log.info("shared artifacts changed (%s): analyzer rebuilt", stored)
    return True


def refresh_before_request() -> None:
    """`refresh_if_stale` as a request hook (a hook that returns a value replaces the response)."""
    refresh_if_stale()


def _who(action: str) -> str:
    return f"{action} @ {socket.gethostname()}"[:200]


def save(name: str, content: Any, action: str) -> int:
    """Store a new version of an artifact for every host and return its number; `action` says who
    wrote it (a command, a job, an imported file)."""
    if name not in FILE_SETTINGS:
        raise ValueError(f"unknown shared artifact: {name}")
    table = SharedArtifact.__table__
    for attempt in range(2):
        # The row lock orders two writers; two hosts inserting the first version at once meet
        # in the primary key, and the loser tries again as an update.
        locked = db.select(table.c.version).where(table.c.name == name).with_for_update()
        version = db.session.execute(locked).scalar_one_or_none()
        values = {"content": content, "updated_at": utcnow(), "updated_by": _who(action)}
        try:
            if version is None:
                version = 1
                db.session.execute(table.insert().values(name=name, version=version, **values))
            else:
                version += 1
                db.session.execute(
                    table.update().where(table.c.name == name).values(version=version, **values)
                )
            db.session.commit()
            return version
        except IntegrityError:
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def import_instance_files(app: Flask) -> list[str]:
    """Move the instance files of an earlier release into the database, once: an artifact is
    imported only while the table holds no row of its name (the file stays, unused, as a copy)."""
    imported: list[str] = []
    with app.app_context():
        stored = stored_versions()
        if stored is None:
            return imported  # no table yet: `flask db upgrade` first; the files are read meanwhile
        for name in NAMES:
            path = instance_file(app, name)
            if name in stored or not path.is_file():
                continue
            try:
                content = _read_file(name, path)
                _parse(name, content)
            except (ValueError, KeyError, TypeError, IndexError, OSError):
                app.logger.warning("实例文件 %s 无法读取，未导入数据库", path)
                continue
            row = {"name": name, "content": content, "version": 1, "updated_at": utcnow()}
            try:
                # A plain insert: when another host imported its own file first, that one stays.
                db.session.execute(
                    SharedArtifact.__table__.insert().values(**row, updated_by=_who(f"import {path}"))
                )
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                continue
            imported.append(name)
            app.logger.info("实例文件 %s 已导入数据库（shared_artifact.%s）", path, name)
        db.session.remove()
    return imported
