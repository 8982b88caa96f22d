"""Backup and restore: a consistent online copy of the database and the instance files that matter.

A backup is a folder (or the same folder packed as a .tar.gz) holding:

- `database.sqlite3` (SQLite's online backup API: a consistent copy while the app keeps running) or
  `database.pgdump` (`pg_dump -Fc`, one snapshot; the search table's rows are left out); the office's
  kind model and keyword IDF table are rows of it (`shared_artifact`, see services/artifacts.py);
- `files/`: the session secret key, and the kind model and IDF instance files of an earlier release
  where the database holds no row for them yet (uploaded originals are not kept as files: an item
  stores its text and the original's name);
- `manifest.json`: format, schema revision, time, database kind, row counts and file checksums.

The search index is not copied: it is derived data, and a restore rebuilds it from the database.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from webapp.extensions import db
from webapp.models import (
    Adoption,
    AuditEvent,
    BulletinIssue,
    Item,
    ScoreEntry,
    Unit,
    User,
)
from webapp.services import artifacts
from webapp.services.errors import Conflict, ValidationError

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
COUNTED = {
    "items": Item,
    "users": User,
    "units": Unit,
    "adoptions": Adoption,
    "score_entries": ScoreEntry,
    "bulletin_issues": BulletinIssue,
    "audit_events": AuditEvent,
}
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
PG_TIMEOUT = 3600


@dataclass
class Manifest:
    """What a backup holds, written next to it as manifest.json."""

    format: int
    created_at: str
    database: str  # sqlite | postgresql
    revision: str | None  # the Alembic schema revision of the copy
    counts: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)  # name under files/ -> sha256
    artifacts: dict[str, int] = field(default_factory=dict)  # shared artifact -> version in the copy
    database_sha256: str = ""
    seconds: float = 0.0


@dataclass
class RestoreResult:
    """What a restore brought back."""

    manifest: Manifest
    counts: dict[str, int]
    indexed: int
    seconds: float


def _dialect() -> str:
    return str(db.engine.dialect.name)


def _instance_files(stored: dict[str, int] | None = None) -> dict[str, Path]:
    """The instance files a backup carries, by their name inside the backup: an artifact file only
    while the database has no row of it (`stored`), else the row is what every host uses."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    files = {"secret_key": Path(app.instance_path) / "secret_key"}
    for name in artifacts.NAMES:
        if name not in (stored or {}):
            files[f"{name}.json"] = artifacts.instance_file(app, name)
    return files


def counts() -> dict[str, int]:
    """Row counts of the tables a backup is checked by."""
    return {
        name: db.session.scalar(db.select(db.func.count()).select_from(model)) or 0
        for name, model in COUNTED.items()
    }


def _revision() -> str | None:
    if not inspect(db.engine).has_table("alembic_version"):
        return None
    revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    return str(revision) if revision is not None else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq_url() -> str:
    """The database URL as pg_dump and pg_restore take it (no SQLAlchemy driver suffix)."""
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_env() -> dict[str, str]:
    return {**os.environ, "PGCONNECT_TIMEOUT": "10"}


def _run(command: list[str]) -> None:
    done = subprocess.run(
        command, capture_output=True, text=True, env=_pg_env(), timeout=PG_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise Conflict(f"{command[0]} 失败：{done.stderr.strip()[:500]}", code="backup_failed")


def _sqlite_path() -> Path:
    database = make_url(str(db.engine.url)).database
    if not database or database == ":memory:":
        raise ValidationError("内存数据库无法备份", code="backup_unsupported")
    return Path(database)


def create_backup(dest: Path, progress: Callable[[str], None] | None = None) -> Manifest:
    """Copy the database and the instance files into `dest` (a new folder, or a .tar.gz file)."""
    started = time.monotonic()
    dest = Path(dest)
    packed = dest.name.endswith(ARCHIVE_SUFFIXES)
    if dest.exists() and (packed or any(dest.iterdir())):
        raise Conflict(f"备份目标已存在且不为空：{dest}", code="backup_exists")
    with tempfile.TemporaryDirectory(prefix="xinxi-backup-", dir=dest.parent if packed else None) as tmp:
        folder = Path(tmp) / "backup" if packed else dest
        folder.mkdir(parents=True, exist_ok=True)
        kind = _dialect()
        manifest = Manifest(
            format=FORMAT,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            database=kind,
            revision=_revision(),
            counts=counts(),
            artifacts=artifacts.stored_versions() or {},
        )
        db.session.rollback()  # hold no transaction while the copy runs
        if progress:
            progress("数据库")
        if kind == "sqlite":
            target = folder / SQLITE_FILE
            source = sqlite3.connect(_sqlite_path())
            copy = sqlite3.connect(target)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
        elif kind == "postgresql":
            target = folder / PG_FILE
            # The search table is derived data: its definition is kept, its rows are rebuilt.
            _run(
                [
                    "pg_dump",
                    "-Fc",
                    "--no-owner",
                    "--exclude-table-data=search_doc",
                    "-f",
                    str(target),
                    _libpq_url(),
                ]
            )
        else:
            raise ValidationError(f"不支持备份 {kind} 数据库", code="backup_unsupported")
        manifest.database_sha256 = _sha256(target)
        if progress:
            progress("实例文件")
        (folder / "files").mkdir(exist_ok=True)
        for name, path in _instance_files(manifest.artifacts).items():
            if path.is_file():
                shutil.copy2(path, folder / "files" / name)
                manifest.files[name] = _sha256(folder / "files" / name)
        manifest.seconds = round(time.monotonic() - started, 2)
        (folder / MANIFEST).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), "utf-8")
        if packed:
            partial = dest.with_name(dest.name + ".partial")
            with tarfile.open(partial, "w:gz") as archive:
                archive.add(folder, arcname="xinxi-backup")
            partial.replace(dest)
    return manifest


@contextmanager
def _opened(src: Path) -> Iterator[Path]:
    """The backup folder of `src` (a folder, or a .tar.gz unpacked into a temporary one)."""
    src = Path(src)
    if src.is_dir():
        yield src
        return
    if not src.is_file():
        raise ValidationError(f"找不到备份：{src}", code="backup_missing")
    with tempfile.TemporaryDirectory(prefix="xinxi-restore-") as tmp:
        with tarfile.open(src, "r:*") as archive:
            archive.extractall(tmp, filter="data")
        found = [p.parent for p in Path(tmp).rglob(MANIFEST)]
        if len(found) != 1:
            raise ValidationError("备份文件中没有 manifest.json", code="backup_invalid")
        yield found[0]


def read_manifest(folder: Path) -> Manifest:
    """Read and check a backup's manifest and the checksum of its database copy."""
    try:
        data: dict[str, Any] = json.loads((folder / MANIFEST).read_text("utf-8"))
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise ValidationError(f"备份清单无法读取：{exc}", code="backup_invalid") from None
    if manifest.format != FORMAT:
        raise ValidationError(f"不支持的备份格式 {manifest.format}", code="backup_invalid")
    copy = folder / (SQLITE_FILE if manifest.database == "sqlite" else PG_FILE)
    if not copy.is_file() or _sha256(copy) != manifest.database_sha256:
        raise ValidationError("备份中的数据库文件缺失或已损坏（校验和不符）", code="backup_invalid")
    return manifest


def target_is_empty() -> bool:
    """Whether the configured database holds no items and no users (tables may exist)."""
    names = set(inspect(db.engine).get_table_names())
    for table in ("item", "user"):
        if table in names and db.session.scalar(text(f'SELECT count(*) FROM "{table}"')):
            return False
    return True


def restore_backup(
    src: Path, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> RestoreResult:
    """Bring a backup back into this instance's database (empty unless `force`), put its instance
    files in place, upgrade the schema if the copy is older, and rebuild the search index."""
    from flask_migrate import upgrade

    from webapp.engines import engines
    from webapp.services import indexing

    started = time.monotonic()
    with _opened(src) as folder:
        manifest = read_manifest(folder)
        kind = _dialect()
        if manifest.database != kind:
            raise ValidationError(
                f"备份来自 {manifest.database} 数据库，当前配置的是 {kind}", code="backup_mismatch"
            )
        if not force and not target_is_empty():
            raise Conflict("目标数据库中已有数据；确认覆盖请加 --force", code="target_not_empty")
        db.session.remove()
        engines().search.close()
        db.engine.dispose()
        if progress:
            progress("数据库")
        if kind == "sqlite":
            source = sqlite3.connect(folder / SQLITE_FILE)
            target = sqlite3.connect(_sqlite_path())
            try:
                with target:
                    source.backup(target)  # replaces every page of the target database
            finally:
                target.close()
                source.close()
        else:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            db.engine.dispose()
            _run(["pg_restore", "--no-owner", "--exit-on-error", "-d", _libpq_url(), str(folder / PG_FILE)])
        for name, path in _instance_files().items():
            copy = folder / "files" / name
            if name in manifest.files and copy.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(copy, path)
    upgrade()  # a copy from an older release gets this release's schema
    # A copy from before shared artifacts brought its model and IDF as files: into the database now.
    artifacts.import_instance_files(current_app._get_current_object())  # type: ignore[attr-defined]
    artifacts.refresh_if_stale(force=True)
    if progress:
        progress("搜索索引")
    backend = engines().search
    backend.recreate()
    indexed = indexing.reindex_all()
    indexing.repair_difference()  # stores the new watermark
    return RestoreResult(manifest, counts(), indexed, round(time.monotonic() - started, 2))
