"""`flask import` killed with SIGKILL part-way, then run again: each file stored once, the index clean."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask

from nlp import Segmenter
from tests.conftest import close_app, instance_env, make_app, submit
from webapp.extensions import db
from webapp.models import Item
from webapp.services import demo, indexing, items

ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).with_name("flask")
FILES = 300
KILL_AT = 60
PLACES = ["城区", "矿区", "郊区", "盂县", "平定县", "开发区"]
TOPICS = [
    ("高标准农田建设", "新增灌溉面积{n}亩，完成年度任务的{p}%。"),
    ("秋粮收购", "收购秋粮{n}吨，同比增长{p}%，农民增收明显。"),
    ("安全生产检查", "排查隐患{n}处，整改完成率{p}%，仍有部分企业整改不到位。"),
    ("营商环境优化", "办理审批事项{n}件，平均用时压缩{p}%。"),
    ("生态环境治理", "治理裸露地块{n}亩，空气优良天数比例提高{p}个百分点。"),
]


def _write_files(folder: Path) -> None:
    folder.mkdir()
    for i in range(FILES):
        place = PLACES[i % len(PLACES)]
        topic, detail = TOPICS[i % len(TOPICS)]
        title = f"{place}{topic}第{i + 1}期进展"
        body = (
            f"{place}扎实推进{topic}工作。{detail.format(n=100 + i * 7, p=i % 90 + 5)}下一步将继续抓好落实。"
        )
        (folder / f"{i:04d}.txt").write_text(f"{title}\n{body}\n", encoding="utf-8")


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **instance_env(tmp_path)}


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FLASK), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _stored(database: Path) -> int:
    try:
        with sqlite3.connect(database, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM item").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_import_killed_part_way_resumes_without_doubles(tmp_path: Path, segmenter: Segmenter) -> None:
    app: Flask = make_app(tmp_path, segmenter)
    with app.app_context():
        demo.seed_structure()
        close_app(app)
    source = tmp_path / "来稿"
    _write_files(source)
    env = _env(tmp_path)

    log = tmp_path / "import.log"
    with log.open("wb") as out:
        importer = subprocess.Popen(
            [str(FLASK), "--app", "wsgi", "import", str(source), "--unit", "yx", "--batch", "20"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 240
        while _stored(tmp_path / "xinxi.db") < KILL_AT:
            assert importer.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the import stored nothing"
            time.sleep(0.01)
        importer.send_signal(signal.SIGKILL)
        importer.wait(timeout=30)
    assert importer.returncode == -signal.SIGKILL
    killed_at = _stored(tmp_path / "xinxi.db")
    assert KILL_AT <= killed_at < FILES

    rerun = _flask(env, "import", str(source), "--unit", "yx", "--batch", "20")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"已导入 {FILES - killed_at} 条，跳过 {killed_at} 条已导入，失败 0 条" in rerun.stdout

    again = _flask(env, "import", str(source), "--unit", "yx")
    assert f"已导入 0 条，跳过 {FILES} 条已导入" in again.stdout

    check = _flask(env, "index-check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "缺失 0 条，过期 0 条，多余 0 条" in check.stdout
    with sqlite3.connect(tmp_path / "xinxi.db") as conn:
        total, hashes = conn.execute("SELECT count(*), count(DISTINCT content_hash) FROM item").fetchone()
    assert total == hashes == FILES


def test_start_repairs_an_index_behind_the_database(tmp_path: Path, segmenter: Segmenter) -> None:
    app: Flask = make_app(tmp_path, segmenter)
    with app.app_context():
        demo.seed_structure()
        kept = submit("盂县秋粮收购进展顺利", "全县秋粮收购工作有序推进，收购量同比增长。").item.id
        lost = submit("盂县高标准农田建设成效明显", "新增灌溉面积三万亩，群众普遍满意。").item.id
        # What a process killed between its commit and its index write leaves behind.
        app.extensions["xinxi"].search.delete([lost])
        assert indexing.check_index().missing == [lost]
        close_app(app)
    restarted = make_app(tmp_path, segmenter)  # same database and index: start-up finds the gap
    with restarted.app_context():
        report = indexing.check_index()
        assert report.clean, report
        assert indexing.repair_difference() is None  # nothing moved since: two aggregates, no look
        assert {kept, lost} <= set(restarted.extensions["xinxi"].search.stamps())
        close_app(restarted)


def test_items_without_a_hash_get_one_and_are_skipped(tmp_path: Path, segmenter: Segmenter) -> None:
    app: Flask = make_app(tmp_path, segmenter)
    with app.app_context():
        demo.seed_structure()
        item = submit("盂县秋粮收购进展顺利", "全县秋粮收购工作有序推进，收购量同比增长。").item
        digest = item.content_hash
        assert digest == items.content_hash(
            "yx", "盂县秋粮收购进展顺利", "全县秋粮收购工作有序推进，收购量同比增长。"
        )
        # Traditional script and stray spaces are the same submission.
        assert digest == items.content_hash(
            "yx", " 盂縣秋糧收購進展順利 ", "全縣秋糧收購工作有序推進，收購量同比增長。\n"
        )
        assert digest != items.content_hash(
            "pd", "盂县秋粮收购进展顺利", "全县秋粮收购工作有序推进，收购量同比增长。"
        )
        item.content_hash = None  # an archive from before content hashes
        db.session.commit()
        assert items.backfill_content_hashes() == 1
        assert db.session.get(Item, item.id).content_hash == digest  # type: ignore[union-attr]
        assert items.stored_hashes([digest, "0" * 64]) == {digest}
        close_app(app)
