"""Long work off the request thread: jobs with progress, log and result, run by Huey; in the test app
they run at once (immediate mode), and one test runs a real worker process on SQLite storage."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
from flask import Flask

from nlp import Segmenter
from tests.conftest import close_app, instance_env, login, make_app, submit
from webapp.extensions import db
from webapp.models import Item, Job
from webapp.services import demo
from webapp.timeutil import local_today

ROOT = Path(__file__).resolve().parents[1]
TEXTS = {
    "一.txt": "盂县推进高标准农田建设\n我县新建高标准农田3.5万亩，带动农民增收。",
    "二.txt": "盂县开展冬季安全生产大检查\n全县排查隐患86处，已整改79处。",
    "三.md": "盂县养老服务提质扩面\n新建社区养老服务站12个，惠及老人3000余人。",
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in TEXTS.items():
            archive.writestr(f"来稿/{name}", text.encode("gb18030"))
        archive.writestr("说明.pdf", b"%PDF-1.4 not a source file")
    return buffer.getvalue()


def _docx(title: str, body: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(title)
    document.add_paragraph(body)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_import_from_the_browser_with_progress_and_rerun(app: Flask) -> None:
    client = login(app.test_client(), "editor")
    upload = {
        "unit": "yx",
        "level": "内部",
        "files": [
            (io.BytesIO(_zip()), "来稿.zip"),
            (io.BytesIO(_docx("盂县优化营商环境", "我县推行企业开办一日办结。")), "营商环境.docx"),
        ],
    }
    response = client.post("/jobs/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302
    job = db.session.scalar(db.select(Job).order_by(Job.id.desc()))
    assert job is not None and (job.status, job.progress, job.total) == ("done", 4, 4)
    assert job.result == {"imported": 4, "skipped": 0, "failed": 0}
    titles = set(db.session.scalars(db.select(Item.title)))
    assert {"盂县推进高标准农田建设", "盂县优化营商环境"} <= titles
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已完成" in page and "已导入 4 条" in page
    status = client.get(f"/jobs/{job.id}.json").get_json()
    assert (status["status"], status["percent"]) == ("done", 100)
    again = client.post(
        "/jobs/import",
        data={"unit": "yx", "level": "内部", "files": [(io.BytesIO(_zip()), "来稿.zip")]},
        content_type="multipart/form-data",
    )
    assert again.status_code == 302
    rerun = db.session.scalar(db.select(Job).order_by(Job.id.desc()))
    assert rerun is not None and rerun.result == {"imported": 0, "skipped": 3, "failed": 0}
    empty = client.post(
        "/jobs/import",
        data={"unit": "yx", "files": [(io.BytesIO(b"%PDF"), "x.pdf")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "没有可导入" in empty.get_data(as_text=True)


def test_maintenance_jobs_and_who_may_start_them(app: Flask) -> None:
    submit("盂县推进高标准农田建设", "我县新建高标准农田3.5万亩，带动农民增收。")
    admin = login(app.test_client(), "admin")
    for kind in ("rescore", "retag", "reindex", "index_repair"):
        response = admin.post(f"/jobs/start/{kind}")
        assert response.status_code == 302, kind
        job = db.session.scalar(db.select(Job).order_by(Job.id.desc()))
        assert job is not None and job.kind == kind and job.status == "done", (kind, job and job.log)
    editor = login(app.test_client(), "editor")
    refused = editor.post("/jobs/start/reindex", follow_redirects=True)
    assert "没有权限" in refused.get_data(as_text=True)
    assert login(app.test_client(), "reporter").get("/jobs/").status_code == 403
    # One's own jobs only (administrators see all).
    admin_job = db.session.scalar(db.select(Job.id).order_by(Job.id.desc()))
    assert editor.get(f"/jobs/{admin_job}").status_code == 404


def test_rule_changes_rescore_in_a_job_and_reports_export_as_one(app: Flask) -> None:
    admin = login(app.test_client(), "admin")
    form = {
        "section": "rules",
        "effective_from": f"{local_today().year}-01-01",
        "adoption_points": "* 2",
        "upward_points": "province 3\ncentral 6",
        "instruction_points": "municipal 2",
        "request_verdict_points": "adopted 1",
        "emergency_limits": "major 1",
        "points_per_item_by_category": "",
        "problem_bonus": "1",
        "research_bonus": "2",
        "request_late_penalty": "0.5",
        "request_missing_penalty": "1",
        "late_report_penalty": "1",
        "missed_report_penalty": "2",
        "unreported_penalty": "3",
        "emergency_limit_hours": "2",
        "points_per_item": "1",
        "multi_outlet": "highest",
        "merged_credit": "office",
    }
    response = admin.post("/admin/scoring", data=form, follow_redirects=True)
    assert "正在后台重新计分" in response.get_data(as_text=True)
    job = db.session.scalar(db.select(Job).where(Job.kind == "rescore"))
    assert job is not None and job.status == "done"
    editor = login(app.test_client(), "editor")
    started = editor.post("/jobs/start/export_report", data={"period": f"{local_today().year}-ytd"})
    assert started.status_code == 302
    job = db.session.scalar(db.select(Job).where(Job.kind == "export_report"))
    assert job is not None and job.status == "done", job.log if job else None
    download = editor.get(f"/jobs/{job.id}/file")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    download.close()
    failed = editor.post("/jobs/start/export_report", data={"period": "not-a-period"})
    bad = db.session.scalar(db.select(Job).order_by(Job.id.desc()))
    assert failed.status_code == 302 and bad is not None and bad.status == "failed" and "统计期间" in bad.log


def test_a_real_worker_runs_jobs_queued_before_it_started(tmp_path: Path, segmenter: Segmenter) -> None:
    """The queue is Huey on SQLite in the instance: a job enqueued while no worker runs is kept, and
    a worker started afterwards (`huey_consumer webapp.worker.huey`) runs it."""
    env_config = instance_env(tmp_path)
    app = make_app(tmp_path, segmenter, XINXI_TASKS_IMMEDIATE="", WTF_CSRF_ENABLED=False, **env_config)
    with app.app_context():
        demo.seed_structure()
        client = login(app.test_client(), "editor")
        response = client.post(
            "/jobs/import",
            data={"unit": "yx", "level": "内部", "files": [(io.BytesIO(_zip()), "来稿.zip")]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        job_id = db.session.scalar(db.select(Job.id).order_by(Job.id.desc()))
        assert db.session.get(Job, job_id).status == "queued"  # type: ignore[union-attr]
        env = {**os.environ, **env_config, "XINXI_TASKS_IMMEDIATE": ""}
        worker = subprocess.Popen(
            [str(Path(sys.executable).with_name("huey_consumer")), "webapp.worker.huey", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            status = "queued"
            while time.monotonic() < deadline and status in ("queued", "running"):
                time.sleep(0.5)
                db.session.expire_all()
                status = db.session.get(Job, job_id).status  # type: ignore[union-attr]
        finally:
            worker.terminate()
            output = worker.communicate(timeout=30)[0].decode("utf-8", "replace")
        job = db.session.get(Job, job_id)
        assert job is not None and job.status == "done", (job and job.log, output[-2000:])
        assert job.result == {"imported": 3, "skipped": 0, "failed": 0}
        assert db.session.scalar(db.select(db.func.count(Item.id))) == 3
        close_app(app)
