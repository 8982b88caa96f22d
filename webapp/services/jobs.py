"""Long work off the request thread: a job is a row (kind, parameters, progress, log, result) and a
task on the queue that runs it; its page shows the progress bar, the log and the result."""

from __future__ import annotations

import dataclasses
import io
import shutil
import traceback
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from flask import current_app

from webapp.extensions import db
from webapp.models import JOB_KINDS, LEVELS, Job, User, utcnow
from webapp.services import audit, indexing, ingest, kind_learning, reports, scoring
from webapp.services.access import is_admin, is_editor
from webapp.services.errors import DomainError, Forbidden, NotFound, ValidationError
from webapp.services.files import ACCEPTED_SUFFIXES
from webapp.timeutil import local_today

ADMIN_KINDS = frozenset({"rescore", "retag", "reindex", "index_repair", "train_kind"})
MAX_FILES = 5000  # files in one import job
MAX_ZIP_BYTES = 500 * 1024 * 1024  # what a zip of source files may unpack to
PROGRESS_EVERY = 20  # steps between progress commits
LOG_LIMIT = 200_000  # characters of log kept


def may_start(actor: User | None, kind: str) -> bool:
    """Editors import and export; administrators also rescore, retag, reindex, repair, train."""
    return is_admin(actor) if kind in ADMIN_KINDS else is_editor(actor)


def job_dir(job_id: int) -> Path:
    return Path(current_app.config["XINXI_JOB_DIR"]) / str(job_id)


def start(actor: User | None, kind: str, params: dict[str, Any] | None = None) -> Job:
    """Record a job and put it on the queue (in immediate mode it has run when this returns)."""
    if kind not in JOB_KINDS:
        raise ValidationError(f"没有这种任务：{kind}", code="unknown_job")
    if not may_start(actor, kind):
        raise Forbidden(f"没有权限运行“{JOB_KINDS[kind]}”")
    job = Job(kind=kind, params=params or {}, created_by_id=actor.id if actor else None, status="queued")
    db.session.add(job)
    db.session.flush()
    audit.record(actor, "job", job.id, "start", to_state="queued", details={"kind": kind})
    db.session.commit()
    return enqueue(job.id)


def enqueue(job_id: int) -> Job:
    """Hand a recorded job to the queue; return it as it stands now (in immediate mode, finished:
    the work may have cleared the session, so it is read again)."""
    _, task = current_app.extensions["xinxi_queue"]
    task(job_id)
    job = db.session.get(Job, job_id)
    assert job is not None
    return job


def start_import(
    actor: User | None, uploads: list[tuple[str, bytes]], unit_code: str, level: str, event_date: str | None
) -> Job:
    """Save uploaded files (or a zip of them) for an import job and start it."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以批量导入")
    if level not in LEVELS:
        raise ValidationError(f"密级必须是 {'、'.join(LEVELS)} 之一", code="invalid_level")
    if not unit_code:
        raise ValidationError("请选择这些信息的报送单位", code="unit_required")
    if not uploads:
        raise ValidationError("请选择要导入的文件或 zip 压缩包", code="files_required")
    job = Job(
        kind="import",
        params={"unit": unit_code, "level": level, "event_date": event_date or local_today().isoformat()},
        created_by_id=actor.id if actor else None,
    )
    db.session.add(job)
    db.session.flush()
    folder = job_dir(job.id) / "files"
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, data in uploads:
        if name.lower().endswith(".zip"):
            count += _unzip(data, folder, count)
        elif PurePosixPath(name).suffix.lower() in ACCEPTED_SUFFIXES:
            count += 1
            (folder / f"{count:05d}_{PurePosixPath(name).name[-120:]}").write_bytes(data)
        if count > MAX_FILES:
            shutil.rmtree(job_dir(job.id), ignore_errors=True)
            db.session.rollback()
            raise ValidationError(f"一次最多导入 {MAX_FILES} 个文件", code="too_many_files")
    if not count:
        shutil.rmtree(job_dir(job.id), ignore_errors=True)
        db.session.rollback()
        raise ValidationError("没有可导入的 .docx、.txt、.md 或 .html 文件", code="files_required")
    job.total = count
    audit.record(actor, "job", job.id, "start", to_state="queued", details={"kind": "import", "files": count})
    db.session.commit()
    return enqueue(job.id)


def _unzip(data: bytes, folder: Path, start_at: int) -> int:
    """Extract the accepted files of a zip (flattened; names sanitised; sizes bounded)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValidationError("无法读取该 zip 压缩包", code="bad_file") from None
    members = [
        m
        for m in archive.infolist()
        if not m.is_dir() and PurePosixPath(m.filename).suffix.lower() in ACCEPTED_SUFFIXES
    ]
    if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise ValidationError("压缩包中的文件过多或过大", code="too_large")
    for n, member in enumerate(members, start=start_at + 1):
        name = PurePosixPath(member.filename.replace("\\", "/")).name[-120:]
        (folder / f"{n:05d}_{name}").write_bytes(archive.read(member))
    return len(members)


class Reporter:
    """Progress and log lines written to the job row (committed every few steps so a page sees them).

    The row is read again for each write: the work may clear the session (index rebuilds do).
    """

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.done = 0  # steps reported so far
        self._since = 0

    @property
    def job(self) -> Job:
        job = db.session.get(Job, self.job_id)
        assert job is not None
        return job

    def total(self, total: int) -> None:
        self.job.total = total
        db.session.commit()

    def step(self, count: int = 1) -> None:
        self.done += count
        self._since += count
        if self._since >= PROGRESS_EVERY:
            self._since = 0
            self.job.progress = self.done
            db.session.commit()

    def line(self, text: str) -> None:
        job = self.job
        job.log = (job.log + text + "\n")[-LOG_LIMIT:]
        db.session.commit()


def execute(job_id: int) -> None:
    """Run a queued job to its end: done with a result, or failed with the error in its log."""
    job = db.session.get(Job, job_id)
    if job is None or job.status not in ("queued",):
        return
    job.status, job.started_at = "running", utcnow()
    db.session.commit()
    reporter = Reporter(job_id)
    try:
        result = RUNNERS[job.kind](job, reporter)
        job = reporter.job
        job.result, job.status, job.progress = result, "done", max(reporter.done, job.progress)
    except DomainError as exc:
        db.session.rollback()
        job = db.session.get(Job, job_id) or job
        job.status = "failed"
        job.log = (job.log + f"失败：{exc.message}\n")[-LOG_LIMIT:]
    except Exception:  # the job's page must say what went wrong; the worker goes on
        db.session.rollback()
        job = db.session.get(Job, job_id) or job
        job.status = "failed"
        job.log = (job.log + "出错：\n" + traceback.format_exc(limit=5))[-LOG_LIMIT:]
    job.finished_at = utcnow()
    db.session.commit()


def _count(fn: Callable[[Callable[[int], None]], Any], reporter: Reporter, total: int) -> Any:
    reporter.total(total)
    return fn(reporter.step)


def _rescore(job: Job, reporter: Reporter) -> dict[str, Any]:
    written = _count(lambda step: scoring.rescore_all(progress=step), reporter, indexing.item_count())
    reporter.line(f"已按当前规则重新计分 {written} 条信息")
    return {"items": written}


def _retag(job: Job, reporter: Reporter) -> dict[str, Any]:
    from webapp.services import editing

    result = _count(lambda step: editing.retag_all(progress=step), reporter, indexing.item_count())
    changes = f"类型变化 {result.kinds_changed} 条，主题变化 {result.topics_changed} 条"
    reporter.line(f"已重新标注 {result.items} 条信息：{changes}")
    return dataclasses.asdict(result)


def _reindex(job: Job, reporter: Reporter) -> dict[str, Any]:
    count = _count(lambda step: indexing.reindex_all(progress=step), reporter, indexing.item_count())
    reporter.line(f"已重建索引 {count} 条")
    return {"items": count}


def _index_repair(job: Job, reporter: Reporter) -> dict[str, Any]:
    found = _count(
        lambda step: indexing.check_index(fix=True, progress=step), reporter, indexing.item_count()
    )
    summary = {"missing": len(found.missing), "stale": len(found.stale), "extra": len(found.extra)}
    reporter.line(
        f"缺失 {summary['missing']} 条，过期 {summary['stale']} 条，多余 {summary['extra']} 条，已修复"
    )
    return summary


def _train_kind(job: Job, reporter: Reporter) -> dict[str, Any]:
    reporter.total(1)
    result = kind_learning.train_from_corrections()
    before, after = f"{result.accuracy_before:.1%}", f"{result.accuracy_after:.1%}"
    reporter.line(f"已用 {result.corrections} 条校正训练；留出检验准确率 {before} → {after}")
    return {
        "corrections": result.corrections,
        "before": result.accuracy_before,
        "after": result.accuracy_after,
    }


def _import(job: Job, reporter: Reporter) -> dict[str, Any]:
    folder = job_dir(job.id) / "files"
    paths = sorted(folder.iterdir()) if folder.is_dir() else []
    reporter.total(len(paths))
    params = job.params
    report = ingest.run_import(
        paths,
        params["unit"],
        params["level"],
        date.fromisoformat(params["event_date"]),
        batch_size=100,
        progress=reporter.step,
    )
    failed = report.failed or []
    reporter.line(f"已导入 {report.imported} 条，跳过 {report.skipped} 条已导入，失败 {len(failed)} 条")
    for line in failed[:200]:
        reporter.line(f"  {Path(line.split(':', 1)[0]).name[6:]}：{line.split(': ', 1)[-1]}")
    shutil.rmtree(folder, ignore_errors=True)
    return {"imported": report.imported, "skipped": report.skipped, "failed": len(failed)}


def _export_report(job: Job, reporter: Reporter) -> dict[str, Any]:
    reporter.total(1)
    period = scoring.parse_period(job.params.get("period", ""))
    viewer = db.session.get(User, job.created_by_id) if job.created_by_id else None
    filename, data = reports.ranking_docx(period, viewer)
    path = job_dir(job.id) / "report.docx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    reporter.line(f"已生成 {filename}")
    return {"file": str(path.name), "download_name": filename}


RUNNERS: dict[str, Callable[[Job, Reporter], dict[str, Any]]] = {
    "import": _import,
    "rescore": _rescore,
    "retag": _retag,
    "reindex": _reindex,
    "index_repair": _index_repair,
    "train_kind": _train_kind,
    "export_report": _export_report,
}


def get_job(actor: User | None, job_id: int) -> Job:
    """A job its starter, or an administrator, may see."""
    job = db.session.get(Job, job_id)
    if job is None or not (is_admin(actor) or (actor is not None and job.created_by_id == actor.id)):
        raise NotFound(f"任务 {job_id} 不存在")
    return job


def list_jobs(actor: User | None, limit: int = 100) -> list[Job]:
    """Newest jobs: all for administrators, one's own for editors."""
    query = db.select(Job).order_by(Job.id.desc()).limit(limit)
    if not is_admin(actor):
        query = query.where(Job.created_by_id == (actor.id if actor else None))
    return list(db.session.scalars(query))


def retry(actor: User | None, job_id: int) -> Job:
    """Start a failed job again (an import keeps its files only while it has not finished)."""
    old = get_job(actor, job_id)
    if old.status != "failed" or old.kind == "import":
        raise ValidationError("只有失败的任务可以重新运行（导入请重新上传文件）", code="not_failed")
    return start(actor, old.kind, dict(old.params))


def recover_interrupted() -> int:
    """Mark jobs left running by a stopped worker as failed (their page then offers a rerun)."""
    stale = db.session.scalars(db.select(Job).where(Job.status == "running")).all()
    for job in stale:
        job.status, job.finished_at = "failed", utcnow()
        job.log += "任务进程中断，可重新运行。\n"
    db.session.commit()
    return len(stale)
