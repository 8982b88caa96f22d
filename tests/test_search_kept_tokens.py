"""The analysis is kept: status changes re-index without cutting; near-duplicates are found once."""

from __future__ import annotations

from collections.abc import Iterator

import jieba
import pytest
from flask import Flask

from search import SearchQuery
from tests.conftest import submit, user
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import ItemAnalysis, ItemDuplicate, SimhashBand
from webapp.services import bulletins, editing, indexing, items
from webapp.services.bulletins import EntryInput

FARM = "市农业农村局推进高标准农田建设，今年新建高标准农田3.5万亩，带动农民人均增收600余元。"
GRAIN = "盂县秋粮收购进展顺利，已收购玉米2.1万吨，同比增长12%，农民售粮积极性较高。"


@pytest.fixture
def cuts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every jieba cut made from here on, by any tokenizer of this process."""
    made: list[str] = []
    real = jieba.Tokenizer.cut

    def counting(self: jieba.Tokenizer, sentence: str, *args: object, **kwargs: object) -> object:
        made.append(sentence)
        return real(self, sentence, *args, **kwargs)

    monkeypatch.setattr(jieba.Tokenizer, "cut", counting)
    yield made


def _found(text: str) -> list[int]:
    return [hit.id for hit in engines().search.search(SearchQuery(text=text)).hits]


def test_submission_keeps_tokens_that_cut_the_text(app: Flask) -> None:
    item = submit("盂县农田建设", FARM).item
    kept = db.session.get(ItemAnalysis, item.id)
    assert kept is not None
    title_tokens, body_tokens = indexing.kept_tokens(item) or ([], [])
    assert "".join(title_tokens) == item.simplified_title and "".join(body_tokens) == item.simplified_text
    assert "高标准农田" in body_tokens


def test_status_changes_do_not_cut(app: Flask, cuts: list[str]) -> None:
    first = submit("盂县农田建设", FARM).item
    second = submit("盂县秋粮收购", GRAIN).item
    third = submit(
        "平定县秋粮收购", GRAIN.replace("盂县", "平定县") + "下一步将继续做好服务。", unit="pdx"
    ).item
    editor = user("editor")
    cuts.clear()
    items.review_item(editor, first.id, "adopt", "mrkb")
    assert cuts == [], "adopt"
    items.bulk_review(editor, [second.id, third.id], "adopt", "mrkb")
    assert cuts == [], "bulk review"
    editing.correct_tags(editor, first.id, kind="achievement", topics=["三农"])
    assert cuts == [], "tag correction"
    editing.assign_topic(editor, [second.id], "三农")
    assert cuts == [], "topic assignment"
    issue = bulletins.create_issue(editor, "mrkb", [EntryInput(first.id), EntryInput(second.id)])
    bulletins.publish_issue(editor, issue.id)
    assert cuts == [], "publish"
    admin = user("admin")
    items.withdraw_item(admin, third.id, "重复报送")
    items.reinstate_item(admin, third.id, "误撤回")
    assert cuts == [], "withdraw and reinstate"
    # ... and the index holds what the database says, found by the words that were kept.
    assert first.id in _found("农田") and third.id in _found("秋粮")
    assert indexing.check_index().clean


def test_a_text_without_kept_tokens_is_cut_once(app: Flask, cuts: list[str]) -> None:
    item = submit("盂县农田建设", FARM).item
    db.session.delete(db.session.get(ItemAnalysis, item.id))
    db.session.commit()
    db.session.expire_all()
    cuts.clear()
    items.review_item(user("editor"), item.id, "adopt", "mrkb")
    assert cuts  # the fallback still indexes it right
    assert item.id in _found("农田")


def test_duplicates_are_found_once_and_stored_both_ways(app: Flask) -> None:
    old = submit("盂县农田建设", FARM, event_date="2024-01-10").item  # far outside any recent window
    new = submit("平定县农田建设", FARM + "。", unit="pdx")
    assert [d.item_id for d in new.duplicates] == [old.id]
    pairs = set(db.session.execute(db.select(ItemDuplicate.item_id, ItemDuplicate.other_id)).tuples())
    assert pairs == {(new.item.id, old.id), (old.id, new.item.id)}
    assert db.session.scalar(db.select(db.func.count()).select_from(SimhashBand)) == 2 * items.SIMHASH_BANDS
    # The item page and the review queue read the stored pairs, scoped to the viewer.
    editor = user("editor")
    assert [d.item_id for d in items.stored_duplicates(editor, old)] == [new.item.id]
    assert set(items.duplicates_for(editor, [old, new.item])) == {old.id, new.item.id}
    reporter = user("reporter")  # sees their own unit (盂县) only: never a warning naming 平定县's item
    assert items.stored_duplicates(reporter, old) == []


def test_band_keys_catch_every_fingerprint_within_seven_bits() -> None:
    base = 0x0123_4567_89AB_CDEF
    for flips in ([0, 9, 18, 27, 36, 45, 54], [1, 2, 3, 4, 5, 6, 7], [63, 62, 40, 41, 8, 16, 24]):
        other = base
        for bit in flips:
            other ^= 1 << bit
        assert set(items.band_keys(base)) & set(items.band_keys(other))
    assert items.band_keys(-1) == [band * 256 + 255 for band in range(items.SIMHASH_BANDS)]


def test_a_rebuild_and_the_idf_table_read_the_kept_tokens(app: Flask, cuts: list[str]) -> None:
    first = submit("盂县农田建设", FARM).item
    second = submit("盂县秋粮收购", GRAIN).item
    cuts.clear()
    assert indexing.reindex_all() == 2
    words = list(indexing.archive_tokens())
    assert cuts == []  # (a search cuts its query: checked after)
    assert _found("农田") == [first.id] and _found("秋粮") == [second.id]
    assert "高标准农田" in words[0] and "".join(words[1]).startswith("盂县秋粮收购")
