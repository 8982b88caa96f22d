"""An archive arrives with its history: dates, decisions, published issues; reruns skip what is stored."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from tests.conftest import login
from webapp.extensions import db
from webapp.models import Adoption, BulletinIssue, Item
from webapp.services import archive_import, scoring
from webapp.services.errors import ValidationError


def _archive(tmp_path: Path) -> Path:
    files = {
        "1996/农田.txt": "盂县兴修水利\n全县新修水渠12公里，灌溉面积扩大3000亩。",
        "1996/乡镇企业.txt": "盂县乡镇企业发展较快\n全县乡镇企业产值增长18%。",
        "2001/供暖.txt": "矿区冬季供暖存在隐患\n部分老旧管网破损严重，群众反映强烈。",
    }
    for name, text in files.items():
        path = tmp_path / "archive" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="gb18030")
    manifest = tmp_path / "archive" / "manifest.csv"
    manifest.write_text(
        "file,unit,date,level,status,publication,issue\n"
        "1996/农田.txt,yx,1996-03-05,公开,adopted,mrkb,12\n"
        "1996/乡镇企业.txt,yx,1996-03-06,内部,adopted,mrkb,12\n"
        "2001/供暖.txt,kq,2001-11-20,内部,rejected,,\n",
        encoding="utf-8",
    )
    return manifest


def test_archive_keeps_dates_decisions_and_issues(app: Flask, tmp_path: Path) -> None:
    manifest = _archive(tmp_path)
    runner = app.test_cli_runner()
    result: Result = runner.invoke(args=["import-archive", str(manifest)])
    assert result.exit_code == 0, result.output
    assert "已导入 3 条（新建已印发期次 1 期）" in result.output
    farm = db.session.scalar(db.select(Item).where(Item.title == "盂县兴修水利"))
    assert farm is not None and farm.status == "adopted" and farm.event_date == date(1996, 3, 5)
    assert farm.submitted_at.year == 1996
    adoption = db.session.scalar(db.select(Adoption).where(Adoption.item_id == farm.id))
    assert adoption is not None and adoption.adopted_at.year == 1996
    issue = db.session.scalar(db.select(BulletinIssue).where(BulletinIssue.year == 1996))
    assert issue is not None and (issue.number, issue.status, len(issue.entries)) == (12, "published", 2)
    assert issue.entries[0].body  # frozen as it was published
    heating = db.session.scalar(db.select(Item).where(Item.title == "矿区冬季供暖存在隐患"))
    assert heating is not None and heating.status == "rejected"
    points = {r.unit.code: r.points for r in scoring.ranking("xq", scoring.parse_period("1996"))}
    assert points["yx"] == 2.0  # scored in 1996, under the rules of the day
    years = archive_import.publication_years("mrkb")
    assert [(y.year, y.issues, y.items) for y in years] == [(1996, 1, 2)]
    assert years[0].characters > 20
    again = runner.invoke(args=["import-archive", str(manifest)])
    assert "已导入 0 条" in again.output and "跳过 3 条已导入" in again.output
    page = login(app.test_client(), "editor").get("/bulletins/").get_data(as_text=True)
    assert "各刊物历年编发情况" in page and "1996" in page


def test_a_bad_manifest_is_refused_whole(app: Flask, tmp_path: Path) -> None:
    manifest = _archive(tmp_path)
    bad = tmp_path / "archive" / "bad.json"
    bad.write_text(
        json.dumps(
            [
                {"file": "1996/农田.txt", "unit": "nowhere", "date": "1996-03-05"},
                {"file": "missing.txt", "unit": "yx", "date": "1996-03-05"},
                {"file": "1996/农田.txt", "unit": "yx", "date": "1996-13-05"},
                {"file": "1996/农田.txt", "unit": "yx", "date": "1996-03-05", "status": "adopted"},
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as refused:
        archive_import.read_manifest(bad)
    assert refused.value.message.count("第") == 4
    assert db.session.scalar(db.select(db.func.count(Item.id))) == 0
    assert len(archive_import.read_manifest(manifest)) == 3
