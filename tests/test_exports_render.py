"""Render generated bulletins with LibreOffice and check the PDF like a reader would.

Skipped when `soffice` (libreoffice-writer-nogui) or poppler-utils are missing. Each module run
uses a private LibreOffice profile, so parallel or CI runs don't fight over one.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from exports import BulletinData, BulletinItem, Distribution, build_bulletin, layout

SOFFICE_TIMEOUT_S = 120
TOOLS = ("soffice", "pdftotext", "pdftoppm")

needs_office = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in TOOLS),
    reason="LibreOffice (soffice) and poppler-utils are needed to render",
)


def convert_to_pdf(docx_files: Sequence[Path], outdir: Path, profile: Path) -> list[Path]:
    """Convert .docx files to PDF with headless LibreOffice; return the PDF paths in order."""
    soffice = shutil.which("soffice")
    assert soffice is not None
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, docx_files),
        ],
        check=True,
        capture_output=True,
        timeout=SOFFICE_TIMEOUT_S,
    )
    pdfs = [outdir / (path.stem + ".pdf") for path in docx_files]
    for pdf in pdfs:
        assert pdf.exists(), f"LibreOffice did not write {pdf.name}"
    return pdfs


def pdf_pages(pdf: Path) -> list[str]:
    """Return the text of each page of `pdf` (pdftotext separates pages by form feeds)."""
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def flat(text: str) -> str:
    """Drop whitespace: pdftotext spaces out CJK text and Latin digits unpredictably."""
    return re.sub(r"\s+", "", text)


def line_boxes(pdf: Path, page: int) -> list[tuple[str, float, float]]:
    """Return (text, yMin, yMax) in points for each text line on `page` (1-based)."""
    out = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = []
    for match in re.finditer(
        r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>', out, re.S
    ):
        words = "".join(re.findall(r"<word[^>]*>(.*?)</word>", match.group(3)))
        lines.append((words, float(match.group(1)), float(match.group(2))))
    return lines


def render_ppm(pdf: Path, page: int, dpi: int, outdir: Path) -> tuple[int, int, bytes]:
    """Render one page to a binary PPM (P6) and return (width, height, RGB bytes)."""
    prefix = outdir / f"{pdf.stem}-p{page}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(prefix)],
        check=True,
        capture_output=True,
    )
    data = prefix.with_suffix(".ppm").read_bytes()
    # Header: "P6" width height maxval, separated by whitespace, then one whitespace byte.
    fields = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert fields is not None and fields.group(3) == b"255"
    width, height = int(fields.group(1)), int(fields.group(2))
    pixels = data[fields.end() :]
    assert len(pixels) == width * height * 3
    return width, height, pixels


def is_red(r: int, g: int, b: int) -> bool:
    return r > 200 and g < 90 and b < 90


# --- the issues rendered ---------------------------------------------------------------------

DATE = datetime.date(2026, 11, 23)
DISTRIBUTION = Distribution(
    upward="省委办公厅，省人大常委会办公厅", peers="省政协办公厅", downward="各市人民政府，省直各部门"
)
SHORT = BulletinData(
    publication_name="每日快报",
    year=2026,
    number=7,
    issue_date=DATE,
    issuing_office="省政府办公厅信息处",
    items=[
        BulletinItem(
            "盂县推动重点项目建设提速增效",
            "今年以来，盂县建立县级领导包联重点项目机制，截至10月底，全县42个重点项目累计完成投资"
            "38.6亿元，同比增长12.4%。",
            "盂县政府办公室",
        )
    ],
    distribution=DISTRIBUTION,
    print_count=60,
)
SENTENCE = "该县聚焦群众急难愁盼问题，推动教育、医疗、养老等民生实事落地见效，群众满意度持续提升。"  # 42
PARAGRAPH = SENTENCE * 5  # 210 characters
LONG_ITEMS = [
    BulletinItem(f"第{i}条：民生实事落地见效", "\n".join([PARAGRAPH] * 4), "某县政府办公室")
    for i in range(1, 7)
]
LONG = dataclasses.replace(SHORT, number=8, items=LONG_ITEMS, editor_note=None)


def expected_pages(data: BulletinData) -> tuple[int, int]:
    """Estimate the page count from 22 lines x 28 characters a page; return a (low, high) range."""
    per_line = layout.BODY_CHARS_PER_LINE
    lines = 6.0  # masthead: name, number, office line and the space around the red rule
    if len(data.items) >= layout.CONTENTS_MIN_ITEMS:
        lines += 1.5 + len(data.items)
    for item in data.items:
        lines += 2 + 1  # title with the space around it, unit credit
        for paragraph in item.body.split("\n"):
            lines += math.ceil((len(paragraph) + layout.BODY_FIRST_LINE_CHARS) / per_line)
    distribution = 1 + 5  # the blank line above the block, and its five rows
    estimate = (lines + distribution) / layout.BODY_LINES_PER_PAGE
    return max(1, math.floor(estimate * 0.9)), math.ceil(estimate * 1.1)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if any(shutil.which(tool) is None for tool in TOOLS):
        pytest.skip("LibreOffice (soffice) and poppler-utils are needed to render")
    root = tmp_path_factory.mktemp("render")
    docs = []
    for name, data in (("short", SHORT), ("long", LONG)):
        path = root / f"{name}.docx"
        path.write_bytes(build_bulletin(data))
        docs.append(path)
    pdfs = convert_to_pdf(docs, root, root / "lo-profile")
    return {path.stem: pdf for path, pdf in zip(docs, pdfs, strict=True)}


@needs_office
def test_short_issue_fits_one_page(rendered: dict[str, Path]) -> None:
    assert len(pdf_pages(rendered["short"])) == 1


@needs_office
def test_long_issue_page_count_follows_the_22_by_28_grid(rendered: dict[str, Path]) -> None:
    low, high = expected_pages(LONG)
    assert low <= len(pdf_pages(rendered["long"])) <= high, (low, high)


@needs_office
def test_long_lines_hold_28_characters(rendered: dict[str, Path]) -> None:
    # A full body line of the repeated sentence is 28 characters (LibreOffice's character grid
    # would make it 14).
    lengths = [len(flat(text)) for text, _, _ in line_boxes(rendered["long"], 2) if "民生实事" in text]
    assert lengths and max(lengths) == 28


@needs_office
@pytest.mark.parametrize(("name", "data"), [("short", SHORT), ("long", LONG)])
def test_page_one_carries_the_masthead(rendered: dict[str, Path], name: str, data: BulletinData) -> None:
    first = flat(pdf_pages(rendered[name])[0])
    for text in ("每日快报", f"第{data.number}期", "省政府办公厅信息处", "2026年11月23日"):
        assert text in first


@needs_office
@pytest.mark.parametrize("name", ["short", "long"])
def test_last_page_carries_the_distribution_block_at_the_bottom(rendered: dict[str, Path], name: str) -> None:
    pdf = rendered[name]
    pages = pdf_pages(pdf)
    last = flat(pages[-1])
    for text in (
        "报：省委办公厅",
        "送：省政协办公厅",
        "发：各市人民政府",
        "2026年11月23日印发",
        "本期共印60份",
    ):
        assert text in last
    for page in pages[:-1]:
        assert "印发" not in page
    # The block floats to the foot of the type area: its last line ends within a line of it.
    type_area_bottom = layout.mm_to_pt(layout.PAGE_HEIGHT_MM - layout.MARGIN_BOTTOM_MM)
    boxes = line_boxes(pdf, len(pages))
    count_line = next(y_max for text, _, y_max in boxes if "本期共印" in text)
    assert type_area_bottom - layout.BODY_LINE_SPACING_PT < count_line <= type_area_bottom + 1
    # …and below the last item's credit.
    credit = max(y_max for text, _, y_max in boxes if "报送）" in text)
    assert credit < count_line


@needs_office
@pytest.mark.parametrize("name", ["short", "long"])
def test_footers_number_the_pages(rendered: dict[str, Path], name: str) -> None:
    for number, page in enumerate(pdf_pages(rendered[name]), start=1):
        assert re.search(rf"—\s*{number}\s*—", page), f"page {number} has no 「— {number} —」"


@needs_office
def test_odd_page_numbers_right_even_left(rendered: dict[str, Path]) -> None:
    pdf = rendered["long"]
    width = layout.mm_to_pt(layout.PAGE_WIDTH_MM)
    for page in (1, 2):
        out = subprocess.run(
            ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        xs = [float(x) for x in re.findall(rf'<word xMin="([\d.]+)"[^>]*>{page}</word>', out)]
        assert xs, f"no page number on page {page}"
        x = xs[-1]
        assert (x > width / 2) if page % 2 else (x < width / 2)


@needs_office
def test_masthead_and_rule_are_red(rendered: dict[str, Path], tmp_path: Path) -> None:
    dpi = 50
    width, height, pixels = render_ppm(rendered["short"], 1, dpi, tmp_path)
    px_per_pt = dpi / 72

    def red_in_row(y: int) -> int:
        row = pixels[y * width * 3 : (y + 1) * width * 3]
        return sum(is_red(row[i], row[i + 1], row[i + 2]) for i in range(0, len(row), 3))

    top = int(layout.mm_to_pt(layout.MARGIN_TOP_MM) * px_per_pt)
    band = range(top, top + int(6 * layout.BODY_LINE_SPACING_PT * px_per_pt))
    counts = [red_in_row(y) for y in band]
    type_width_px = layout.mm_to_pt(layout.TYPE_AREA_WIDTH_MM) * px_per_pt
    # The red rule: a row red across (nearly) the whole type area.
    rule_rows = [y for y, count in zip(band, counts, strict=True) if count > 0.9 * type_width_px]
    assert rule_rows, "no full-width red rule under the masthead"
    # The publication name: red glyphs above the rule, centred on the page.
    name_rows = [
        y
        for y, count in zip(band, counts, strict=True)
        if 0 < count < 0.9 * type_width_px and y < rule_rows[0]
    ]
    assert len(name_rows) > 10
    xs = []
    for y in name_rows:
        row = pixels[y * width * 3 : (y + 1) * width * 3]
        xs += [i // 3 for i in range(0, len(row), 3) if is_red(row[i], row[i + 1], row[i + 2])]
    centre = (min(xs) + max(xs)) / 2
    type_centre = (
        layout.mm_to_pt(layout.MARGIN_LEFT_MM) + layout.mm_to_pt(layout.TYPE_AREA_WIDTH_MM) / 2
    ) * px_per_pt
    assert abs(centre - type_centre) < 10
    # Nothing else on the page is red.
    assert all(red_in_row(y) == 0 for y in range(rule_rows[-1] + 3, height))
