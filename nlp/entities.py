"""Grassroots bodies named in a text: enterprises, schools, communities and villages.

Offices count how many items reach the grassroots (企业、学校、社区、农村) rather than government work
alone. A bare word ("企业", "农村") says nothing of that; a named body ("阳泉煤业集团公司", "盂县第一
中学", "桃园社区", "南坳村", "村委会") does. This finds the named ones with patterns over the text, leaving
out generic phrases ("规上企业", "全市中小学", "城乡社区", "美丽乡村").
"""

from __future__ import annotations

import re

from nlp.lexicon import CJK_CLASS

KINDS = ("企业", "学校", "社区", "农村")

_HAN = CJK_CLASS
# A name: Han characters (possibly with digits), at most ten, before the body's generic noun.
_PATTERNS: dict[str, re.Pattern[str]] = {
    "企业": re.compile(
        rf"([{_HAN}0-9]{{2,12}}?)(有限责任公司|股份有限公司|有限公司|集团公司|集团|公司|工厂|厂)(?![长房区址])"
    ),
    "学校": re.compile(rf"([{_HAN}0-9]{{2,12}}?)(中学|小学|学校|大学|学院|幼儿园)"),
    "社区": re.compile(rf"([{_HAN}0-9]{{2,10}}?)(社区|居委会)(?![{_HAN}]*?(?:工作者|服务中心))"),
    "农村": re.compile(
        rf"(?:([{_HAN}]{{2,5}}?)村(?![民庄级干务集镇容貌规道])|(村委会|村民委员会|村党支部|村两委))"
    ),
}
# Words that make a name generic (a place's whole class, not one body).
_GENERIC_PREFIXES = (
    "全市",
    "全县",
    "全区",
    "全省",
    "全国",
    "各",
    "本",
    "该",
    "所有",
    "部分",
    "一批",
    "多家",
    "多所",
    "重点",
    "规上",
    "规模以上",
    "中小",
    "民营",
    "国有",
    "城乡",
    "农村",
    "乡村",
    "城市",
    "城镇",
    "广大",
    "相关",
    "骨干",
    "龙头",
    "新型",
    "高新技术",
    "科技型",
    "优质",
    "薄弱",
    "贫困",
    "脱贫",
    "美丽",
    "和美",
    "宜居",
    "新农",
    "行政",
    "自然",
    "重点帮扶",
    "示范",
    "试点",
    "推进",
    "加强",
    "建设",
    "偏远",
    "每个",
    "这些",
    "那些",
    "一些",
)
_GENERIC_NAMES = frozenset(
    {
        "中小学",
        "大中小学",
        "中小",
        "村民",
        "乡村",
        "农村",
        "新农村",
        "城中村",
        "山村",
        "渔村",
        "小山村",
        "中学",
        "小学",
    }
)


def _is_generic(name: str, whole: str) -> bool:
    if whole in _GENERIC_NAMES or name in _GENERIC_NAMES:
        return True
    return any(name.startswith(prefix) for prefix in _GENERIC_PREFIXES) or whole.endswith("中小学")


def grassroots_entities(text: str) -> dict[str, list[str]]:
    """The named grassroots bodies in `text`, by kind (企业, 学校, 社区, 农村), each listed once."""
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for kind, pattern in _PATTERNS.items():
        for match in pattern.finditer(text):
            whole = match.group(0)
            name = match.group(1) or ""
            # "医院和山西大学": the name starts after the last conjunction; "在张家村": after the preposition.
            cut = max(name.rfind(c) for c in "和与及同跟")
            if cut >= 0:
                whole, name = whole[cut + 1 :], name[cut + 1 :]
            for preposition in ("在", "对", "向", "到", "由", "把", "为", "从", "赴", "深入"):
                if name.startswith(preposition) and len(name) > len(preposition) + 1:
                    whole, name = whole[len(preposition) :], name[len(preposition) :]
                    break
            if match.group(1) is not None and (len(name) < 2 or _is_generic(name, whole)):
                continue
            if whole not in found[kind]:
                found[kind].append(whole)
    return found


def grassroots_kinds(text: str) -> set[str]:
    """Which kinds of grassroots body `text` names (for coverage counts)."""
    return {kind for kind, names in grassroots_entities(text).items() if names}
