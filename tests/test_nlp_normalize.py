"""Decoding, cleaning and script conversion of texts as they really arrive."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import DecodeError, clean_text, decode_bytes, to_simplified
from nlp.normalize import html_to_text

FIXTURES = Path(__file__).parent / "data" / "nlp"

SIMPLIFIED = (
    "今年以来，我县认真落实粮食安全责任制，全县粮食播种面积稳定在35万亩以上。"
    "但部分乡镇农田水利设施老化失修，灌溉用水保障能力不足，群众反映强烈。"
)
TRADITIONAL = (
    "今年以來，本縣認真落實糧食安全責任制，全縣糧食播種面積穩定在35萬畝以上。"
    "但部分鄉鎮農田水利設施老化失修，灌溉用水保障能力不足，群眾反映強烈。"
)


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        (SIMPLIFIED, "utf-8", "utf-8"),
        (SIMPLIFIED, "utf-8-sig", "utf-8-sig"),
        (SIMPLIFIED, "gb18030", "gb18030"),
        (SIMPLIFIED, "gbk", "gb18030"),  # GBK is a subset of GB18030
        (SIMPLIFIED, "utf-16", "utf-16"),  # with BOM
        (TRADITIONAL, "big5", "big5"),
        (TRADITIONAL, "utf-8", "utf-8"),
    ],
)
def test_decode_bytes_detects_the_encoding(text: str, codec: str, expected: str) -> None:
    decoded, encoding = decode_bytes(text.encode(codec))
    assert decoded == text
    assert encoding == expected


def test_decode_bytes_prefers_big5_for_traditional_text_that_gb18030_also_decodes() -> None:
    data = TRADITIONAL.encode("big5")
    data.decode("gb18030")  # decodes without error, to the wrong characters
    assert decode_bytes(data) == (TRADITIONAL, "big5")


def test_decode_bytes_prefers_gb18030_for_short_simplified_text() -> None:
    text = "关于进一步做好防汛抗旱工作的通知"
    assert decode_bytes(text.encode("gbk")) == (text, "gb18030")


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,
        b"\x00\x01\x02\x03\x04\x05\x06\x07" * 64,
        bytes((i * 97 + 13) % 256 for i in range(2000)),
    ],
)
def test_decode_bytes_rejects_garbage(data: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode_bytes(data)
    assert "编码" in str(info.value) or "乱码" in str(info.value)
    assert info.value.status_hint == 400


def test_clean_text_strips_web_page_furniture_from_a_real_report_page() -> None:
    raw = (FIXTURES / "provincial_report_page.txt").read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    lines = cleaned.split("\n")
    assert lines[0] == "2026年宁夏回族自治区政府工作报告"
    for furniture in (
        "当前位置：",
        "首页",
        ">",
        "宁夏要闻",
        "发表时间：",
        "2026-02-09 09:45:30",
        "来源：",
        "宁夏日报客户端",
        "阅读量：",
        "【字体：",
        "小",
        "中",
        "大",
        "】",
        "【",
        "扫一扫在手机打开当前页",
        "打印本页",
        "关闭窗口",
    ):
        assert furniture not in lines
    assert "版权所有" not in cleaned
    assert "ICP备" not in cleaned
    assert "网站地图" not in cleaned
    # The body is all there.
    assert "各位代表：" in lines
    assert "一、2025年工作总结和“十四五”发展成就" in lines
    assert "全年实现地区生产总值5696亿元，增长5.3%，超过全国平均水平。" in cleaned
    assert lines[-1].startswith("生态保护修复巩固提升。")
    body = [line.strip() for line in raw.split("\n")[23:40]]
    assert all(line in lines for line in body)


def test_clean_text_strips_the_font_size_block_of_the_usual_portal() -> None:
    furniture = ["下载", "打印", "全屏", "收藏", "【字号：", "加大", "还原", "减小", "】"]
    raw = "\n".join(
        [*furniture, "2026年某省政府工作报告", "来源：某某日报", "时间：2026-02-09", "各位代表："]
    )
    assert clean_text(raw) == "2026年某省政府工作报告\n各位代表："


def test_clean_text_removes_repeated_page_headers_and_page_numbers() -> None:
    header = "某某县人民政府办公室信息专报"
    paragraphs = [
        "今年以来，我县扎实推进农村人居环境整治，完成农村户厕改造1200户。",
        "全县新建污水处理设施15处，农村生活污水治理率提高到45%。",
        "但部分村庄存在重建轻管问题，已建设施运行维护不到位。",
        "下一步，我县将建立长效管护机制，确保设施正常运行。",
    ]
    pages = [
        [header, paragraphs[0], "— 1 —"],
        [header, paragraphs[1], "- 2 -"],
        [header, paragraphs[2], "第3页"],
        [header, *paragraphs[3:]],
    ]
    raw = "\n".join(line for page in pages for line in page)
    assert clean_text(raw) == "\n".join(paragraphs)


def test_clean_text_keeps_a_short_line_that_is_a_sentence_even_when_repeated() -> None:
    raw = "各位代表！\n我们要团结奋斗。\n各位代表！\n我们要真抓实干。\n各位代表！\n我们要开拓创新。"
    assert clean_text(raw) == raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("全面推进?quot;放管服?quot;改革", "全面推进“放管服”改革"),
        ("全面推进&quot;放管服&quot;改革", "全面推进“放管服”改革"),
        ("全面推进&amp;quot;放管服&amp;quot;改革", "全面推进“放管服”改革"),
        ("城乡居民&nbsp;&nbsp;收入稳步增长", "城乡居民 收入稳步增长"),
        ("教育&#12289;医疗&#x3001;养老", "教育、医疗、养老"),
        ("研发投入<b>增长</b>12%<br>专利授权增加", "研发投入增长12%\n专利授权增加"),
    ],
)
def test_clean_text_repairs_entities_and_tags(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("今年以来,我县粮食产量稳定增长;农民收入提高.", "今年以来，我县粮食产量稳定增长；农民收入提高."),
        ("存在哪些问题?主要有三点:一是资金不足!", "存在哪些问题？主要有三点：一是资金不足！"),
        ("国内生产总值(GDP)增长5%", "国内生产总值（GDP）增长5%"),
        ("（一)加强组织领导", "（一）加强组织领导"),
        ("全年ＧＤＰ增长５．２％，完成投资１２００亿元", "全年GDP增长5.2%，完成投资1200亿元"),
        ("会议时间:09:30, 地点:三楼会议室", "会议时间：09:30，地点：三楼会议室"),
        ("营收1,200万元,增长3.5%", "营收1,200万元，增长3.5%"),
        ("访问 http://www.gov.cn 了解详情", "访问 http://www.gov.cn 了解详情"),
        ("Hello, world! (test)", "Hello, world! (test)"),
    ],
)
def test_clean_text_repairs_half_width_punctuation_in_chinese_context(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_collapses_whitespace_and_keeps_paragraphs() -> None:
    raw = "\u3000\u3000第一段  内容\t继续。\r\n\r\n\r\n  第二段\u00a0内容。\u200b  \n"
    assert clean_text(raw) == "第一段 内容 继续。\n第二段 内容。"


def test_to_simplified_converts_traditional_script() -> None:
    assert to_simplified(TRADITIONAL) == SIMPLIFIED.replace("我县", "本县")
    assert to_simplified(SIMPLIFIED) == SIMPLIFIED


def test_html_to_text_keeps_the_body_and_block_breaks() -> None:
    page = """<!DOCTYPE html><html><head><title>信息</title><style>p{color:red}</style></head>
    <body><header><a href="/">首页</a></header><nav><ul><li>政务公开</li><li>办事服务</li></ul></nav>
    <div class="content"><h1>我市推进老旧小区改造</h1><p>今年全市计划改造老旧小区
    120个，&quot;完整社区&quot;试点&nbsp;10个。</p><p>目前已开工85个。<br>惠及居民3.2万户。</p>
    <script>var x = "<p>不要</p>";</script></div><footer>版权所有</footer></body></html>"""
    assert html_to_text(page) == (
        '我市推进老旧小区改造\n今年全市计划改造老旧小区 120个，"完整社区"试点 10个。\n'
        "目前已开工85个。\n惠及居民3.2万户。"
    )
    assert (
        clean_text(html_to_text(page)).split("\n")[1]
        == "今年全市计划改造老旧小区 120个，“完整社区”试点 10个。"
    )
