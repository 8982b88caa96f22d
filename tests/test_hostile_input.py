"""Hostile input gets a clear answer (404, 400 or a message on the page), never a 500.

Out-of-range ids in URLs, forms and JSON; queries built to overflow or stall the parser; NUL and
lone surrogates in every kind of text; .docx zip bombs and malformed Word XML.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import docx
import pytest
from flask import Flask

from search import QuerySyntaxError, parse_query
from search.query import MAX_QUERY_CHARS, QueryTooComplexError
from tests.conftest import bearer, login, submit
from webapp.converters import MAX_ID, IdConverter, parse_id, parse_ids
from webapp.extensions import db
from webapp.models import Item
from webapp.services.errors import ValidationError
from webapp.services.files import MAX_DOCX_UNCOMPRESSED, extract

HUGE_IDS = [0, MAX_ID + 1, 2**63, 2**64, 10**30]
UNSAFE = "\x00\x01\x08\x0b\x1b\x7f"


# --- ids ---------------------------------------------------------------------------------------


def test_parse_id_accepts_only_database_ids() -> None:
    assert parse_id("42") == 42 and parse_id(42) == 42 and parse_id(f"{MAX_ID}") == MAX_ID
    for bad in ["0", "-1", "²", "١٢", "1e3", " ", "", str(MAX_ID + 1), "9" * 5000, True, 1.0, None, [1]]:
        assert parse_id(bad) is None, bad
    assert parse_ids(["1", "x", str(2**63), "3"]) == [1, 3]


def _int_rules(app: Flask) -> list[tuple[str, str]]:
    """Every rule with an id in its path, with one method it answers."""
    found = []
    for rule in app.url_map.iter_rules():
        if any(isinstance(conv, IdConverter) for conv in rule._converters.values()):
            method = "GET" if "GET" in (rule.methods or ()) else "POST"
            found.append((rule.rule, method))
    return found


def test_every_id_route_answers_404_to_out_of_range_ids(app: Flask) -> None:
    rules = _int_rules(app)
    assert len(rules) >= 20  # every blueprint's item, issue, request, user and saved-search routes
    editor = login(app.test_client(), "admin")
    token = bearer("admin")
    checked = 0
    for path, method in rules:
        for number in HUGE_IDS:
            url = re.sub(r"<int:\w+>", str(number), path)
            response = editor.open(url, method=method, headers=token if url.startswith("/api/") else None)
            assert response.status_code == 404, (url, response.status_code)
            if url.startswith("/api/"):
                assert set(response.get_json()) == {"error", "message"}
            checked += 1
    print(f"\n{checked} out-of-range id requests over {len(rules)} routes: all 404")


def test_ids_in_forms_and_json_never_500(app: Flask) -> None:
    submit("某县推进高标准农田建设", "今年以来，我县新建高标准农田3.5万亩。")
    editor = login(app.test_client(), "editor")
    for bad in [str(2**63), str(MAX_ID + 1), "²", "-1", "1" * 5000]:
        response = editor.post("/review/bulk", data={"action": "reject", "item_ids": bad, "reason": "x"})
        assert response.status_code == 302
        response = editor.post("/bulletins/", data={"publication": "xxbs", "add": bad})
        assert response.status_code == 200
        response = editor.post("/bulletins/1", data={"entry": bad, "move": f"up:{bad}", "add": bad})
        assert response.status_code in (302, 404)
        response = editor.post(
            "/items/new", data={"title": "某县推进", "text": "正文内容。", "unit": "yx", "request_id": bad}
        )
        assert response.status_code in (302, 400)
        response = editor.get("/search", query_string={"q": "农田", "page": bad})
        assert response.status_code in (200, 400)
        response = editor.get("/items/1/versions", query_string={"compare": bad})
        assert response.status_code == 200

    headers = bearer("editor")
    for bad in [2**63, MAX_ID + 1, 0, -5, True, 1.5, "1"]:
        response = app.test_client().post(
            "/api/v1/bulletins", json={"publication": "xxbs", "item_ids": [bad]}, headers=headers
        )
        assert response.status_code == 400, bad
        assert response.get_json()["error"] == "invalid_field"
    for url in ["/api/v1/search?page=" + "9" * 40, "/api/v1/search?per_page=" + "9" * 5000]:
        assert app.test_client().get(url, headers=headers).status_code in (200, 400)


# --- queries -----------------------------------------------------------------------------------

HOSTILE_QUERIES = [
    "-" * 1200,
    "-" * 499 + "a",
    "NOT " * 1000 + "农田",
    "NOT " * 120 + "农田",
    "a OR " * 800,
    "a OR " * 99 + "b",
    "(" * 300 + "农田" + ")" * 300,
    "(" * 20 + "农田" + ")" * 20,
    "农" * 5000,
    '"' + "农田建设" * 110 + '"',  # one phrase of 220 tokens
    " ".join(["农田"] * 60),
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=lambda q: f"{q[:12]}…x{len(q)}")
def test_hostile_query_is_refused_quickly_by_parser_api_and_page(app: Flask, query: str) -> None:
    segmenter = app.extensions["xinxi"].segmenter
    start = time.perf_counter()
    with pytest.raises(QueryTooComplexError):
        parse_query(query, segmenter)
    assert time.perf_counter() - start < 0.5

    start = time.perf_counter()
    response = app.test_client().get("/api/v1/search", query_string={"q": query}, headers=bearer("editor"))
    assert time.perf_counter() - start < 1.0
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "QueryTooComplexError" and re.search(r"[\u4e00-\u9fff]", body["message"])

    editor = login(app.test_client(), "editor")
    response = editor.get("/search", query_string={"q": query})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'class="flash error search-error"' in page and body["message"] in page
    assert 'name="q" value="' + query[:40].replace('"', "&#34;") in page  # the query stays in the box


def test_queries_at_the_bounds_are_answered_well_under_a_second(app: Flask) -> None:
    for i in range(30):
        submit(f"某县推进高标准农田建设第{i}期", f"今年以来，我县新建高标准农田{i}万亩，带动农民增收。")
    segmenter = app.extensions["xinxi"].segmenter
    backend = app.extensions["xinxi"].search
    from search import SearchQuery

    worst = [
        "农田 OR " * 49 + "增收",
        "-" * 99 + "农田",
        "(" * 8 + "农田 OR 增收" + ")" * 8,
        "高标准农田建设" * 70,  # 490 characters in one word
        " ".join(f"词{i}" for i in range(50)),
    ]
    for query in worst:
        assert len(query) <= MAX_QUERY_CHARS
        try:
            parse_query(query, segmenter)
        except QueryTooComplexError:
            continue  # refused by the token bound: also a fast, clear answer
        start = time.perf_counter()
        backend.search(SearchQuery(text=query, want_facets=True))
        elapsed = time.perf_counter() - start
        print(f"\n{query[:20]}… ({len(query)} chars): {elapsed * 1000:.0f} ms")
        assert elapsed < 1.0, query


def test_plain_syntax_errors_show_inline_with_status_400(app: Flask) -> None:
    editor = login(app.test_client(), "editor")
    for query, params in [('"未闭合', {}), ("(农田", {}), ("农田", {"from": "2026-13-45"})]:
        response = editor.get("/search", query_string={"q": query, **params})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "search-error" in page and "<form" in page
    with pytest.raises(QuerySyntaxError):
        parse_query('"未闭合', app.extensions["xinxi"].segmenter)


# --- text --------------------------------------------------------------------------------------


def _stored(item_id: int) -> Item:
    db.session.expire_all()
    item = db.session.get(Item, item_id)
    assert item is not None
    return item


def _assert_clean(*texts: str | None) -> None:
    for text in texts:
        assert text is not None
        assert not re.search("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f\ud800-\udfff]", text), repr(text)
        text.encode("utf-8")


def test_api_strips_nul_and_lone_surrogates_on_both_databases(any_db_app: Flask) -> None:
    body = {
        "title": f"某县{UNSAFE}推进\ud800高标准农田建设",
        "text": f"今年以来，我县\x00新建\udfff高标准农田3.5万亩。{UNSAFE}带动农民增收。",
        "author": "王\x00某\ud83d",
        "unit": "yx",
    }
    raw = json.dumps(body)  # ensure_ascii: the surrogates travel as \ud800 escapes, as attackers send them
    assert "\\ud800" in raw and "\\u0000" in raw
    response = any_db_app.test_client().post(
        "/api/v1/items", data=raw, content_type="application/json", headers=bearer("editor")
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["title"] == "某县 推进高标准农田建设"  # the vertical tab was a line break
    item = _stored(created["id"])
    _assert_clean(item.title, item.original_text, item.clean_text, item.author, item.versions[0].text)
    assert "新建高标准农田" in item.original_text and item.author == "王某"

    review = {"action": "reject", "reason": "理由\x00含\ud800控制字符"}
    response = any_db_app.test_client().post(
        f"/api/v1/items/{created['id']}/review",
        data=json.dumps(review),
        content_type="application/json",
        headers=bearer("editor"),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    _assert_clean(_stored(created["id"]).review_reason)


def test_forms_uploads_and_query_strings_strip_unsafe_characters(any_db_app: Flask) -> None:
    reporter = login(any_db_app.test_client(), "reporter")
    response = reporter.post(
        "/items/new",
        data={
            "title": f"标题{UNSAFE}含控制符",
            "text": "正文\x00内容，推进\x1f农田建设。",
            "author": "李\x00四",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    item = _stored(int(response.headers["Location"].rsplit("/", 1)[1]))
    _assert_clean(item.title, item.original_text, item.author)
    assert item.title == "标题 含控制符"  # the vertical tab was a line break, folded into one title line

    # One NUL among enough text: the decoder refuses files that are mostly control characters.
    upload = ("上传\x00的标题\n" + "正文内容，推进农田建设。" * 5 + "\x0c第二页。").encode()
    response = reporter.post(
        "/items/new",
        data={"title": "", "file": (io.BytesIO(upload), "文件\x00名.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    item = _stored(int(response.headers["Location"].rsplit("/", 1)[1]))
    _assert_clean(item.title, item.original_text, item.source_filename)

    editor = login(any_db_app.test_client(), "editor")
    for raw in ["q=%00%00", "q=%ED%A0%80", "q=%C0%AF", "q=a%00b&unit=%00&from=%00", "%00=%00"]:
        assert editor.get("/search", query_string=raw).status_code in (200, 400)
        api = any_db_app.test_client().get("/api/v1/search", query_string=raw, headers=bearer("editor"))
        assert api.status_code in (200, 400)
    response = editor.post(f"/items/{item.id}/review", data={"action": "reject", "reason": "退回\x00理由"})
    assert response.status_code == 302
    _assert_clean(_stored(item.id).review_reason)


def test_malformed_json_bodies_get_400(app: Flask) -> None:
    headers = {**bearer("editor"), "Content-Type": "application/json"}
    client = app.test_client()
    for raw in [b"[" * 100_000, b'{"title": "\xff\xfe"}', b'{"title": ', b"null", b'"\\ud800"', b"[1]"]:
        response = client.post("/api/v1/items", data=raw, headers=headers)
        assert response.status_code == 400, raw[:20]
        assert set(response.get_json()) == {"error", "message"}


# --- Word files --------------------------------------------------------------------------------


def _real_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("某县推进高标准农田建设")
    document.add_paragraph("今年以来，我县新建高标准农田3.5万亩，带动农民增收。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _replace_part(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for member in source.infolist():
            zf.writestr(member.filename, content if member.filename == name else source.read(member))
    return out.getvalue()


def _bomb(path: Path, megabytes: int) -> None:
    """A real Word file whose document.xml is `megabytes` MB of repeated paragraphs, deflated."""
    paragraph = b"<w:p><w:r><w:t>" + "农田建设".encode() * 16 + b"</w:t></w:r></w:p>"
    chunk = paragraph * (1024 * 1024 // len(paragraph))
    with zipfile.ZipFile(io.BytesIO(_real_docx())) as source, zipfile.ZipFile(path, "w") as zf:
        for member in source.infolist():
            if member.filename != "word/document.xml":
                zf.writestr(member, source.read(member))
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as part:
            part.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">')
            part.write(b"<w:body>")
            for _ in range(megabytes):
                part.write(chunk)
            part.write(b"</w:body></w:document>")


_MEASURE = textwrap.dedent(
    """
    import resource, sys, time, tracemalloc
    from webapp.services.errors import ValidationError
    from webapp.services.files import extract
    data = open(sys.argv[1], "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    try:
        extract("bomb.docx", data)
        outcome = "accepted"
    except ValidationError as exc:
        outcome = exc.code
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(outcome, elapsed, peak, (after - before) * 1024)
    """
)


def test_docx_bomb_is_refused_fast_with_flat_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    _bomb(bomb, 400)
    with zipfile.ZipFile(bomb) as zf:
        declared = sum(m.file_size for m in zf.infolist())
    assert declared > 400 * 1024 * 1024 > MAX_DOCX_UNCOMPRESSED
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(bomb)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    outcome, elapsed, peak, rss_growth = result.stdout.split()
    print(
        f"\n.docx bomb: {bomb.stat().st_size / 1e6:.2f} MB file declaring {declared / 1e6:.0f} MB of XML: "
        f"{outcome} in {float(elapsed) * 1000:.1f} ms, tracemalloc peak {int(peak) / 1e6:.2f} MB, "
        f"max RSS growth {int(rss_growth) / 1e6:.2f} MB"
    )
    assert outcome == "docx_too_large"
    assert float(elapsed) < 1.0
    # The file itself is read once (a few MB at most); nothing near the inflated size is allocated.
    assert int(peak) < 10 * 1024 * 1024
    assert int(rss_growth) < 20 * 1024 * 1024


def test_docx_bomb_upload_gets_a_400_page(app: Flask, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    _bomb(bomb, 60)  # small enough for werkzeug to keep the upload in memory
    reporter = login(app.test_client(), "reporter")
    response = reporter.post(
        "/items/new",
        data={"title": "", "file": (io.BytesIO(bomb.read_bytes()), "大文件.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "疑似损坏或恶意文件" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: _replace_part(d, "word/document.xml", b"<w:document xmlns:w='x'><w:body><w:p>"),
        lambda d: _replace_part(d, "word/document.xml", b"\x00\xff not xml at all"),
        lambda d: _replace_part(d, "word/document.xml", b"<?xml version='1.0'?><a>&undefined;</a>"),
        lambda d: _replace_part(d, "[Content_Types].xml", b"<Types"),
        lambda d: _replace_part(d, "word/_rels/document.xml.rels", b"<Relationships><x"),
        lambda d: _replace_part(d, "word/document.xml", b"<root xmlns='urn:not-word'/>"),
        lambda d: d[: len(d) // 2],
        lambda d: b"PK\x05\x06" + b"\x00" * 18,
        lambda d: d.replace(b"word/document.xml", b"word/documenx.xml"),
    ],
    ids=[
        "unclosed",
        "binary",
        "entity",
        "content-types",
        "rels",
        "foreign-root",
        "truncated",
        "empty-zip",
        "no-doc",
    ],
)
def test_malformed_word_files_get_a_validation_error(mangle: object) -> None:
    data = mangle(_real_docx())  # type: ignore[operator]
    with pytest.raises(ValidationError) as caught:
        extract("坏文件.docx", data)
    assert caught.value.status == 400 and re.search(r"[\u4e00-\u9fff]", caught.value.message)


def test_real_word_files_still_read(app: Flask) -> None:
    extracted = extract("农田.docx", _real_docx())
    assert extracted.title == "某县推进高标准农田建设" and "3.5万亩" in extracted.text
