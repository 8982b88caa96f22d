"""Segmentation: our faster route search cuts exactly as jieba does, with the same user dictionary."""

from __future__ import annotations

import json
from pathlib import Path

import jieba
import pytest

from nlp import Segmenter
from nlp.segment import USER_DICT

DATA = Path(__file__).with_name("data")


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter().initialize()


@pytest.fixture(scope="module")
def reference() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    with USER_DICT.open("rb") as fh:
        tokenizer.load_userdict(fh)
    return tokenizer


def _texts() -> list[str]:
    texts = [
        "",
        "。",
        "了",
        "ABC 123，abc-4.5%",
        "今年1至5月，全市规模以上工业增加值同比下滑3.2%，部分企业订单不足、资金周转困难。",
        "我们将加快建设现代化产业体系，在科技创新上实现新突破。",
        "乡镇卫生院医务人员短缺，基层医疗服务能力有待提高！",
        "去年常住人口净流入4.5万人\n\n新建改建农村公路1.2万公里",
        "他来到了网易杭研大厦，小明硕士毕业于中国科学院计算所",
        "這是一段繁體中文的文字，結婚的和尚未結婚的都來了。",
    ]
    for name in ("kind_dev.jsonl", "topics_dev.jsonl"):
        with (DATA / name).open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    return texts


def test_words_are_jiebas(segmenter: Segmenter, reference: jieba.Tokenizer) -> None:
    for text in _texts():
        tokens = segmenter.tokens(text)
        assert [t.text for t in tokens] == reference.lcut(text), text
        assert "".join(t.text for t in tokens) == text
        assert all(text[t.start : t.end] == t.text for t in tokens)


def test_added_word_is_used(tmp_path: Path) -> None:
    segmenter = Segmenter(cache_dir=tmp_path).initialize()
    segmenter.add_word("秸秆禁烧巡查", 100_000)
    assert "秸秆禁烧巡查" in [t.text for t in segmenter.tokens("开展秸秆禁烧巡查工作")]


def test_cut_many_in_worker_processes_keeps_order_and_words(segmenter: Segmenter) -> None:
    items = [
        (n, f"第{n}号：全县推进高标准农田建设{n}万亩", f"{n}个乡镇完成秸秆禁烧巡查") for n in range(1100)
    ]
    serial = list(segmenter.cut_many(items, lambda item: item[1:], workers=1))
    parallel = list(segmenter.cut_many(items, lambda item: item[1:], workers=2))
    # 1,100 items are six chunks: several in flight at once, and they come back in order.
    assert parallel == serial
    assert serial[7] == (items[7], [segmenter.words(items[7][1]), segmenter.words(items[7][2])])
    assert list(segmenter.cut_many([], lambda item: item, workers=2)) == []
