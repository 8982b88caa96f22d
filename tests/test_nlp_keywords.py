"""IDF tables for keywords: built from an archive, saved, loaded, used by the Analyzer."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from nlp import Analyzer, Segmenter, build_idf, load_idf, save_idf


def test_build_idf_counts_each_word_once_per_document() -> None:
    docs = [["秸秆", "秸秆", "禁烧"], ["秸秆", "还田"], ["防汛", " ", "\n"]]
    idf = build_idf(docs)
    assert set(idf) == {"秸秆", "禁烧", "还田", "防汛"}
    assert idf["秸秆"] == pytest.approx(math.log(4 / 3) + 1)
    assert idf["禁烧"] == pytest.approx(math.log(4 / 2) + 1)
    assert idf["禁烧"] > idf["秸秆"]
    assert build_idf(docs, min_df=2) == {"秸秆": idf["秸秆"]}


@pytest.mark.parametrize("name", ["idf.tsv", "idf.json", "sub/dir/idf.txt"])
def test_save_and_load_round_trip(tmp_path: Path, name: str) -> None:
    idf = build_idf([["乡村振兴", "取得成效"], ["乡村振兴"], ["GDP", "增长5%"]])
    path = tmp_path / name
    save_idf(idf, path)
    loaded = load_idf(path)
    assert loaded.keys() == idf.keys()
    for word, value in idf.items():
        assert loaded[word] == pytest.approx(value, abs=1e-6)


def test_analyzer_ranks_keywords_with_the_given_idf() -> None:
    segmenter = Segmenter().initialize()
    text = "今年全县推广秸秆还田技术，秸秆综合利用率达到92%，农机合作社承担还田作业。"
    tokens = [t.text for t in segmenter.tokens(text)]
    default = Analyzer(segmenter).analyze("", text).keywords
    # An archive in which 秸秆 is everywhere and 合作社 is rare ranks 合作社 first.
    idf = build_idf([tokens, *([["秸秆"]] * 50)])
    idf["合作社"] = 20.0
    custom = Analyzer(segmenter, idf=idf).analyze("", text).keywords
    assert custom[0] == "合作社"
    assert default != custom
