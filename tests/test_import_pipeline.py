"""The bulk import as a pipeline (workers analyse, batches store) leaves what item-by-item
submission leaves: the same tags, hashes, audit rows, scores, duplicate pairs and index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from nlp import Segmenter
from tests.conftest import close_app, make_app
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Item,
    ItemAnalysis,
    ItemDuplicate,
    ItemTopic,
    ItemVersion,
    ScoreEntry,
)
from webapp.services import demo, indexing, items
from webapp.timeutil import local_today

FARM = "市农业农村局推进高标准农田建设，今年新建高标准农田{n}万亩，带动农民人均增收600余元。"
GRAIN = "盂县秋粮收购进展顺利，已收购玉米{n}万吨，同比增长12%，农民售粮积极性较高。"
SAFETY = "县应急管理局开展安全生产大检查，排查隐患{n}处，部分企业整改不到位，问题仍较突出。"


def _texts() -> list[tuple[str, str]]:
    texts = []
    for n in range(12):
        body = (FARM, GRAIN, SAFETY)[n % 3].format(n=n % 4 + 1)  # near-duplicates among them
        texts.append((f"第{n + 1}条 {body[:8]}", body))
    texts.append(texts[0])  # the same file twice: stored once
    return texts


def _write(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for number, (title, text) in enumerate(_texts()):
        path = folder / f"{number:03d}.txt"
        path.write_text(f"{title}\n{text}\n", encoding="utf-8")
        paths.append(path)
    (folder / "broken.docx").write_bytes(b"not a docx")  # refused, as item by item
    return paths


def _state() -> dict[str, Any]:
    rows = db.session.scalars(db.select(Item).order_by(Item.id)).all()
    ids = {item.id: n for n, item in enumerate(rows)}  # positions: both runs number alike
    # Every column but the generated ones: a rule submission adds and the import lacks shows here.
    columns = [c.key for c in Item.__table__.columns if c.key not in ("id", "submitted_at", "updated_at")]
    return {
        "items": [[getattr(i, c) for c in columns] for i in rows],
        "versions": [
            (ids[v.item_id], v.number, v.title, v.text, v.note, v.created_by_id)
            for v in db.session.scalars(db.select(ItemVersion).order_by(ItemVersion.id))
        ],
        "topics": [
            (ids[t.item_id], t.name, t.score, t.evidence)
            for t in db.session.scalars(db.select(ItemTopic).order_by(ItemTopic.id))
        ],
        "tokens": [
            (ids[a.item_id], a.title_tokens, a.body_tokens)
            for a in db.session.scalars(db.select(ItemAnalysis).order_by(ItemAnalysis.item_id))
        ],
        "audit": sorted(
            (ids[e.entity_id], e.actor_id, e.action, e.from_state, e.to_state, e.reason, e.details)
            for e in db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity == "item"))
        ),
        "scores": sorted(
            (ids[s.item_id], s.cause, s.points)
            for s in db.session.scalars(db.select(ScoreEntry).where(ScoreEntry.item_id.is_not(None)))
        ),
        "pairs": sorted(
            (ids[a], ids[b], round(sim, 3))
            for a, b, sim in db.session.execute(
                db.select(ItemDuplicate.item_id, ItemDuplicate.other_id, ItemDuplicate.similarity)
            ).tuples()
        ),
        "kept": db.session.scalar(db.select(db.func.count()).select_from(ItemAnalysis)),
        "indexed": sorted((ids[i], stamp) for i, stamp in engines().search.stamps().items()),
    }


@pytest.mark.parametrize(
    ("database", "backend"), [("sqlite", "whoosh"), ("sqlite", "tantivy"), ("postgres", "postgres")]
)
def test_pipeline_matches_item_by_item(
    tmp_path: Path, segmenter: Segmenter, database: str, backend: str
) -> None:
    paths = _write(tmp_path / "来稿")

    (tmp_path / "one").mkdir()
    (tmp_path / "piped").mkdir()
    one: Flask = make_app(tmp_path / "one", segmenter, database, XINXI_SEARCH_BACKEND=backend)
    with one.app_context():
        demo.seed_structure()
        for number, (title, text) in enumerate(_texts()):
            try:
                if items.stored_hashes([items.content_hash("yx", title, text)]):
                    continue
                data = items.ItemInput(
                    title=title,
                    text=text,
                    unit_code="yx",
                    event_date=local_today(),
                    level="内部",
                    source_filename=f"{number:03d}.txt",
                    source_encoding="utf-8",
                )
                items.submit_item(None, data)
            except items.ValidationError:
                continue
        expected = _state()
        close_app(one)

    piped: Flask = make_app(
        tmp_path / "piped", segmenter, database, XINXI_SEARCH_BACKEND=backend, XINXI_IMPORT_WORKERS=2
    )
    with piped.app_context():
        demo.seed_structure()
        result = piped.test_cli_runner().invoke(
            args=["import", str(paths[0].parent), "--unit", "yx", "--batch", "5"]
        )
        assert "已导入 12 条，跳过 1 条已导入，失败 1 条" in result.output, result.output
        got = _state()
        assert indexing.check_index().clean
        close_app(piped)

    assert len(expected["items"]) == 12 and expected["pairs"], "the sample must hold near-duplicates"
    for key in expected:
        assert got[key] == expected[key], key
