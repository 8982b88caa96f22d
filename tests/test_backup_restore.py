"""Backup and restore round trips: SQLite through its backup API, PostgreSQL through pg_dump/pg_restore."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import create_engine, text

from nlp import Segmenter
from tests.conftest import PG_URL, close_app, make_app, submit, user
from webapp import create_app
from webapp.extensions import db
from webapp.services import backup, bulletins, items, scoring, searching
from webapp.services.errors import Conflict
from webapp.timeutil import local_today


def _office(app: Flask) -> dict[str, object]:
    """Fill the app with a little office life and return what a restore must bring back."""
    from webapp.services import demo

    demo.seed_structure()
    first = submit("盂县高标准农田建设成效明显", "新增灌溉面积三万亩，群众普遍满意。").item
    second = submit("盂县秋粮收购进展顺利", "全县秋粮收购工作有序推进，收购量同比增长。").item
    items.review_item(user("editor"), first.id, "adopt", "mrkb")
    items.review_item(user("editor"), second.id, "adopt", "yqxx")
    issue = bulletins.create_issue(user("editor"), "mrkb", [bulletins.EntryInput(first.id)])
    bulletins.publish_issue(user("editor"), issue.id)
    return _snapshot()


def _snapshot() -> dict[str, object]:
    period = scoring.parse_period(local_today().strftime("%Y-%m"))
    return {
        "counts": backup.counts(),
        "ranking": [(r.unit.code, r.points) for r in scoring.ranking("xq", period)],
        "found": [row.item.title for row in searching.search_items(user("editor"), {"q": "高标准农田"}).rows],
    }


def _invoke(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def _sqlite_app(folder: Path, segmenter: Segmenter) -> Flask:
    folder.mkdir(parents=True, exist_ok=True)
    return make_app(folder, segmenter)


@pytest.mark.parametrize("packed", [False, True])
def test_sqlite_round_trip(tmp_path: Path, segmenter: Segmenter, packed: bool) -> None:
    source = _sqlite_app(tmp_path / "source", segmenter)
    dest = tmp_path / ("backup.tar.gz" if packed else "backup")
    with source.app_context():
        before = _office(source)
        result = _invoke(source, "backup", str(dest))
        assert result.exit_code == 0, result.output
        assert "已备份到" in result.output
        again = _invoke(source, "backup", str(dest))
        assert again.exit_code != 0  # never overwrites a backup
        close_app(source)
    if not packed:
        manifest = json.loads((dest / "manifest.json").read_text("utf-8"))
        assert manifest["database"] == "sqlite" and manifest["counts"]["items"] == 2
        assert manifest["revision"] and (dest / "database.sqlite3").is_file()

    target = _sqlite_app(tmp_path / "target", segmenter)
    with target.app_context():
        result = _invoke(target, "restore", str(dest))
        assert result.exit_code == 0, result.output
        assert "索引 2 条" in result.output
        assert _snapshot() == before
        refused = _invoke(target, "restore", str(dest))
        assert refused.exit_code != 0 and "--force" in refused.output
        assert _invoke(target, "restore", str(dest), "--force").exit_code == 0
        assert _snapshot() == before
        close_app(target)


def test_restore_refuses_a_damaged_backup(tmp_path: Path, segmenter: Segmenter) -> None:
    source = _sqlite_app(tmp_path / "source", segmenter)
    with source.app_context():
        _office(source)
        backup.create_backup(tmp_path / "backup")
        with pytest.raises(Conflict):
            backup.restore_backup(tmp_path / "backup")  # this database is not empty
        close_app(source)
    with (tmp_path / "backup" / "database.sqlite3").open("ab") as handle:
        handle.write(b"\0")
    target = _sqlite_app(tmp_path / "target", segmenter)
    with target.app_context():
        result = _invoke(target, "restore", str(tmp_path / "backup"))
        assert result.exit_code != 0 and "校验和" in result.output
        close_app(target)


@pytest.fixture
def restore_url() -> Iterator[str]:
    """A second, fresh PostgreSQL database next to the test one, dropped afterwards."""
    if not PG_URL:
        pytest.skip("XINXI_TEST_DATABASE_URL is not set")
    base = PG_URL.rsplit("/", 1)[0]
    name = PG_URL.rsplit("/", 1)[1] + "_restore"
    admin = create_engine(f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{base}/{name}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgres_round_trip(tmp_path: Path, segmenter: Segmenter, restore_url: str) -> None:
    source = make_app(tmp_path / "source", segmenter, "postgres")
    with source.app_context():
        before = _office(source)
        manifest = backup.create_backup(tmp_path / "backup")
        assert manifest.database == "postgresql" and manifest.counts["adoptions"] == 2
        close_app(source)

    target = create_app(
        {
            "XINXI_DATABASE_URL": restore_url,
            "XINXI_INDEX_DIR": str(tmp_path / "target-index"),
            "XINXI_IDF_FILE": str(tmp_path / "target-idf.json"),
            "XINXI_KIND_MODEL_FILE": str(tmp_path / "target-kind.json"),
            "XINXI_SECRET_KEY": "test-secret",
            "TESTING": True,
        },
        segmenter=segmenter,
    )
    with target.app_context():
        result = backup.restore_backup(tmp_path / "backup")
        assert result.indexed == 2 and result.counts == manifest.counts
        assert _snapshot() == before
        assert db.session.scalar(text("SELECT count(*) FROM search_doc")) == 2
        close_app(target)
    assert os.environ.get("XINXI_TEST_DATABASE_URL") == PG_URL


def test_shared_artifacts_travel_in_the_database_and_older_files_are_imported(
    tmp_path: Path, segmenter: Segmenter
) -> None:
    from dataclasses import replace

    from nlp.analyze import default_kind_model
    from webapp.services import artifacts

    source = _sqlite_app(tmp_path / "source", segmenter)
    model = replace(default_kind_model(), trained_on={"problem": 4, "achievement": 5, "other": 6})
    with source.app_context():
        _office(source)
        artifacts.save(artifacts.KIND_MODEL, model.to_json(), "test")
        # An IDF table still in an instance file (an earlier release): the backup carries the file.
        Path(source.config["XINXI_IDF_FILE"]).write_text(json.dumps({"农田": 0.5}), "utf-8")
        manifest = backup.create_backup(tmp_path / "backup")
        assert manifest.artifacts == {"kind_model": 1}
        assert "idf.json" in manifest.files and "kind_model.json" not in manifest.files
        close_app(source)

    target = _sqlite_app(tmp_path / "target", segmenter)
    with target.app_context():
        backup.restore_backup(tmp_path / "backup")
        assert artifacts.stored_versions() == {"kind_model": 1, "idf": 1}  # the file moved into the database
        assert artifacts.loaded_versions(target) == {"kind_model": 1, "idf": 1}
        analyzer = target.extensions["xinxi"].analyzer
        assert dict(analyzer.kind_model.trained_on) == {"problem": 4, "achievement": 5, "other": 6}
        close_app(target)
