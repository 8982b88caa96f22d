"""The JSON API (`/api/v1`), authenticated with `Authorization: Bearer <token>`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.wrappers import Response

from webapp.converters import MAX_ID, parse_id
from webapp.extensions import client_address, csrf, limiter
from webapp.models import Item, Outlet, Request, Unit, UpwardReport, User
from webapp.openapi import openapi_spec
from webapp.services import balance, bulletins, items, jobs, reports, requests, scoring, searching, upward
from webapp.services import units as units_service
from webapp.services.access import can_see, is_reader
from webapp.services.errors import DomainError, Forbidden, NotFound, ValidationError
from webapp.services.paging import PageRequest, page_of
from webapp.services.users import user_for_token
from webapp.timeutil import local_today
from webapp.views.bulletins import docx_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
# Failed token checks per client address, over the whole API (XINXI_API_AUTH_LIMIT); JSON 429 beyond.
limiter.shared_limit(
    lambda: current_app.config["XINXI_API_AUTH_LIMIT"],
    scope="api-auth",
    key_func=client_address,
    deduct_when=lambda response: response.status_code == 401,
)(bp)


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Resolve the bearer token to a user in `g.user`, or answer 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            raise Unauthorized("缺少或无效的 API 令牌（Authorization: Bearer <token>）")
        g.user = user
        return view(*args, **kwargs)

    return wrapper


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("请求体必须是 JSON 对象", code="invalid_json")
    return body


def _str_field(body: dict[str, Any], name: str, default: str = "") -> str:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValidationError(f"字段 {name} 必须是字符串", code="invalid_field")
    return value


def _id_field(body: dict[str, Any], name: str) -> int | None:
    """An optional id field: absent or null, else an id in range (a clear 400 otherwise)."""
    value = body.get(name)
    if value is None:
        return None
    number = parse_id(value)
    if number is None:
        raise ValidationError(f"字段 {name} 必须是 1–{MAX_ID} 之间的整数", code="invalid_field")
    return number


def item_json(item: Item) -> dict[str, Any]:
    """The API's representation of an item."""
    return {
        "id": item.id,
        "title": item.title,
        "text": item.original_text,
        "clean_text": item.clean_text,
        "unit": item.unit.code,
        "unit_name": item.unit.name,
        "author": item.author,
        "writer": item.writer.name if item.writer else None,
        "event_date": item.event_date.isoformat(),
        "submitted_at": item.submitted_at.isoformat(),
        "status": item.status,
        "level": item.level,
        "kind": item.kind,
        "kind_score": item.kind_score,
        "kind_evidence": item.kind_evidence,
        "topics": [{"name": t.name, "score": t.score, "evidence": t.evidence} for t in item.topics],
        "keywords": item.keywords,
        "publications": [a.publication.code for a in item.adoptions],
        "review_reason": item.review_reason,
        "genre": item.genre,
        "event_time": item.event_time.isoformat() if item.event_time else None,
        "request_id": item.request_id,
        "upward": [_upward_json(row) for row in item.upward_reports],
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_spec())


@bp.post("/items")
@token_required
def create_item() -> tuple[Response, int]:
    body = _json_body()
    result = items.submit_item(
        g.user,
        items.ItemInput(
            title=_str_field(body, "title"),
            text=_str_field(body, "text"),
            unit_code=_str_field(body, "unit") or None,
            event_date=_str_field(body, "event_date") or None,
            level=_str_field(body, "level") or None,
            author=_str_field(body, "author"),
            genre=_str_field(body, "genre") or "dynamic",
            event_time=_str_field(body, "event_time") or None,
            event_grade=_str_field(body, "event_grade") or None,
            writer=_str_field(body, "writer") or None,
            request_id=_id_field(body, "request_id"),
        ),
    )
    payload = item_json(result.item)
    payload["duplicates"] = [
        {"id": d.item_id, "title": d.title, "unit": d.unit, "similarity": d.similarity}
        for d in result.duplicates
    ]
    payload["notices"] = result.notices
    return jsonify(payload), 201


@bp.get("/items")
@token_required
def list_items() -> Response:
    """A page of the items the caller may see, filtered and sorted, with total, page and per_page."""
    args = request.args
    filters = items.ItemFilter(
        status=args.get("status") or None,
        unit=args.get("unit") or None,
        topic=args.get("topic") or None,
        kind=args.get("kind") or None,
        level=args.get("level") or None,
    )
    page = items.page_items(
        g.user, filters, PageRequest.from_args(args), args.get("sort") or "newest", whole=True
    )
    return jsonify(**page.as_json(), items=[item_json(item) for item in page.rows])


@bp.get("/items/<int:item_id>")
@token_required
def get_item(item_id: int) -> Response:
    return jsonify(item_json(items.get_item(g.user, item_id)))


@bp.post("/items/<int:item_id>/review")
@token_required
def review_item(item_id: int) -> Response:
    body = _json_body()
    item = items.review_item(
        g.user,
        item_id,
        _str_field(body, "action"),
        _str_field(body, "publication") or None,
        _str_field(body, "reason"),
    )
    return jsonify(item_json(item))


@bp.post("/items/<int:item_id>/withdraw")
@token_required
def withdraw_item(item_id: int) -> Response:
    item = items.withdraw_item(g.user, item_id, _str_field(_json_body(), "reason"))
    return jsonify(item_json(item))


@bp.post("/items/<int:item_id>/reinstate")
@token_required
def reinstate_item(item_id: int) -> Response:
    body = _json_body() if request.get_data() else {}
    return jsonify(item_json(items.reinstate_item(g.user, item_id, _str_field(body, "reason"))))


@bp.get("/search")
@token_required
def search() -> Response:
    page = searching.search_items(g.user, request.args, facets=request.args.get("facets") != "0")
    return jsonify(
        total=page.total,
        page=page.query.page,
        per_page=page.query.per_page,
        pages=page.pages,
        hits=[
            {
                "id": row.item.id,
                "title": row.item.title,
                "unit": row.item.unit.code,
                "unit_name": row.item.unit.name,
                "date": row.item.event_date.isoformat(),
                "kind": row.item.kind,
                "status": row.item.status,
                "topics": row.item.topic_names,
                "snippet": row.hit.snippet,
                "score": row.hit.score,
            }
            for row in page.rows
        ],
        facets=page.facets,
    )


@bp.post("/bulletins")
@token_required
def create_bulletin() -> tuple[Response, int]:
    body = _json_body()
    item_ids = body.get("item_ids")
    if not isinstance(item_ids, list) or not all(parse_id(i) == i for i in item_ids):
        raise ValidationError(f"item_ids 必须是信息编号（1 至 {MAX_ID} 的整数）的列表", code="invalid_field")
    columns = body.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(c, str) for c in columns.values()):
        raise ValidationError("columns 必须是 {信息编号: 栏目} 对象", code="invalid_field")
    entries = [bulletins.EntryInput(i, columns.get(str(i))) for i in item_ids]
    override = _str_field(body, "override_reason")  # publish again items already in this publication
    issue = bulletins.create_issue(
        g.user,
        _str_field(body, "publication"),
        entries,
        editor_note=_str_field(body, "editor_note") or None,
        override_reason=override,
    )
    if body.get("publish", True):
        issue = bulletins.publish_issue(g.user, issue.id, override)
    return jsonify(
        id=issue.id,
        number=issue.number,
        status=issue.status,
        year=issue.year,
        publication=issue.publication.code,
        label=issue.label,
        item_ids=[e.item_id for e in issue.entries],
    ), 201


@bp.get("/bulletins/<int:issue_id>.docx")
@token_required
def bulletin_docx(issue_id: int) -> Response:
    return docx_response(*bulletins.export_issue(g.user, issue_id))


def _stats_reader() -> None:
    if not is_reader(g.user):
        raise Forbidden("统计数据只对编辑、领导和管理员开放")


@bp.get("/stats/balance")
@token_required
def stats_balance() -> Response:
    _stats_reader()
    args = request.args
    scope = balance.build_scope(args.get("from"), args.get("to"), args.get("category"), args.get("unit"))
    return jsonify(balance.balance(scope).as_json())


@bp.get("/stats/ranking")
@token_required
def stats_ranking() -> Response:
    """Rankings for a period: one category (`category`), or every category when it is omitted."""
    _stats_reader()
    period = scoring.parse_period(request.args.get("period") or f"{local_today():%Y-%m}")
    code = request.args.get("category")
    parts = (
        [(scoring.category_units(code)[0], scoring.ranking(code, period))]
        if code
        else reports.sections(period)
    )
    listed = [
        {"category": c.code, "name": c.name, "rows": [_ranking_json(r) for r in rows]} for c, rows in parts
    ]
    body: dict[str, Any] = {"period": period.key, "label": period.label, "categories": listed}
    if code:
        body.update(category=code, rows=listed[0]["rows"])
    return jsonify(body)


def _ranking_json(row: scoring.RankingRow) -> dict[str, Any]:
    return {
        "rank": row.rank,
        "unit": row.unit.code,
        "unit_name": row.unit.name,
        "points": row.points,
        "adopted": row.adopted,
        "submitted": row.submitted,
        "adopted_of_submitted": row.adopted_of_submitted,
        "adoption_rate": round(row.adoption_rate, 4),
        "problem_share": round(row.problem_share, 4),
        "rank_change": row.rank_change,
        "target": row.target,
        "progress": None if row.progress is None else round(row.progress, 4),
        "qualified": row.target_met,
        "target_met": row.target_met,
        "excellent": row.excellent,
    }


@bp.get("/publications")
@token_required
def publications() -> Response:
    return jsonify(
        publications=[
            {"code": p.code, "name": p.name, "issuing_office": p.issuing_office}
            for p in bulletins.list_publications()
        ]
    )


def _unit_json(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "category": unit.category.code,
        "category_name": unit.category.name,
        "direct_reporting": unit.direct_reporting,
        "office": unit.is_office,
        "active": unit.active,
    }


@bp.get("/units")
@token_required
def units() -> Response:
    """Active units; `?all=1` lists deactivated ones too."""
    listed = units_service.list_units(include_inactive=request.args.get("all") == "1")
    return jsonify(units=[_unit_json(u) for u in listed])


@bp.post("/units")
@token_required
def save_unit() -> tuple[Response, int]:
    body = _json_body()
    flags = {
        name: body.get(name, default)
        for name, default in (("direct_reporting", False), ("active", True), ("office", False))
    }
    if not all(isinstance(value, bool) for value in flags.values()):
        raise ValidationError("direct_reporting、active、office 必须是布尔值", code="invalid_field")
    unit = units_service.save_unit(
        g.user,
        _str_field(body, "code"),
        _str_field(body, "name"),
        _str_field(body, "category"),
        direct_reporting=flags["direct_reporting"],
        active=flags["active"],
        is_office=flags["office"],
    )
    return jsonify(_unit_json(unit)), 201


def _outlet_json(outlet: Outlet, rules: scoring.ScoreRules) -> dict[str, Any]:
    return {
        "code": outlet.code,
        "name": outlet.name,
        "tier": outlet.tier,
        "points": rules.upward(outlet),
        "active": outlet.active,
    }


@bp.get("/outlets")
@token_required
def outlets() -> Response:
    _, rules = scoring.rule_book().at(local_today())
    return jsonify(outlets=[_outlet_json(o, rules) for o in upward.list_outlets(include_inactive=True)])


@bp.post("/outlets")
@token_required
def save_outlet() -> tuple[Response, int]:
    body = _json_body()
    points = body.get("points")
    if points is not None and (isinstance(points, bool) or not isinstance(points, int | float)):
        raise ValidationError("字段 points 必须是数值", code="invalid_field")
    effective = _str_field(body, "effective_from")
    outlet = upward.save_outlet(
        g.user,
        _str_field(body, "code"),
        _str_field(body, "name"),
        _str_field(body, "tier"),
        points=points,
        effective_from=items.parse_event_date(effective) if effective else None,
        active=body.get("active", True) is not False,
    )
    _, rules = scoring.rule_book().at(local_today())
    return jsonify(_outlet_json(outlet, rules)), 201


@bp.post("/items/<int:item_id>/upward")
@token_required
def record_upward(item_id: int) -> tuple[Response, int]:
    body = _json_body()
    points = body.get("points")
    if points is not None and (isinstance(points, bool) or not isinstance(points, int | float)):
        raise ValidationError("字段 points 必须是数值", code="invalid_field")
    row = upward.record_upward(
        g.user,
        item_id,
        _str_field(body, "outlet"),
        _str_field(body, "kind"),
        _str_field(body, "date") or None,
        points,
        _str_field(body, "note"),
    )
    return jsonify(_upward_json(row)), 201


def _upward_json(row: UpwardReport) -> dict[str, Any]:
    return {
        "id": row.id,
        "item": row.item_id,
        "outlet": row.outlet.code,
        "kind": row.kind,
        "date": row.reported_on.isoformat(),
        "points": row.awarded_points,
        "note": row.note,
    }


@bp.get("/stats/upward")
@token_required
def stats_upward() -> Response:
    _stats_reader()
    period = scoring.parse_period(request.args.get("period") or f"{local_today().year}-ytd")
    return jsonify(upward.upward_figures(period).as_json())


@bp.get("/scoring/rules")
@token_required
def scoring_rules() -> Response:
    """The rules in force on a day (`date`, default today) and every rule set's effective date."""
    _stats_reader()
    day = request.args.get("date")
    on = items.parse_event_date(day) if day else local_today()
    _, rules = scoring.rule_book().at(on)
    sets = [effective.isoformat() for effective, _, _ in scoring.rule_book().sets]
    return jsonify(date=on.isoformat(), rules=dataclasses.asdict(rules), rule_sets=sets)


@bp.put("/scoring/rules")
@token_required
def save_scoring_rules() -> Response:
    """Store a rule set effective from `effective_from` (administrators); earlier periods keep theirs."""
    body = _json_body()
    rules = body.get("rules")
    if not isinstance(rules, dict):
        raise ValidationError("字段 rules 必须是对象", code="invalid_field")
    effective = _str_field(body, "effective_from")
    try:
        day = date.fromisoformat(effective)
    except ValueError:
        raise ValidationError("effective_from 格式应为 YYYY-MM-DD", code="invalid_date") from None
    row = scoring.save_rules(g.user, day, rules, rescore=False)
    job = jobs.start(g.user, "rescore")
    return jsonify(effective_from=row.effective_from.isoformat(), rules=row.rules, job=job.id)


def _request_json(commissioned: Request, viewer: User) -> dict[str, Any]:
    return {
        "id": commissioned.id,
        "topic": commissioned.topic,
        "description": commissioned.description,
        "deadline": commissioned.deadline.isoformat(),
        "instruction": (
            {
                "leader": commissioned.instruction_leader,
                "text": commissioned.instruction_text,
                "days": commissioned.time_limit_days,
            }
            if commissioned.instruction_leader
            else None
        ),
        "state": requests.request_state(commissioned),
        "targets": [
            {
                "unit": t.unit.code,
                "state": t.state,
                "answers": [
                    {"id": a.id, "verdict": a.request_verdict, "submitted_at": a.submitted_at.isoformat()}
                    for a in t.answers
                    if can_see(viewer, a)
                ],
            }
            for t in requests.target_states(commissioned)
            if is_reader(viewer) or t.unit.id == viewer.unit_id
        ],
    }


@bp.get("/requests")
@token_required
def list_requests() -> Response:
    """The requests the user may see (reporters: those issued to their unit), newest deadline first."""
    listed = page_of(requests.list_requests(g.user), PageRequest.from_args(request.args))
    return jsonify(requests=[_request_json(r, g.user) for r in listed.rows], **listed.as_json())


@bp.post("/requests")
@token_required
def create_request() -> tuple[Response, int]:
    body = _json_body()
    codes: dict[str, list[str]] = {}
    for name in ("units", "categories"):
        value = body.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError(f"字段 {name} 必须是字符串数组", code="invalid_field")
        codes[name] = value
    raw = body.get("instruction")
    instruction = None
    if raw is not None:
        days = raw.get("days") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or (
            days is not None and (isinstance(days, bool) or not isinstance(days, int))
        ):
            raise ValidationError("instruction 应为 {leader, text, days}", code="invalid_field")
        instruction = requests.LeaderInstruction(_str_field(raw, "leader"), _str_field(raw, "text"), days)
    commissioned = requests.create_request(
        g.user,
        _str_field(body, "topic"),
        _str_field(body, "description"),
        _str_field(body, "deadline") or None,
        unit_codes=codes["units"],
        category_codes=codes["categories"],
        instruction=instruction,
    )
    return jsonify(_request_json(commissioned, g.user)), 201


@bp.post("/requests/<int:request_id>/answers/<int:item_id>/verdict")
@token_required
def judge_answer(request_id: int, item_id: int) -> Response:
    verdict = _str_field(_json_body(), "verdict")
    if items.get_item(g.user, item_id).request_id != request_id:
        raise NotFound(f"约稿 {request_id} 没有答复 {item_id}")
    item = requests.judge_answer(g.user, item_id, verdict)
    assert item.request is not None
    return jsonify(_request_json(item.request, g.user))
