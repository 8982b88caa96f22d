"""The refined kind model and the IDF table as shared artifacts: stored in the database, picked up by
every app on it at its next check, imported once from an earlier release's instance files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from nlp import Analyzer, Segmenter
from nlp.analyze import default_kind_model
from tests.conftest import close_app, make_app, submit, user
from webapp.extensions import db
from webapp.models import SharedArtifact
from webapp.services import artifacts, editing

TEXT = "深入开展人居环境整治专项行动，{}镇动员{}名干部进村入户，推动整治清单逐户落实。"
PLACES = ["东关", "西湖", "南山", "北岭", "青石", "白沙", "红旗", "金桥", "柳河", "杏林", "松岗", "桃源"]
PROBE = TEXT.format("云台", 60)


@pytest.fixture
def two_hosts(tmp_path: Path, segmenter: Segmenter) -> Iterator[tuple[Flask, Flask]]:
    """Two apps on one database, each with its own instance files (two hosts in one process);
    the second compares artifact versions on every request."""
    first = make_app(tmp_path / "a", segmenter, XINXI_KIND_MIN_CORRECTIONS="10")
    with first.app_context():
        from webapp.services import demo

        demo.seed_structure()
    second = make_app(
        tmp_path / "b",
        segmenter,
        XINXI_DATABASE_URL=first.config["SQLALCHEMY_DATABASE_URI"],
        XINXI_ARTIFACT_CHECK_SECONDS="0",
    )
    yield first, second
    for app in (first, second):
        with app.app_context():
            close_app(app)


def _analyzer(app: Flask) -> Analyzer:
    analyzer: Analyzer = app.extensions["xinxi"].analyzer
    return analyzer


def test_a_model_trained_on_one_host_is_used_by_the_other_at_its_next_request(
    two_hosts: tuple[Flask, Flask],
) -> None:
    first, second = two_hosts
    assert _analyzer(second).analyze("", PROBE).kind.label == "other"
    with first.app_context():
        editor = user("editor")
        for n, place in enumerate(PLACES):
            item = submit(f"{place}镇整治人居环境", TEXT.format(place, 20 + n)).item
            editing.correct_tags(editor, item.id, kind="achievement")
        result = first.test_cli_runner().invoke(args=["train-kind"])
        assert result.exit_code == 0, result.output
        assert "第 1 版" in result.output
        assert _analyzer(first).analyze("", PROBE).kind.label == "achievement"
        row = db.session.get(SharedArtifact, artifacts.KIND_MODEL)
        assert row is not None and row.version == 1 and "train-kind" in row.updated_by
    # The other host has not looked yet; its next request does, and rebuilds its analyzer.
    assert _analyzer(second).analyze("", PROBE).kind.label == "other"
    assert second.test_client().get("/login").status_code == 200
    assert _analyzer(second).analyze("", PROBE).kind.label == "achievement"
    assert artifacts.loaded_versions(second) == {"kind_model": 1, "idf": 0}
    for app in two_hosts:  # nothing was written into either host's instance folder
        assert not Path(app.config["XINXI_KIND_MODEL_FILE"]).exists()

    with first.app_context():
        refreshed = first.test_cli_runner().invoke(args=["refresh-idf"])
        assert refreshed.exit_code == 0, refreshed.output
        assert "12 条信息" in refreshed.output
    before = _analyzer(second)
    second.test_client().get("/login")
    assert _analyzer(second) is not before
    assert artifacts.loaded_versions(second) == {"kind_model": 1, "idf": 1}
    # 整治 is in every stored item: the office's own table ranks it below jieba's.
    old = before.analyze("", PROBE).keywords
    new = _analyzer(second).analyze("", PROBE).keywords
    assert old != new
    assert not Path(second.config["XINXI_IDF_FILE"]).exists()


def test_the_check_is_one_query_at_most_every_few_seconds(tmp_path: Path, segmenter: Segmenter) -> None:
    app = make_app(tmp_path, segmenter, XINXI_ARTIFACT_CHECK_SECONDS="3600")
    with app.app_context():
        artifacts.refresh_if_stale(force=True)
        model = replace(default_kind_model(), trained_on={"problem": 1, "achievement": 2, "other": 3})
        assert artifacts.save(artifacts.KIND_MODEL, model.to_json(), "test") == 1
        assert artifacts.save(artifacts.KIND_MODEL, model.to_json(), "test") == 2
        assert not artifacts.refresh_if_stale()  # looked a moment ago
        assert app.test_client().get("/login").status_code == 200
        assert _analyzer(app).kind_model is default_kind_model()
        assert artifacts.refresh_if_stale(force=True)
        assert dict(_analyzer(app).kind_model.trained_on) == {"problem": 1, "achievement": 2, "other": 3}
        assert not artifacts.refresh_if_stale(force=True)  # nothing newer
        close_app(app)


def test_instance_files_of_an_earlier_release_are_imported_once(tmp_path: Path, segmenter: Segmenter) -> None:
    model = replace(default_kind_model(), trained_on={"problem": 7, "achievement": 8, "other": 9})
    (tmp_path / "kind_model.json").write_text(json.dumps(model.to_json()), encoding="utf-8")
    (tmp_path / "idf.json").write_text(json.dumps({"整治": 0.5, "干部": 0.25}), encoding="utf-8")
    # A start before `flask db upgrade`: no table yet, the files are read as before.
    app = make_app(tmp_path, segmenter)
    assert dict(_analyzer(app).kind_model.trained_on) == {"problem": 7, "achievement": 8, "other": 9}
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SharedArtifact)) == 0
        close_app(app)
    # The next start (the schema is current) moves them into the database, once.
    restarted = make_app(tmp_path, segmenter)
    with restarted.app_context():
        rows = {row.name: row for row in db.session.scalars(db.select(SharedArtifact))}
        assert set(rows) == {"kind_model", "idf"} and rows["idf"].content == {"整治": 0.5, "干部": 0.25}
        assert rows["kind_model"].version == 1 and "import" in rows["kind_model"].updated_by
        assert artifacts.loaded_versions(restarted) == {"kind_model": 1, "idf": 1}
        # From now on the row is what counts: the file is neither read nor imported again.
        (tmp_path / "kind_model.json").write_text("{broken", encoding="utf-8")
        assert artifacts.import_instance_files(restarted) == []
        assert dict(_analyzer(restarted).kind_model.trained_on)["other"] == 9
        # A damaged row is logged and the shipped model used; nothing fails.
        rows["kind_model"].content = {"format": 99}
        rows["kind_model"].version = 2
        db.session.commit()
        assert artifacts.refresh_if_stale(force=True)
        assert _analyzer(restarted).kind_model is default_kind_model()
        close_app(restarted)
