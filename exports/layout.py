"""Page, type and masthead settings for Word exports, after GB/T 9704-2012.

Every number and every fixed piece of wording used by the builders lives here, so that an office
with a house style changes one module. Lengths are given in the unit the standard uses (mm, pt)
and converted to Word's units (twips = 1/20 pt, half-points, eighths of a point) by the helpers
at the bottom of the unit section.

Font fallback chains (a machine without the first font renders the next one; the chain is written
to the document's font table as ``w:altName`` links, one link per font, see ``FONT_FALLBACKS``):

- 仿宋_GB2312 → 仿宋 → FangSong
- 方正小标宋简体 → 华文中宋 → 宋体 → SimSun
- 黑体 → SimHei
- 楷体_GB2312 → 楷体 → KaiTi
- 宋体 → SimSun
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Final, Literal

# --- units -----------------------------------------------------------------------------------

MM_PER_INCH: Final = 25.4
PT_PER_INCH: Final = 72.0
TWIPS_PER_PT: Final = 20


def mm_to_pt(mm: float) -> float:
    """Convert millimetres to points."""
    return mm * PT_PER_INCH / MM_PER_INCH


def pt_to_twips(pt: float) -> int:
    """Convert points to twips (twentieths of a point), rounded."""
    return round(pt * TWIPS_PER_PT)


def mm_to_twips(mm: float) -> int:
    """Convert millimetres to twips, rounded."""
    return pt_to_twips(mm_to_pt(mm))


# --- page (版面) -------------------------------------------------------------------------------

PAGE_WIDTH_MM: Final = 210.0
PAGE_HEIGHT_MM: Final = 297.0
MARGIN_TOP_MM: Final = 37.0  # 天头
MARGIN_BOTTOM_MM: Final = 35.0
MARGIN_LEFT_MM: Final = 28.0  # 订口
MARGIN_RIGHT_MM: Final = 26.0
TYPE_AREA_WIDTH_MM: Final = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156 mm
TYPE_AREA_HEIGHT_MM: Final = PAGE_HEIGHT_MM - MARGIN_TOP_MM - MARGIN_BOTTOM_MM  # 225 mm
TYPE_AREA_WIDTH_TWIPS: Final = mm_to_twips(TYPE_AREA_WIDTH_MM)
HEADER_DISTANCE_MM: Final = 15.0

# --- type sizes (字号) -------------------------------------------------------------------------

SIZE_ERHAO_PT: Final = 22.0  # 二号
SIZE_SANHAO_PT: Final = 16.0  # 三号
SIZE_SIHAO_PT: Final = 14.0  # 四号
MASTHEAD_SIZE_PT: Final = 42.0
MASTHEAD_MIN_SIZE_PT: Final = 26.0  # long publication names shrink down to this, then wrap

# --- body grid: 22 lines x 28 characters ------------------------------------------------------

BODY_SIZE_PT: Final = SIZE_SANHAO_PT
BODY_LINES_PER_PAGE: Final = 22
BODY_CHARS_PER_LINE: Final = 28
BODY_LINE_SPACING_PT: Final = 28.9  # fixed ("exactly") line spacing
BODY_FIRST_LINE_CHARS: Final = 2
# Round the grid pitches down so that Word fits 22 whole lines and 28 whole characters.
#
# 28 三号 characters (28 x 16 pt = 448 pt) do not fit the 156 mm (442.2 pt) type area: Word squeezes
# them through a "lines and characters" grid, but LibreOffice gives every glyph wider than a grid
# cell two cells (14 characters a line). So the grid is a line grid only, and the 三号 runs are
# condensed instead (w:spacing, in twentieths of a point, rounded down so that 28 characters fit),
# which Word, WPS and LibreOffice all honour alike.
DOC_GRID_TYPE: Final = "lines"
DOC_GRID_LINE_PITCH_TWIPS: Final = math.floor(
    mm_to_pt(TYPE_AREA_HEIGHT_MM) * TWIPS_PER_PT / BODY_LINES_PER_PAGE
)
BODY_CHAR_SPACING_PT: Final = (
    math.floor((mm_to_pt(TYPE_AREA_WIDTH_MM) / BODY_CHARS_PER_LINE - BODY_SIZE_PT) * TWIPS_PER_PT)
    / TWIPS_PER_PT
)  # -0.25 pt: a character pitch of 15.75 pt

# --- footer page number: 「— N —」 7 mm below the type area -----------------------------------

PAGE_NUMBER_GAP_MM: Final = 7.0
PAGE_NUMBER_SIZE_PT: Final = SIZE_SIHAO_PT
FOOTER_DISTANCE_MM: Final = (
    MARGIN_BOTTOM_MM - PAGE_NUMBER_GAP_MM - PAGE_NUMBER_SIZE_PT * MM_PER_INCH / PT_PER_INCH
)
PAGE_NUMBER_PREFIX: Final = "— "
PAGE_NUMBER_SUFFIX: Final = " —"
PAGE_NUMBER_INSTRUCTION: Final = " PAGE "
PAGE_NUMBER_PLACEHOLDER: Final = "1"  # shown until the field is updated

# --- fonts -------------------------------------------------------------------------------------

FONT_FANGSONG: Final = "仿宋_GB2312"
FONT_XIAOBIAOSONG: Final = "方正小标宋简体"
FONT_HEITI: Final = "黑体"
FONT_KAITI: Final = "楷体_GB2312"
FONT_SONGTI: Final = "宋体"

# Each chain is written to the font table: font -> w:altName = next font in the chain.
FONT_FALLBACKS: Final[tuple[tuple[str, ...], ...]] = (
    (FONT_FANGSONG, "仿宋", "FangSong"),
    (FONT_XIAOBIAOSONG, "华文中宋", FONT_SONGTI, "SimSun"),
    (FONT_HEITI, "SimHei"),
    (FONT_KAITI, "楷体", "KaiTi"),
)
FONT_TABLE_CHARSET: Final = "86"  # GB2312
EAST_ASIA_LANGUAGE: Final = "zh-CN"

# --- colours -----------------------------------------------------------------------------------

COLOR_BLACK: Final = "000000"
COLOR_RED: Final = "FF0000"

# --- rules (paragraph borders), widths in eighths of a point ------------------------------------

RULE_MASTHEAD_SIZE: Final = 18  # 2.25 pt red rule under the masthead
RULE_THICK_SIZE: Final = 8  # 1 pt: first and last rule of the distribution block
RULE_THIN_SIZE: Final = 6  # 0.75 pt: inner rules of the distribution block
RULE_MASTHEAD_SPACE_PT: Final = 4  # gap between the office/date line and the red rule


@dataclass(frozen=True)
class Rule:
    """A paragraph border line."""

    size_eighths: int
    color: str = COLOR_BLACK
    space_pt: int = 1
    style: str = "single"


@dataclass(frozen=True)
class TableRules:
    """The border lines of a table; None draws no line."""

    top: Rule | None = None
    bottom: Rule | None = None
    left: Rule | None = None
    right: Rule | None = None
    inside_h: Rule | None = None
    inside_v: Rule | None = None


RULE_MASTHEAD: Final = Rule(RULE_MASTHEAD_SIZE, COLOR_RED, RULE_MASTHEAD_SPACE_PT)
RULE_THICK: Final = Rule(RULE_THICK_SIZE)
RULE_THIN: Final = Rule(RULE_THIN_SIZE)

# --- text and paragraph specifications ----------------------------------------------------------

Alignment = Literal["left", "center", "right", "both"]


@dataclass(frozen=True)
class RunSpec:
    """Character formatting of a run."""

    font: str
    size_pt: float
    bold: bool = False
    color: str = COLOR_BLACK
    spacing_pt: float = 0.0  # character spacing; negative condenses


def grid_run(font: str, *, bold: bool = False, color: str = COLOR_BLACK) -> RunSpec:
    """Return a 三号 RunSpec condensed so that 28 characters fill one line of the type area."""
    return RunSpec(font, BODY_SIZE_PT, bold, color, BODY_CHAR_SPACING_PT)


@dataclass(frozen=True)
class ParaSpec:
    """Paragraph formatting.

    ``line_spacing_pt`` None means single ("auto") spacing; otherwise the spacing is exact.
    Indents in characters are written both as twips (for readers that ignore character units) and
    as Word's ``*Chars`` attributes, which Word prefers because they follow the character grid.
    """

    align: Alignment = "both"
    line_spacing_pt: float | None = BODY_LINE_SPACING_PT
    space_before_pt: float = 0.0
    space_after_pt: float = 0.0
    first_line_chars: float = 0.0
    left_chars: float = 0.0
    right_chars: float = 0.0
    char_size_pt: float = BODY_SIZE_PT  # what one "character" of indent measures
    right_tab_twips: int | None = None
    snap_to_grid: bool = True
    keep_next: bool = False
    keep_lines: bool = False
    border_top: Rule | None = None
    border_bottom: Rule | None = None
    border_between: Rule | None = None


# Body text: 仿宋_GB2312 三号, justified, first line indented two characters.
BODY_RUN: Final = grid_run(FONT_FANGSONG)
BODY_PARA: Final = ParaSpec(first_line_chars=BODY_FIRST_LINE_CHARS)
# Headings inside a text: 「一、」 黑体, 「（一）」 楷体_GB2312, 「1.」 仿宋 bold, 「（1）」 plain 仿宋.
HEADING_1_RUN: Final = grid_run(FONT_HEITI)
HEADING_2_RUN: Final = grid_run(FONT_KAITI)
HEADING_3_RUN: Final = grid_run(FONT_FANGSONG, bold=True)
# A heading sentence ends (。！？) within this many characters; a heading line without a sentence
# end must be shorter than this, or it is taken for an ordinary paragraph.
HEADING_MAX_CHARS: Final = 40

# Item title: 方正小标宋简体 二号, centred; titles are not snapped to the character grid because a
# 22 pt glyph on a 16 pt grid would be spread over two cells.
TITLE_RUN: Final = RunSpec(FONT_XIAOBIAOSONG, SIZE_ERHAO_PT)
TITLE_PARA: Final = ParaSpec(
    align="center",
    space_before_pt=BODY_LINE_SPACING_PT / 2,
    space_after_pt=BODY_LINE_SPACING_PT / 4,
    snap_to_grid=False,
    keep_next=True,
    keep_lines=True,
)

# Column heading (栏目): 黑体 三号 at the left.
COLUMN_HEADING_FORMAT: Final = "【{column}】"
COLUMN_HEADING_RUN: Final = grid_run(FONT_HEITI)
COLUMN_HEADING_PARA: Final = ParaSpec(
    align="left", space_before_pt=BODY_LINE_SPACING_PT / 2, keep_next=True, snap_to_grid=False
)

# Unit credit at the end of an item: 「（盂县政府办公室报送）」, right-aligned.
UNIT_CREDIT_FORMAT: Final = "（{unit}报送）"
UNIT_CREDIT_BARE_FORMAT: Final = "（{unit}）"  # when the unit text already says 报送/供稿
UNIT_CREDIT_RUN: Final = BODY_RUN
UNIT_CREDIT_PARA: Final = ParaSpec(align="right")
# The last item's credit keeps with the 版记 (see bulletin._items): when the block must start a page
# of its own, the credit comes along (keeping a whole paragraph would move it all, leaving a gap).
UNIT_CREDIT_KEEP_NEXT_PARA: Final = dataclasses.replace(UNIT_CREDIT_PARA, keep_next=True)

# Editor's note (编者按): 楷体 with the label in 黑体.
EDITOR_NOTE_LABEL: Final = "编者按："
EDITOR_NOTE_LABEL_RUN: Final = grid_run(FONT_HEITI)
EDITOR_NOTE_RUN: Final = grid_run(FONT_KAITI)
EDITOR_NOTE_PARA: Final = BODY_PARA

# Contents (本期要目), printed from this many items on.
CONTENTS_MIN_ITEMS: Final = 3
CONTENTS_HEADING: Final = "本期要目"
CONTENTS_HEADING_RUN: Final = grid_run(FONT_HEITI)
CONTENTS_HEADING_PARA: Final = ParaSpec(
    align="center", space_before_pt=BODY_LINE_SPACING_PT / 2, keep_next=True, snap_to_grid=False
)
CONTENTS_ENTRY_RUN: Final = grid_run(FONT_KAITI)
CONTENTS_ENTRY_PARA: Final = ParaSpec(align="left", first_line_chars=BODY_FIRST_LINE_CHARS)
# Numbered like the HTML preview's list: 「1．盂县……」.
CONTENTS_ENTRY_FORMAT: Final = "{number}．{title}"

# --- tables inside an item (from Word uploads) -------------------------------------------------

# Real Word tables, as wide as the type area, single 0.5 pt lines all round; cells in 仿宋 小四 with
# the first row (the header, repeated on every page) in 黑体. Column widths follow the longest cell
# of each column (CJK characters count 1, Latin 0.5), never below ITEM_TABLE_MIN_COLUMN_CHARS.
ITEM_TABLE_CELL_SIZE_PT: Final = 12.0  # 小四
ITEM_TABLE_MIN_COLUMN_CHARS: Final = 3.0
ITEM_TABLE_PADDING_CHARS: Final = 1.0  # cell margins and wider Latin glyphs
ITEM_TABLE_MAX_COLUMNS: Final = 12  # wider tables are printed as lines of text
ITEM_TABLE_SPACE_PT: Final = BODY_LINE_SPACING_PT / 2  # space above and below a table

# --- masthead (报头) ---------------------------------------------------------------------------

# Classified issues: 份号 on line 1, then 「秘密★1年」 in 黑体 三号, both at the top left.
COPY_NUMBER_DIGITS: Final = 6
COPY_NUMBER_RUN: Final = grid_run(FONT_HEITI)
MARKING_RUN: Final = grid_run(FONT_HEITI)
MARKING_PARA: Final = ParaSpec(align="left", snap_to_grid=False)
MARKING_STAR: Final = "★"
LEVELS: Final = ("公开", "内部", "秘密", "机密")
PRINTED_LEVELS: Final = ("秘密", "机密")  # 「秘密★1年」, with the 份号 above it
# Levels marked with a fixed wording instead (no 份号): internal material.
LEVEL_MARKINGS: Final[dict[str, str]] = {"内部": "内部资料 注意保存"}
REFUSED_LEVELS: Final = ("绝密",)  # top secret never travels over the network

MASTHEAD_RUN: Final = RunSpec(FONT_XIAOBIAOSONG, MASTHEAD_SIZE_PT, color=COLOR_RED)
MASTHEAD_PARA: Final = ParaSpec(
    align="center", line_spacing_pt=None, space_before_pt=12.0, snap_to_grid=False
)
NAME_BRACKETS: Final = "《》〈〉"  # stripped from the publication name

ISSUE_NUMBER_FORMAT: Final = "第{number}期"
SUPPLEMENT_NUMBER_FORMAT: Final = "增刊第{number}期"
ISSUE_NUMBER_RUN: Final = grid_run(FONT_FANGSONG)
ISSUE_NUMBER_PARA: Final = ParaSpec(align="center", space_before_pt=6.0, snap_to_grid=False)

# Office at the left, date at the right (right tab at the type-area width), red rule below.
DATE_FORMAT: Final = "{year}年{month}月{day}日"
MASTHEAD_OFFICE_RUN: Final = grid_run(FONT_FANGSONG)
MASTHEAD_OFFICE_PARA: Final = ParaSpec(
    align="left",
    space_after_pt=BODY_LINE_SPACING_PT / 2,
    right_tab_twips=TYPE_AREA_WIDTH_TWIPS,
    snap_to_grid=False,
    border_bottom=RULE_MASTHEAD,
)

# --- distribution block (版记) -----------------------------------------------------------------

DISTRIBUTION_UPWARD_LABEL: Final = "报："
DISTRIBUTION_PEERS_LABEL: Final = "送："
DISTRIBUTION_DOWNWARD_LABEL: Final = "发："
PRINTED_FORMAT: Final = "{date}印发"
PRINT_COUNT_FORMAT: Final = "本期共印 {count} 份"
DISTRIBUTION_RUN: Final = RunSpec(FONT_FANGSONG, SIZE_SIHAO_PT)
# The block is a one-column table as wide as the type area: its rules are table borders (thick
# top and bottom, thin between rows), which Word, WPS and LibreOffice all draw, unlike paragraph
# "between" borders. The cells have no side margins, so the text is indented one character by the
# first-line indent and the right tab stop sits one character short of the right edge.
DISTRIBUTION_PARA: Final = ParaSpec(
    align="left",
    first_line_chars=1,
    char_size_pt=SIZE_SIHAO_PT,
    right_tab_twips=TYPE_AREA_WIDTH_TWIPS - pt_to_twips(SIZE_SIHAO_PT),
    snap_to_grid=False,
    keep_lines=True,
)
DISTRIBUTION_RULES: Final = TableRules(top=RULE_THICK, bottom=RULE_THICK, inside_h=RULE_THIN)
# The table floats to the bottom of the last page's type area (w:tblpPr anchored to the margin,
# aligned bottom), hanging on an empty paragraph that ends the document. When the last page has
# no room left, the anchor and the block move together to the next page. Set to False to print
# the block right after the last item instead.
DISTRIBUTION_AT_PAGE_BOTTOM: Final = True
DISTRIBUTION_SPACE_BEFORE_PT: Final = BODY_LINE_SPACING_PT / 2  # between the text and the block
# The paragraph a floating table hangs on: one point high, so it never makes a page of its own.
ANCHOR_PARA: Final = ParaSpec(align="left", line_spacing_pt=1.0, snap_to_grid=False)

# --- filling the last page ---------------------------------------------------------------------

# GB/T 9704 puts the 版记 at the foot of the last page. When the text leaves too little room there
# for it, the issue is set tighter (GB/T 9704 7.3.5.4: "调整行距、字距") rather than given a page that
# holds only the 版记: body lines of the first of COMPACT_LINE_SPACINGS_PT that makes it fit instead
# of 28.9 pt, and less space around the titles. Whether the block fits is estimated from the grid
# (28 characters a line, fixed line heights, titles kept with two lines of their text, paragraphs
# split with two lines on each side) and these allowances for the lines that are not fixed.
COMPACT_LINE_SPACINGS_PT: Final = (26.0, 24.0)
# When no setting makes room, the 版记 starts a page with the last credit and the last paragraph,
# if that is no longer than this (a longer one would move whole and leave a gap behind it).
KEEP_WITH_BLOCK_MAX_LINES: Final = 4
COMPACT_TITLE_SPACE_BEFORE_PT: Final = BODY_LINE_SPACING_PT / 4
COMPACT_TITLE_SPACE_AFTER_PT: Final = 0.0
AUTO_LINE_HEIGHT_EM: Final = 1.45  # a single-spaced line, in font sizes (generous: CJK fonts vary)
TITLE_CHARS_PER_LINE: Final = int(mm_to_pt(TYPE_AREA_WIDTH_MM) // SIZE_ERHAO_PT)  # 20
DISTRIBUTION_ROW_EXTRA_PT: Final = 1.0  # rules between the rows

# --- footer ------------------------------------------------------------------------------------

PAGE_NUMBER_RUN: Final = RunSpec(FONT_SONGTI, PAGE_NUMBER_SIZE_PT)
# Odd pages: right-aligned, one character in from the right; even pages: the mirror image.
FOOTER_ODD_PARA: Final = ParaSpec(
    align="right", line_spacing_pt=None, right_chars=1, char_size_pt=SIZE_SIHAO_PT, snap_to_grid=False
)
FOOTER_EVEN_PARA: Final = ParaSpec(
    align="left", line_spacing_pt=None, left_chars=1, char_size_pt=SIZE_SIHAO_PT, snap_to_grid=False
)

# --- ranking report (通报) ----------------------------------------------------------------------

SIZE_XIAOSI_PT: Final = 12.0  # 小四
SIZE_WUHAO_PT: Final = 10.5  # 五号
# The ranking table's cells: 五号, so that nine columns fit the type area with a unit's full name
# (about 11 characters) on one line and no figure wrapped.
RANKING_CELL_SIZE_PT: Final = SIZE_WUHAO_PT
RANKING_INTRO_FORMAT: Final = (
    "根据信息工作考评办法，现将{period}各单位信息报送、采用情况通报如下（按类别分别排名）。"
)
RANKING_SECTION_FORMAT: Final = "{numeral}、{category}"
RANKING_EXCELLENT_HEADING: Final = "先进单位"
RANKING_LATE_HEADING: Final = "迟报、漏报情况"
RANKING_UNQUALIFIED_HEADING: Final = "年度目标未完成（不合格）单位"
RANKING_PROGRESS_HEADER: Final = "年度进度"  # the last column outside a yearly report: no verdict
RANKING_NOTES_HEADING: Final = "说明"
RANKING_EMPTY_SECTION: Final = "本期无排名数据。"
RANKING_LIST_SEPARATOR: Final = "、"
CHINESE_NUMERALS: Final = "一二三四五六七八九十"
# (header, width in characters of the cell size): wide enough for their longest figure on one line
# (「100.0%」, 「12 ↓11」, 「1234.5」) with the cell margins; the unit column takes the rest.
RANKING_COLUMNS: Final[tuple[tuple[str, float], ...]] = (
    ("名次", 4.2),
    ("单位", 0.0),
    ("得分", 4.0),
    ("采用", 2.6),
    ("报送", 2.6),
    ("采用率", 4.6),
    ("问题信息占比", 4.6),
    ("目标", 4.0),
    ("是否达标", 4.6),
)
RANKING_UNIT_COLUMN: Final = 1  # left-aligned, the rest of the width; every other column is centred
TARGET_MET: Final = "合格"
TARGET_MISSED: Final = "不合格"
NOT_APPLICABLE: Final = "—"
RANK_UP: Final = "↑"
RANK_DOWN: Final = "↓"
RANK_SAME: Final = "—"
PERCENT_FORMAT: Final = "{:.1f}%"
POINTS_FORMAT: Final = "{:.1f}"

RANKING_TITLE_RUN: Final = TITLE_RUN
RANKING_TITLE_PARA: Final = dataclasses.replace(TITLE_PARA, space_before_pt=0.0)
RANKING_SUBTITLE_PARA: Final = ParaSpec(align="center", space_after_pt=BODY_LINE_SPACING_PT / 2)
RANKING_HEADING_RUN: Final = HEADING_1_RUN
RANKING_HEADING_PARA: Final = ParaSpec(first_line_chars=BODY_FIRST_LINE_CHARS, keep_next=True)
RANKING_HEADER_CELL_RUN: Final = RunSpec(FONT_HEITI, RANKING_CELL_SIZE_PT)
RANKING_CELL_RUN: Final = RunSpec(FONT_FANGSONG, RANKING_CELL_SIZE_PT)
RANKING_CELL_PARA: Final = ParaSpec(align="center", line_spacing_pt=None, snap_to_grid=False)
RANKING_UNIT_CELL_PARA: Final = ParaSpec(align="left", line_spacing_pt=None, snap_to_grid=False)
RANKING_CELL_MARGINS_TWIPS: Final = (pt_to_twips(3.0), pt_to_twips(1.5))  # (top/bottom, left/right)
RULE_TABLE: Final = Rule(4)  # 0.5 pt grid lines
RANKING_TABLE_RULES: Final = TableRules(
    top=RULE_TABLE,
    bottom=RULE_TABLE,
    left=RULE_TABLE,
    right=RULE_TABLE,
    inside_h=RULE_TABLE,
    inside_v=RULE_TABLE,
)
RANKING_SIGNATURE_SPACE_PT: Final = BODY_LINE_SPACING_PT  # one blank line above the 落款
# 落款 without a seal (GB/T 9704 7.3.5.2): the office right-aligned two characters from the right
# edge, the date below it starting two characters further right (or, when the date is the longer,
# the date two characters from the edge and the office moved left to keep that step).
SIGNATURE_RIGHT_CHARS: Final = 2.0
SIGNATURE_DATE_STEP_CHARS: Final = 2.0

# The document header (版头) of a 通报: 发文机关标志 in red 小标宋, centred; the 发文字号 below it
# after a blank line; then the full-width red rule 4 mm under the 发文字号 (or under the mark when
# there is no number); the title two lines below the rule.
ISSUER_MARK_RUN: Final = RunSpec(FONT_XIAOBIAOSONG, 36.0, color=COLOR_RED)
ISSUER_MARK_MIN_SIZE_PT: Final = SIZE_ERHAO_PT
ISSUER_MARK_PARA: Final = ParaSpec(align="center", line_spacing_pt=None, snap_to_grid=False)
RULE_ISSUER: Final = Rule(RULE_MASTHEAD_SIZE, COLOR_RED, round(mm_to_pt(4.0)))
DOCUMENT_NUMBER_RUN: Final = grid_run(FONT_FANGSONG)
DOCUMENT_NUMBER_PARA: Final = ParaSpec(
    align="center",
    line_spacing_pt=None,  # an exact line height would clip the rule below
    space_before_pt=BODY_LINE_SPACING_PT,
    snap_to_grid=False,
    border_bottom=RULE_ISSUER,
)
ISSUER_MARK_RULED_PARA: Final = dataclasses.replace(ISSUER_MARK_PARA, border_bottom=RULE_ISSUER)
REPORT_TITLE_SPACE_PT: Final = 2 * BODY_LINE_SPACING_PT  # between the red rule and the title
ADDRESSEES_PARA: Final = ParaSpec(align="left")  # 主送机关: flush left, ending with 「：」

# --- tables inside an item: formatting (sizes above, under "tables inside an item") -------------

ITEM_TABLE_HEADER_RUN: Final = RunSpec(FONT_HEITI, ITEM_TABLE_CELL_SIZE_PT)
ITEM_TABLE_CELL_RUN: Final = RunSpec(FONT_FANGSONG, ITEM_TABLE_CELL_SIZE_PT)
ITEM_TABLE_CELL_PARA: Final = ParaSpec(align="center", line_spacing_pt=None, snap_to_grid=False)
ITEM_TABLE_WIDE_CELL_PARA: Final = ParaSpec(align="both", line_spacing_pt=None, snap_to_grid=False)
ITEM_TABLE_CENTRED_CHARS: Final = 8.0  # cells up to this wide are centred, longer ones justified
ITEM_TABLE_CELL_MARGINS_TWIPS: Final = (pt_to_twips(2.0), pt_to_twips(3.0))
ITEM_TABLE_RULES: Final = RANKING_TABLE_RULES
ITEM_TABLE_AFTER_PARA: Final = ParaSpec(align="left", line_spacing_pt=ITEM_TABLE_SPACE_PT, snap_to_grid=False)
