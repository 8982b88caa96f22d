"""Bring an existing archive in with its own history: a manifest (CSV or JSON) names each file's unit,
original date, level, status and, for adopted items, the publication and issue number it appeared
in. Items arrive dated and decided (outside the review queue), issues arrive published and frozen,
and a rerun skips what is stored (content hashes)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from webapp.extensions import db
from webapp.models import LEVELS, Adoption, BulletinEntry, BulletinIssue, Item, Publication, Unit
from webapp.services import audit, items
from webapp.services.errors import DomainError, ValidationError
from webapp.services.files import extract
from webapp.services.ingest import all_content_hashes
from webapp.timeutil import SHANGHAI

STATUSES = ("submitted", "adopted", "rejected")
BATCH = 100


@dataclass(frozen=True)
class ManifestRow:
    """One archived item as the manifest describes it."""

    line: int
    path: Path
    unit: str
    day: date
    level: str
    status: str
    publication: str | None
    issue: int | None


@dataclass
class ArchiveReport:
    """What an archive import stored, skipped as already stored, and refused (with the reason)."""

    imported: int = 0
    skipped: int = 0
    issues: int = 0
    failed: list[str] = field(default_factory=list)


def read_manifest(path: Path) -> list[ManifestRow]:
    """Parse a manifest: CSV with a header (file, unit, date, level, status, publication, issue) or a
    JSON list of objects with the same keys; paths are relative to the manifest."""
    raw = path.read_bytes().decode("utf-8-sig")
    try:
        records: list[dict[str, Any]] = (
            json.loads(raw) if path.suffix.lower() == ".json" else list(csv.DictReader(io.StringIO(raw)))
        )
    except (ValueError, csv.Error) as exc:
        raise ValidationError(f"清单无法读取：{exc}", code="bad_manifest") from None
    if not isinstance(records, list):
        raise ValidationError("JSON 清单应为对象数组", code="bad_manifest")
    units = set(db.session.scalars(db.select(Unit.code)))
    publications = set(db.session.scalars(db.select(Publication.code)))
    rows, errors = [], []
    for line, record in enumerate(records, start=2 if path.suffix.lower() != ".json" else 1):
        try:
            rows.append(_row(line, record, path.parent, units, publications))
        except ValidationError as exc:
            errors.append(f"第 {line} 行：{exc.message}")
    if errors:
        raise ValidationError("清单有误：\n" + "\n".join(errors[:50]), code="bad_manifest")
    return rows


def _row(line: int, record: Any, base: Path, units: set[str], publications: set[str]) -> ManifestRow:
    if not isinstance(record, dict):
        raise ValidationError("每一行应为一个对象", code="bad_manifest")
    value = {k.strip().lower(): str(v).strip() if v is not None else "" for k, v in record.items() if k}
    file = value.get("file", "")
    if not file:
        raise ValidationError("缺少 file", code="bad_manifest")
    path = (base / file).resolve()
    if not path.is_file():
        raise ValidationError(f"找不到文件 {file}", code="bad_manifest")
    if value.get("unit") not in units:
        raise ValidationError(f"没有编码为 {value.get('unit')} 的报送单位", code="bad_manifest")
    try:
        day = date.fromisoformat(value.get("date", ""))
    except ValueError:
        raise ValidationError("date 应为 YYYY-MM-DD", code="bad_manifest") from None
    level = value.get("level") or "内部"
    if level not in LEVELS:
        raise ValidationError(f"密级应为 {'、'.join(LEVELS)} 之一", code="bad_manifest")
    publication = value.get("publication") or None
    status = value.get("status") or ("adopted" if publication else "submitted")
    if status not in STATUSES:
        raise ValidationError(f"status 应为 {'、'.join(STATUSES)} 之一", code="bad_manifest")
    if publication is not None and publication not in publications:
        raise ValidationError(f"没有编码为 {publication} 的刊物", code="bad_manifest")
    if status == "adopted" and publication is None:
        raise ValidationError("已采用的信息须写明刊物 publication", code="bad_manifest")
    issue = value.get("issue") or ""
    if issue and not (issue.isdigit() and 0 < int(issue) < 10000):
        raise ValidationError("issue 应为期号（正整数）", code="bad_manifest")
    return ManifestRow(
        line, path, value["unit"], day, level, status, publication, int(issue) if issue else None
    )


def import_archive(rows: list[ManifestRow], progress: Callable[[int], None] | None = None) -> ArchiveReport:
    """Store the manifest's items with their dates and decisions, batch by batch."""
    report = ArchiveReport()
    stored = set(all_content_hashes())
    batch: list[tuple[ManifestRow, items.SubmitResult]] = []
    for row in rows:
        if progress:
            progress(1)
        try:
            extracted = extract(row.path.name, row.path.read_bytes())
            data = items.ItemInput(
                title=extracted.title or row.path.stem,
                text=extracted.text,
                unit_code=row.unit,
                event_date=row.day,
                level=row.level,
                source_filename=extracted.filename,
                source_encoding=extracted.encoding,
            )
            digest = items.content_hash(row.unit, data.title, data.text)
            if digest in stored:
                report.skipped += 1
                continue
            stored.add(digest)
            batch.append((row, items.submit_item(None, data, commit=False)))
        except DomainError as exc:
            db.session.rollback()
            report.failed.append(f"第 {row.line} 行 {row.path.name}：{exc.message}")
            continue
        if len(batch) >= BATCH:
            _settle(batch, report)
    _settle(batch, report)
    return report


def _settle(batch: list[tuple[ManifestRow, items.SubmitResult]], report: ArchiveReport) -> None:
    """Give a batch its history (dates, decisions, issues), then score, commit and index it."""
    if not batch:
        return
    publications = {p.code: p for p in db.session.scalars(db.select(Publication))}
    for row, result in batch:
        item = result.item
        moment = datetime.combine(row.day, time(9), SHANGHAI)
        item.submitted_at = moment
        item.status = row.status
        if row.publication is not None and row.status == "adopted":
            publication = publications[row.publication]
            item.adoptions.append(Adoption(publication=publication, adopted_at=moment))
            if row.issue is not None:
                _place(item, publication, row, report)
        audit.record(
            None,
            "item",
            item.id,
            "archive_import",
            to_state=row.status,
            details={"date": row.day.isoformat(), "publication": row.publication, "issue": row.issue},
        )
    items.commit_submissions([result for _, result in batch])
    report.imported += len(batch)
    batch.clear()


def _place(item: Item, publication: Publication, row: ManifestRow, report: ArchiveReport) -> None:
    """Put the item into its published issue (created as it was: numbered, dated, frozen)."""
    issue = db.session.scalar(
        db.select(BulletinIssue).where(
            BulletinIssue.publication_id == publication.id,
            BulletinIssue.year == row.day.year,
            BulletinIssue.supplement.is_(False),
            BulletinIssue.number == row.issue,
        )
    )
    if issue is None:
        issue = BulletinIssue(
            publication=publication,
            year=row.day.year,
            number=row.issue,
            status="published",
            issue_date=row.day,
            published_at=datetime.combine(row.day, time(17), SHANGHAI),
        )
        db.session.add(issue)
        report.issues += 1
    position = len(issue.entries) + 1
    issue.entries.append(
        BulletinEntry(
            item=item,
            position=position,
            title=item.simplified_title,
            body=item.simplified_text,
            unit_name=item.unit.name,
        )
    )


@dataclass
class YearFigures:
    """A publication's year: issues published, items carried, characters printed."""

    year: int
    issues: int
    items: int
    characters: int


def publication_years(code: str) -> list[YearFigures]:
    """期数, 条数 and 字数 of a publication, year by year (published issues only)."""
    rows = db.session.execute(
        db.select(
            BulletinIssue.year,
            db.func.count(db.distinct(BulletinIssue.id)),
            db.func.count(BulletinEntry.id),
            db.func.coalesce(db.func.sum(db.func.length(BulletinEntry.body)), 0),
        )
        .join(Publication, BulletinIssue.publication_id == Publication.id)
        .outerjoin(BulletinEntry, BulletinEntry.issue_id == BulletinIssue.id)
        .where(Publication.code == code, BulletinIssue.status == "published")
        .group_by(BulletinIssue.year)
        .order_by(BulletinIssue.year)
    ).all()
    return [YearFigures(int(y), int(n), int(i), int(c)) for y, n, i, c in rows]
