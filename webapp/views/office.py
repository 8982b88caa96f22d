"""The office's steering pages: balance dashboard, rankings and 通报, unit records, commissioned
requests, and the scoring configuration."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from io import BytesIO
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from webapp import charts
from webapp.extensions import db
from webapp.models import GENRES, KIND_LABELS, SCORE_CAUSES, Unit, UnitCategory
from webapp.services import balance, jobs, reports, requests, scoring, timeliness, units, upward, writers
from webapp.services.access import can_see_request, can_see_unit_record, is_admin, is_reader
from webapp.services.errors import DomainError, Forbidden, NotFound, ValidationError
from webapp.services.paging import PageRequest, page_of
from webapp.timeutil import local_today
from webapp.views.flashing import attempt

bp = Blueprint("office", __name__)
EXPORT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _require_reader() -> None:
    if not is_reader(current_user):
        raise Forbidden("没有权限")


def _categories() -> list[UnitCategory]:
    return list(db.session.scalars(db.select(UnitCategory).order_by(UnitCategory.sort_order)))


def _unit(code: str) -> Unit:
    unit = db.session.scalar(db.select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"没有编码为 {code} 的报送单位")
    return unit


@bp.route("/dashboard")
@login_required
def dashboard() -> str:
    _require_reader()
    args = request.args
    scope = balance.build_scope(args.get("from"), args.get("to"), args.get("category"), args.get("unit"))
    figures = balance.balance(scope)
    return render_template(
        "dashboard.html",
        b=figures,
        figures=_dashboard_charts(figures),
        scope=scope,
        args=args,
        categories=_categories(),
        # The filter lists every active unit: the figures' own list when the scope is all of them.
        units=[u for u, _ in figures.unit_mix]
        if scope.unit is None and scope.category is None
        else balance.scope_units(balance.Scope(scope.date_from, scope.date_to)),
    )


def _kind_bars(counts: balance.KindCounts, args: Mapping[str, Any], **size: int) -> Markup:
    return charts.stacked_bar(
        [
            charts.Bar(
                KIND_LABELS[k],
                getattr(counts, k),
                url_for("pages.search", **args, kind=k),
                charts.KIND_COLOURS[k],
            )
            for k in balance.KINDS
        ],
        **size,
    )


def _dashboard_charts(figures: balance.Balance) -> dict[str, object]:
    """The dashboard's SVG charts; every bar links to a search for the items behind it."""
    scope = figures.scope

    def search(**extra: str) -> str:
        args: dict[str, Any] = scope.search_args(**extra)  # url_for types its keywords loosely
        return url_for("pages.search", **args)

    def unit_args(unit: Unit) -> dict[str, str]:
        args = scope.search_args()
        args.pop("category", None)
        return {**args, "unit": unit.code}

    return {
        "kinds": _kind_bars(figures.submitted, scope.search_args()),
        "topics": charts.bar_chart([charts.Bar(n, c, search(topic=n)) for n, c in figures.topics.items()]),
        "grassroots": charts.bar_chart(
            [charts.Bar(n, c, search(q=n)) for n, c in figures.grassroots.items()], label_width=60
        ),
        "units": {
            unit.id: _kind_bars(counts, unit_args(unit), width=300, height=14) if counts.total else ""
            for unit, counts in figures.unit_mix
        },
    }


@bp.route("/rankings")
@login_required
def rankings() -> str:
    _require_reader()
    period = scoring.parse_period(request.args.get("period") or f"{local_today():%Y-%m}")
    return render_template(
        "rankings.html",
        period=period,
        sections=reports.sections(period),
        charts=charts,
        quick_periods=_quick_periods(),
        excellent_rule=scoring.EXCELLENT_RULE,
    )


def _quick_periods() -> list[tuple[str, str]]:
    """The periods an office reports most: this month, last month, this quarter, the year so far,
    last year."""
    today = local_today()
    month = scoring.parse_period(f"{today:%Y-%m}")
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    return [
        (month.key, "本月"),
        (month.previous().key, "上月"),
        (quarter, "本季度"),
        (f"{today.year}-ytd", "年初至今"),
        (str(today.year), "本年度"),
        (str(today.year - 1), "上年度"),
    ]


@bp.route("/upward")
@login_required
def upward_page() -> str:
    _require_reader()
    period = scoring.parse_period(request.args.get("period") or f"{local_today().year}-ytd")
    direct = list(db.session.scalars(db.select(Unit).where(Unit.active, Unit.direct_reporting)))
    return render_template(
        "upward.html",
        figures=upward.upward_figures(period),
        standings=upward.standings(),
        quick_periods=_quick_periods(),
        direct_silent=[s for s in balance.silent_units(direct) if s.kind == "no_upward"],
    )


@bp.route("/upward/standings", methods=["POST"])
@login_required
def record_standing() -> Response:
    form = request.form
    attempt(
        lambda: upward.record_standing(
            current_user,
            form.get("period", ""),
            form.get("measure", ""),
            form.get("value", ""),
            form.get("out_of"),
            form.get("note", ""),
        ),
        "已登记",
    )
    return redirect(url_for("office.upward_page"))


@bp.route("/upward/standings/<int:standing_id>/delete", methods=["POST"])
@login_required
def delete_standing(standing_id: int) -> Response:
    attempt(lambda: upward.delete_standing(current_user, standing_id), "已删除")
    return redirect(url_for("office.upward_page"))


@bp.route("/admin/outlets", methods=["GET", "POST"])
@login_required
def outlets() -> str | Response:
    if not is_admin(current_user):
        raise Forbidden("只有管理员可以管理上级刊物和分值")
    form = request.form
    if request.method == "POST":
        try:
            effective = date.fromisoformat(form.get("effective_from") or local_today().isoformat())
        except ValueError:
            flash("生效日期格式应为 YYYY-MM-DD", "error")
        else:
            attempt(
                lambda: upward.save_outlet(
                    current_user,
                    form.get("code", ""),
                    form.get("name", ""),
                    form.get("tier", ""),
                    points=form.get("points"),
                    effective_from=effective,
                    active=form.get("active", "1") == "1",
                ),
                "已保存上级刊物或渠道",
            )
        return redirect(url_for("office.outlets"))
    _, rules = scoring.rule_book().at(local_today())
    return render_template(
        "admin_outlets.html", outlets=upward.list_outlets(include_inactive=True), rules=rules
    )


@bp.route("/rankings/export.<kind>")
@login_required
def export_ranking(kind: str) -> Response:
    _require_reader()
    if kind not in EXPORT_TYPES:
        raise NotFound("不支持的导出格式")
    period = scoring.parse_period(request.args.get("period") or f"{local_today():%Y-%m}")
    if kind == "docx":
        filename, data = reports.ranking_docx(period, current_user)
    else:
        filename, data = (reports.ranking_csv if kind == "csv" else reports.ranking_xlsx)(period)
    return send_file(BytesIO(data), mimetype=EXPORT_TYPES[kind], as_attachment=True, download_name=filename)


@bp.route("/units/<code>")
@login_required
def unit_record(code: str) -> str:
    unit = _unit(code)
    if not can_see_unit_record(current_user, unit):
        raise Forbidden("只能查看本单位的记录")
    period = scoring.parse_period(request.args.get("period") or str(local_today().year))
    ledger = scoring.ledger(code, period, request.args.get("cause") or None)
    return render_template(
        "unit.html",
        unit=unit,
        period=period,
        ledger=page_of(ledger, PageRequest.from_args(request.args)),
        total=round(sum(e.points for e in ledger), 2),
        causes=SCORE_CAUSES,
        requests=[r for r in requests.list_requests(None) if any(t.unit_id == unit.id for t in r.targets)],
        late=timeliness.late_reports([unit.id], period.start, period.end),
        missed=timeliness.missed_reports([unit.id], period.start, period.end),
        silent=balance.silent_units([unit]),
        target=scoring.yearly_targets(unit.category.code, period.year).get(unit.id),
        request_states=requests.target_states,
        writers=writers.roster(code),
        writer_points={r.writer.id: r for r in writers.writer_points(period, [unit.id])},
        can_keep_roster=writers.can_keep_roster(current_user, unit),
    )


@bp.route("/units/<code>/writers", methods=["POST"])
@login_required
def save_writer(code: str) -> Response:
    form = request.form
    attempt(
        lambda: writers.save_writer(
            current_user,
            code,
            form.get("name", ""),
            full_time=form.get("full_time") == "1",
            leader_in_charge=form.get("leader_in_charge", ""),
            phone=form.get("phone", ""),
            in_post=form.get("in_post", "1") == "1",
            trainings=form.get("trainings", ""),
        ),
        "已保存信息员",
    )
    return redirect(url_for("office.unit_record", code=code))


@bp.route("/admin/units", methods=["GET", "POST"])
@login_required
def unit_admin() -> str | Response:
    if not is_admin(current_user):
        raise Forbidden("只有管理员可以管理报送单位")
    form = request.form
    if request.method == "POST":
        if form.get("section") == "category":
            attempt(
                lambda: units.save_category(
                    current_user, form.get("code", ""), form.get("name", ""), form.get("sort_order", "0")
                ),
                "已保存单位类别",
            )
        else:
            attempt(
                lambda: units.save_unit(
                    current_user,
                    form.get("code", ""),
                    form.get("name", ""),
                    form.get("category", ""),
                    direct_reporting=form.get("direct_reporting") == "1",
                    active=form.get("active", "1") == "1",
                    is_office=form.get("is_office") == "1",
                ),
                "已保存报送单位",
            )
        return redirect(url_for("office.unit_admin"))
    return render_template("admin_units.html", categories=units.list_categories(), units=units.list_units())


@bp.route("/units/<code>/missed", methods=["POST"])
@login_required
def record_missed(code: str) -> Response:
    attempt(
        lambda: timeliness.record_missed(
            current_user,
            code,
            request.form.get("event_date"),
            request.form.get("description", ""),
            request.form.get("kind", "missed"),
        ),
        "已登记",
    )
    return redirect(url_for("office.unit_record", code=code))


@bp.route("/units/<code>/score", methods=["POST"])
@login_required
def adjust_score(code: str) -> Response:
    """A manual ledger correction, or (admins) a yearly target override."""
    form = request.form
    try:
        if form.get("action") == "target":
            raw = form.get("points", "").strip()
            scoring.set_target(current_user, code, int(form.get("year", "0")), float(raw) if raw else None)
            flash("已设置年度目标", "success")
        else:
            day = date.fromisoformat(form.get("day") or local_today().isoformat())
            scoring.add_correction(
                current_user, code, day, float(form.get("points", "")), form.get("note", "")
            )
            flash("已记入计分台账", "success")
    except ValueError:
        flash("分值、年份或日期格式有误", "error")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("office.unit_record", code=code))


def _instruction(form: Mapping[str, str]) -> requests.LeaderInstruction | None:
    """The leader's 批示 a request form names, if any (its time limit in days sets the deadline)."""
    leader, text, days = (
        form.get("leader", ""),
        form.get("instruction", ""),
        form.get("time_limit", "").strip(),
    )
    if not (leader.strip() or text.strip() or days):
        return None
    if days and not days.isdigit():
        raise ValidationError("批示时限应为天数", code="invalid_time_limit")
    return requests.LeaderInstruction(leader, text, int(days) if days else None)


@bp.route("/requests", methods=["GET", "POST"])
@login_required
def request_list() -> str | Response:
    if request.method == "POST":
        form = request.form
        try:
            created = requests.create_request(
                current_user,
                form.get("topic", ""),
                form.get("description", ""),
                form.get("deadline", ""),
                unit_codes=form.getlist("units"),
                category_codes=form.getlist("categories"),
                instruction=_instruction(form),
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(f"已发布约稿“{created.topic}”", "success")
            return redirect(url_for("office.request_detail", request_id=created.id))
    units = list(db.session.scalars(db.select(Unit).where(Unit.active).order_by(Unit.code)))
    listed = page_of(requests.list_requests(current_user), PageRequest.from_args(request.args))
    return render_template(
        "requests.html",
        page=listed,
        items=listed.rows,
        state=requests.request_state,
        units=units,
        categories=_categories(),
        preselect=request.args.getlist("unit"),
    )


@bp.route("/requests/<int:request_id>")
@login_required
def request_detail(request_id: int) -> str:
    commissioned = requests.get_request(request_id)
    if not can_see_request(current_user, commissioned):
        raise NotFound(f"约稿 {request_id} 不存在")
    return render_template(
        "request.html",
        r=commissioned,
        state=requests.request_state(commissioned),
        targets=requests.target_states(commissioned),
    )


@bp.route("/requests/<int:request_id>/answers/<int:item_id>/verdict", methods=["POST"])
@login_required
def judge_answer(request_id: int, item_id: int) -> Response:
    attempt(
        lambda: requests.judge_answer(current_user, item_id, request.form.get("verdict", "")),
        "已评定约稿答复",
    )
    return redirect(url_for("office.request_detail", request_id=request_id))


@bp.route("/requests/<int:request_id>/close", methods=["POST"])
@login_required
def close_request(request_id: int) -> Response:
    attempt(
        lambda: requests.close_request(current_user, request_id),
        "约稿已结束",
    )
    return redirect(url_for("office.request_detail", request_id=request_id))


def _parse_points(text: str, name: str) -> dict[str, float]:
    """'key=points' lines (or 'key points') into a dict."""
    result: dict[str, float] = {}
    for line in text.splitlines():
        line = line.strip().replace("=", " ").replace("：", " ").replace(":", " ")
        if not line:
            continue
        parts = line.split()
        try:
            result[parts[0]] = float(parts[1])
        except (IndexError, ValueError):
            raise ValidationError(f"{name}：“{line}”应为“编码 分值”", code="invalid_rules") from None
    return result


@bp.route("/admin/scoring", methods=["GET", "POST"])
@login_required
def scoring_settings() -> str | Response:
    if not is_admin(current_user):
        raise Forbidden("只有管理员可以修改计分规则和设置")
    form = request.form
    if request.method == "POST":
        try:
            if form.get("section") == "rules":
                values: dict[str, object] = {
                    name: _parse_points(form.get(name, ""), label)
                    for name, label in scoring.DICT_RULES.items()
                }
                values["multi_outlet"] = form.get("multi_outlet", "highest")
                values["merged_credit"] = form.get("merged_credit", "office")
                for name in scoring.NUMERIC_RULES:
                    try:
                        values[name] = float(form.get(name, ""))
                    except ValueError:
                        raise ValidationError(f"“{name}”必须是数值", code="invalid_rules") from None
                effective = date.fromisoformat(form.get("effective_from") or f"{local_today().year}-01-01")
                scoring.save_rules(current_user, effective, values, rescore=False)
                job = jobs.start(current_user, "rescore")
                flash(f"计分规则已保存，自 {effective} 起生效；正在后台重新计分（任务 {job.id}）", "success")
            else:
                scoring.save_setting(current_user, form.get("key", ""), json.loads(form.get("value", "null")))
                flash("设置已保存", "success")
        except (DomainError, ValueError) as exc:
            flash(getattr(exc, "message", f"格式有误：{exc}"), "error")
        return redirect(url_for("office.scoring_settings"))
    _, rules = scoring.rule_book().at(local_today())
    year = local_today().year
    settings = {
        f"priorities:{year}": scoring.setting(f"priorities:{year}", balance.default_priorities()),
        "balance_band": scoring.setting("balance_band", balance.DEFAULT_BAND),
        "silence": scoring.setting("silence", balance.DEFAULT_SILENCE),
        "excellent_counts": scoring.setting("excellent_counts", scoring.DEFAULT_EXCELLENT),
        scoring.BASELINE_KEY: scoring.setting(scoring.BASELINE_KEY, {}),
        "research_quota": scoring.setting("research_quota", balance.DEFAULT_RESEARCH_QUOTA),
        reports.OFFICE_SETTING: scoring.setting(reports.OFFICE_SETTING, reports.DEFAULT_OFFICE),
        # The 通报's document header: issuer's mark, 发文字号 ("{year}" = year of issue), addressees.
        reports.ISSUER_SETTING: scoring.setting(reports.ISSUER_SETTING, ""),
        reports.NUMBER_SETTING: scoring.setting(reports.NUMBER_SETTING, ""),
        reports.ADDRESSEES_SETTING: scoring.setting(reports.ADDRESSEES_SETTING, ""),
    }
    return render_template(
        "admin_scoring.html",
        rules=rules,
        settings=settings,
        json=json,
        genres=GENRES,
        rule_sets=scoring.rule_book().sets,
        merged_credit=scoring.MERGED_CREDIT,
        dict_rules=scoring.DICT_RULES,
    )
