"""The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`."""

from __future__ import annotations

from typing import Any

from search.query import MAX_QUERY_CHARS
from webapp.converters import MAX_ID, MIN_ID
from webapp.models import (
    EVENT_GRADES,
    GENRES,
    LEVELS,
    OUTLET_TIERS,
    REQUEST_VERDICTS,
    STATUS_LABELS,
    UPWARD_KINDS,
)
from webapp.services.scoring import PERIOD_HELP
from webapp.services.units import UNIT_CODE

ERROR = {"$ref": "#/components/schemas/Error"}
OUTLET = {"$ref": "#/components/schemas/Outlet"}
UPWARD = {"$ref": "#/components/schemas/Upward"}
RANKING_ROW = {"$ref": "#/components/schemas/RankingRow"}
UNIT = {"$ref": "#/components/schemas/Unit"}
# Ids as the app's URL converter and JSON parsing accept them (see webapp.converters).
ID = {"type": "integer", "minimum": MIN_ID, "maximum": MAX_ID}
CODE = {"type": "string", "pattern": UNIT_CODE.pattern}  # units.checked_code's rule
ID_PARAM = [{"name": "id", "in": "path", "required": True, "schema": ID}]
# Optional string fields of a JSON body: null is read as absent.
OPT_STR: dict[str, Any] = {"type": ["string", "null"]}


def _errors(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {"description": "错误", "content": {"application/json": {"schema": ERROR}}} for s in statuses
    }


def _json(schema: dict[str, Any], description: str = "成功") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def openapi_spec() -> dict[str, Any]:
    """Build the spec (cheap; built per request so it never drifts from LEVELS and friends)."""
    item = {"$ref": "#/components/schemas/Item"}
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Xinxi 信息报送 API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "ItemInput": {
                    "type": "object",
                    "required": ["title", "text"],
                    "properties": {
                        "title": {"type": "string", "minLength": 1, "maxLength": 300},
                        "text": {"type": "string", "minLength": 1, "maxLength": 100000},
                        "unit": {**OPT_STR, "description": "报送单位编码（信息员可省略）"},
                        "event_date": {
                            "type": ["string", "null"],
                            "format": "date",
                            "description": "事件日期，不晚于今天；省略为今天",
                        },
                        "level": {"type": ["string", "null"], "enum": [*LEVELS, None], "default": "内部"},
                        "author": {**OPT_STR, "description": "作者（超过 100 字截断）"},
                        "genre": {
                            "type": ["string", "null"],
                            "enum": [*GENRES, None],
                            "default": "dynamic",
                            "description": "信息类别：dynamic 动态、research 调研、emergency 突发事件",
                        },
                        "event_time": {
                            "type": ["string", "null"],
                            "description": "突发事件发生时间（北京时间），必填，用于判定迟报",
                            "examples": ["2026-11-20T08:30"],
                        },
                        "event_grade": {
                            "type": ["string", "null"],
                            "enum": [*EVENT_GRADES, None],
                            "description": "突发事件等级：major 重大、large 较大、general 一般（定迟报时限）",
                        },
                        "request_id": {
                            "type": ["integer", "null"],
                            "minimum": MIN_ID,
                            "maximum": MAX_ID,
                            "description": "所答复的约稿编号",
                        },
                    },
                    "examples": [
                        {
                            "title": "我县突降暴雨致两村受灾",
                            "text": "11月20日凌晨，我县突降暴雨……",
                            "unit": "yx",
                            "genre": "emergency",
                            "event_time": "2026-11-20T05:30",
                            "level": "内部",
                        }
                    ],
                },
                "Unit": {
                    "type": "object",
                    "required": ["code", "name", "category", "direct_reporting", "office", "active"],
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "category": {"type": "string"},
                        "category_name": {"type": "string"},
                        "direct_reporting": {"type": "boolean"},
                        "office": {"type": "boolean"},
                        "active": {"type": "boolean"},
                    },
                },
                "Outlet": {
                    "type": "object",
                    "required": ["code", "name", "tier", "points", "active"],
                    "properties": {
                        "code": CODE,
                        "name": {"type": "string", "minLength": 1, "maxLength": 100},
                        "tier": {"type": "string", "enum": list(OUTLET_TIERS)},
                        "points": {"type": "number", "minimum": 0, "maximum": 1000},
                        "active": {"type": "boolean"},
                    },
                },
                "Upward": {
                    "type": "object",
                    "required": ["id", "item", "outlet", "kind", "date", "points", "note"],
                    "properties": {
                        "id": ID,
                        "item": ID,
                        "outlet": {"type": "string"},
                        "kind": {"type": "string", "enum": list(UPWARD_KINDS)},
                        "date": {"type": "string", "format": "date"},
                        "points": {"type": ["number", "null"]},
                        "note": {"type": "string"},
                    },
                },
                "RankingRow": {
                    "type": "object",
                    "required": ["rank", "unit", "points", "adoption_rate", "excellent", "qualified"],
                    "properties": {
                        "rank": {"type": "integer", "minimum": 1},
                        "unit": {"type": "string"},
                        "unit_name": {"type": "string"},
                        "points": {"type": "number"},
                        "adopted": {"type": "integer", "description": "本期计分的采用条数"},
                        "submitted": {"type": "integer"},
                        "adopted_of_submitted": {
                            "type": "integer",
                            "description": "本期报送且已被采用的条数",
                        },
                        "adoption_rate": {"type": "number", "minimum": 0, "maximum": 1},
                        "problem_share": {"type": "number", "minimum": 0, "maximum": 1},
                        "rank_change": {"type": ["integer", "null"]},
                        "target": {"type": ["number", "null"]},
                        "progress": {
                            "type": ["number", "null"],
                            "description": "年度目标完成进度（截至期末）",
                        },
                        "qualified": {
                            "type": ["boolean", "null"],
                            "description": "年度考核是否合格；非年度期间为 null",
                        },
                        "target_met": {"type": ["boolean", "null"]},
                        "excellent": {"type": "boolean", "description": "是否先进单位（仅年度）"},
                    },
                },
                "Hit": {
                    "type": "object",
                    "required": [
                        "id",
                        "title",
                        "unit",
                        "unit_name",
                        "date",
                        "kind",
                        "status",
                        "snippet",
                        "score",
                    ],
                    "properties": {
                        "id": ID,
                        "title": {"type": "string"},
                        "unit": {"type": "string"},
                        "unit_name": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "kind": {"type": "string"},
                        "status": {"type": "string", "enum": list(STATUS_LABELS)},
                        "topics": {"type": "array", "items": {"type": "string"}},
                        "snippet": {"type": "string"},
                        "score": {"type": "number"},
                    },
                },
                "Topic": {
                    "type": "object",
                    "required": ["name", "score", "evidence"],
                    "properties": {
                        "name": {"type": "string"},
                        "score": {"type": "number"},
                        "evidence": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Item": {
                    "type": "object",
                    "required": [
                        "id",
                        "title",
                        "text",
                        "clean_text",
                        "unit",
                        "unit_name",
                        "author",
                        "event_date",
                        "submitted_at",
                        "status",
                        "level",
                        "kind",
                        "kind_score",
                        "kind_evidence",
                        "topics",
                        "keywords",
                        "publications",
                        "review_reason",
                    ],
                    "properties": {
                        "id": ID,
                        "title": {"type": "string"},
                        "text": {"type": "string"},
                        "clean_text": {"type": "string"},
                        "unit": {"type": "string"},
                        "unit_name": {"type": "string"},
                        "author": {"type": "string"},
                        "event_date": {"type": "string", "format": "date"},
                        "submitted_at": {"type": "string", "format": "date-time"},
                        "status": {"type": "string", "enum": list(STATUS_LABELS)},
                        "review_reason": {"type": ["string", "null"]},
                        "level": {"type": "string", "enum": list(LEVELS)},
                        "kind": {"type": "string", "enum": ["problem", "achievement", "other"]},
                        "kind_score": {"type": "number"},
                        "kind_evidence": {"type": "array", "items": {"type": "string"}},
                        "topics": {"type": "array", "items": {"$ref": "#/components/schemas/Topic"}},
                        "keywords": {"type": "array", "items": {"type": "string"}},
                        "publications": {"type": "array", "items": {"type": "string"}},
                        "genre": {"type": "string", "enum": list(GENRES)},
                        "event_time": {"type": ["string", "null"], "format": "date-time"},
                        "request_id": {"type": ["integer", "null"]},
                        "upward": {"type": "array", "items": UPWARD},
                        "duplicates": {"type": "array", "items": {"type": "object"}},
                        "notices": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "提交时的提示，如正文密级标志使密级上调",
                        },
                    },
                },
            },
        },
        "paths": {
            "/items": {
                "post": {
                    "summary": "报送一条信息",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ItemInput"}}
                        },
                    },
                    "responses": {"201": _json(item, "已保存"), **_errors(400, 401, 403)},
                },
                "get": {
                    "summary": "信息列表（分页，可见范围内）",
                    "parameters": [
                        _query("status", "submitted / adopted / rejected / returned / merged"),
                        _query("unit", "报送单位编码"),
                        _query("topic", "主题"),
                        _query("kind", "problem / achievement / other"),
                        _query("level", "密级"),
                        _query(
                            "sort",
                            "oldest（先报先审）/ newest / event / unit",
                            {"type": "string", "enum": ["oldest", "newest", "event", "unit"]},
                        ),
                        _query("page", "页码", {"type": "integer", "minimum": 1}),
                        _query(
                            "per_page",
                            "每页条数（默认 50）",
                            {"type": "integer", "minimum": 1, "maximum": 200},
                        ),
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["total", "page", "per_page", "pages", "items"],
                                "properties": {
                                    "total": {"type": "integer", "minimum": 0},
                                    "page": {"type": "integer", "minimum": 1},
                                    "per_page": {"type": "integer", "minimum": 1},
                                    "pages": {"type": "integer", "minimum": 1},
                                    "items": {"type": "array", "items": item},
                                },
                            }
                        ),
                        **_errors(401),
                    },
                },
            },
            "/items/{id}": {
                "get": {
                    "summary": "读取一条信息",
                    "parameters": ID_PARAM,
                    "responses": {"200": _json(item), **_errors(401, 404)},
                }
            },
            "/items/{id}/review": {
                "post": {
                    "summary": "审核：采用、不采用或退回修改",
                    "parameters": ID_PARAM,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["action"],
                                    "properties": {
                                        "action": {"type": "string", "enum": ["adopt", "reject", "return"]},
                                        "publication": {**OPT_STR, "description": "采用时必填：刊物编码"},
                                        "reason": {**OPT_STR, "description": "不采用、退回时必填"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {"200": _json(item), **_errors(400, 401, 403, 404, 409)},
                }
            },
            "/items/{id}/withdraw": {
                "post": {
                    "summary": "撤回一条信息（管理员）：移出检索、统计和刊物草稿，可恢复",
                    "parameters": ID_PARAM,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["reason"],
                                    "properties": {"reason": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "responses": {"200": _json(item), **_errors(400, 401, 403, 404, 409)},
                }
            },
            "/items/{id}/reinstate": {
                "post": {
                    "summary": "恢复已撤回的信息（管理员）",
                    "parameters": ID_PARAM,
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"reason": {"type": "string"}}}
                            }
                        },
                    },
                    "responses": {"200": _json(item), **_errors(400, 401, 403, 404, 409)},
                }
            },
            "/search": {
                "get": {
                    "summary": "全文检索",
                    "parameters": [
                        _query(
                            "q",
                            '检索词：空格分隔为“且”，支持 OR、-词、"短语"、unit: topic: kind: status: title:',
                            {"type": "string", "maxLength": MAX_QUERY_CHARS},
                        ),
                        _query("unit", "报送单位编码"),
                        _query("category", "单位类别编码"),
                        _query("topic", "主题"),
                        _query("kind", "problem / achievement / other"),
                        _query("status", "submitted / adopted / rejected / returned"),
                        _query("publication", "采用刊物编码"),
                        _query("genre", "信息类别（dynamic 动态、research 调研、emergency 突发事件）"),
                        _query("from", "起始日期", {"type": "string", "format": "date"}),
                        _query("to", "截止日期", {"type": "string", "format": "date"}),
                        _query(
                            "sort", "relevance 或 date", {"type": "string", "enum": ["relevance", "date"]}
                        ),
                        _query("page", "页码（超过 10000 按 10000）", {"type": "integer", "minimum": 1}),
                        _query("per_page", "每页条数", {"type": "integer", "minimum": 1, "maximum": 100}),
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["total", "page", "per_page", "pages", "hits", "facets"],
                                "properties": {
                                    "total": {"type": "integer", "minimum": 0},
                                    "page": {"type": "integer", "minimum": 1},
                                    "per_page": {"type": "integer", "minimum": 1},
                                    "pages": {"type": "integer", "minimum": 1},
                                    "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                                    "facets": {"type": "object"},
                                },
                            }
                        ),
                        **_errors(400, 401),
                    },
                }
            },
            "/bulletins": {
                "post": {
                    "summary": "新建一期刊物（按刊物、按年度顺序编号）",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["publication", "item_ids"],
                                    "properties": {
                                        "publication": {"type": "string"},
                                        "item_ids": {"type": "array", "items": ID},
                                        "columns": {
                                            "type": ["object", "null"],
                                            "description": "{信息编号: 栏目}",
                                            "additionalProperties": {"type": "string"},
                                        },
                                        "editor_note": OPT_STR,
                                        "publish": {"type": "boolean", "default": True},
                                        "override_reason": {
                                            "type": "string",
                                            "description": "重复编发理由（已在本刊物印发过的信息必填）",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "required": [
                                    "id",
                                    "number",
                                    "status",
                                    "year",
                                    "publication",
                                    "label",
                                    "item_ids",
                                ],
                                "properties": {
                                    "id": ID,
                                    "number": {"type": "integer"},
                                    "status": {"type": "string"},
                                    "year": {"type": "integer"},
                                    "publication": {"type": "string"},
                                    "label": {"type": "string"},
                                    "item_ids": {"type": "array", "items": ID},
                                },
                            }
                        ),
                        **_errors(400, 401, 403, 409),
                    },
                }
            },
            "/bulletins/{id}.docx": {
                "get": {
                    "summary": "下载 Word 版刊物",
                    "parameters": ID_PARAM,
                    "responses": {
                        "200": {
                            "description": "Word 文件",
                            "content": {
                                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}
                            },
                        },
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/stats/balance": {
                "get": {
                    "summary": "信息结构：报送与采用的类型构成、主题、沉默单位",
                    "parameters": [
                        _query("from", "起始日期（按事件日期）", {"type": "string", "format": "date"}),
                        _query("to", "截止日期", {"type": "string", "format": "date"}),
                        _query("category", "单位类别编码"),
                        _query("unit", "单位编码"),
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": [
                                    "submitted",
                                    "adopted",
                                    "problem_share_submitted",
                                    "problem_share_adopted",
                                    "topics",
                                    "silent_units",
                                ],
                            }
                        ),
                        **_errors(400, 401, 403),
                    },
                }
            },
            "/stats/ranking": {
                "get": {
                    "summary": "单位排名：一个类别，或省略 category 时全部类别",
                    "parameters": [
                        _query(
                            "period",
                            PERIOD_HELP,
                            {"type": "string", "examples": ["2026-05", "2026-01-01~2026-05-31"]},
                        ),
                        _query("category", "单位类别编码（省略则返回全部类别）"),
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["period", "label", "categories"],
                                "properties": {
                                    "period": {"type": "string"},
                                    "label": {"type": "string"},
                                    "categories": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["category", "name", "rows"],
                                            "properties": {
                                                "category": {"type": "string"},
                                                "name": {"type": "string"},
                                                "rows": {"type": "array", "items": RANKING_ROW},
                                            },
                                        },
                                    },
                                    "rows": {"type": "array", "items": RANKING_ROW},
                                },
                            }
                        ),
                        **_errors(400, 401, 403),
                    },
                }
            },
            "/stats/upward": {
                "get": {
                    "summary": "上报与上级采用：各渠道条数、全市上级采用计分、各单位分数及占全市比重",
                    "parameters": [_query("period", PERIOD_HELP + "；省略为年初至今")],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["period", "total_points", "units", "outlets"],
                                "properties": {
                                    "period": {"type": "string"},
                                    "total_points": {"type": "number"},
                                    "sent": {"type": "integer"},
                                    "adopted": {"type": "integer"},
                                    "units": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["unit", "points", "share"],
                                            "properties": {
                                                "unit": {"type": "string"},
                                                "points": {"type": "number"},
                                                "share": {"type": "number", "minimum": 0, "maximum": 1},
                                            },
                                        },
                                    },
                                    "outlets": {"type": "array", "items": {"type": "object"}},
                                },
                            }
                        ),
                        **_errors(400, 401, 403),
                    },
                }
            },
            "/outlets": {
                "get": {
                    "summary": "上级刊物或渠道及其分值",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["outlets"],
                                "properties": {"outlets": {"type": "array", "items": OUTLET}},
                            }
                        )
                    },
                },
                "post": {
                    "summary": "新增或修改上级刊物或渠道（管理员）；分值自 effective_from 起生效",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["code", "name", "tier"],
                                    "properties": {
                                        "code": CODE,
                                        "name": {"type": "string", "minLength": 1, "maxLength": 100},
                                        "tier": {"type": "string", "enum": list(OUTLET_TIERS)},
                                        "points": {"type": ["number", "null"], "minimum": 0, "maximum": 1000},
                                        "effective_from": {"type": ["string", "null"], "format": "date"},
                                        "active": {"type": "boolean"},
                                    },
                                },
                                "examples": {
                                    "zryq": {
                                        "value": {
                                            "code": "zryq",
                                            "name": "国办《昨日要情》",
                                            "tier": "central",
                                            "points": 10,
                                        }
                                    }
                                },
                            }
                        },
                    },
                    "responses": {"201": _json(OUTLET), **_errors(400, 401, 403)},
                },
            },
            "/items/{id}/upward": {
                "post": {
                    "summary": "登记上报（sent）或上级采用（adopted）",
                    "parameters": ID_PARAM,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["outlet", "kind"],
                                    "properties": {
                                        "outlet": {"type": "string", "minLength": 1},
                                        "kind": {"type": "string", "enum": list(UPWARD_KINDS)},
                                        "date": {"type": ["string", "null"], "format": "date"},
                                        "points": {"type": ["number", "null"], "minimum": 0, "maximum": 1000},
                                        "note": OPT_STR,
                                    },
                                },
                                "examples": {
                                    "adopted": {
                                        "value": {
                                            "outlet": "zryq",
                                            "kind": "adopted",
                                            "date": "2026-05-12",
                                            "points": 3,
                                        }
                                    }
                                },
                            }
                        },
                    },
                    "responses": {"201": _json(UPWARD), **_errors(400, 401, 403, 404)},
                }
            },
            "/publications": {
                "get": {"summary": "刊物列表", "responses": {"200": _json({"type": "object"})}}
            },
            "/units": {
                "get": {
                    "summary": "报送单位列表（all=1 含已停用）",
                    "parameters": [_query("all", "1：包括已停用的单位")],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["units"],
                                "properties": {"units": {"type": "array", "items": UNIT}},
                            }
                        )
                    },
                },
                "post": {
                    "summary": "新增或修改报送单位（管理员）；编码不可改，不再报送的单位停用而不删除",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["code", "name", "category"],
                                    "properties": {
                                        "code": CODE,
                                        "name": {"type": "string", "minLength": 1, "maxLength": 100},
                                        "category": {"type": "string", "minLength": 1},
                                        "direct_reporting": {"type": "boolean"},
                                        "active": {"type": "boolean"},
                                        "office": {"type": "boolean"},
                                    },
                                },
                                "examples": {
                                    "county": {
                                        "value": {
                                            "code": "yx",
                                            "name": "盂县人民政府办公室",
                                            "category": "xq",
                                            "direct_reporting": True,
                                        }
                                    }
                                },
                            }
                        },
                    },
                    "responses": {"201": _json(UNIT), **_errors(400, 401, 403)},
                },
            },
            "/scoring/rules": {
                "get": {
                    "summary": "某日生效的计分规则（date，默认今天）及各规则集的生效日期",
                    "parameters": [_query("date", "日期 YYYY-MM-DD", {"type": "string", "format": "date"})],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["date", "rules", "rule_sets"],
                                "properties": {
                                    "date": {"type": "string", "format": "date"},
                                    "rules": {"type": "object"},
                                    "rule_sets": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "date"},
                                    },
                                },
                            }
                        ),
                        **_errors(403),
                    },
                },
                "put": {
                    "summary": "保存自某日起生效的规则集（管理员）；此前各期间分数不变，后台重新计分",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["effective_from", "rules"],
                                    "properties": {
                                        "effective_from": {"type": "string", "format": "date"},
                                        "rules": {"type": "object"},
                                    },
                                },
                                "examples": {
                                    "upward": {
                                        "value": {
                                            "effective_from": "2027-01-01",
                                            "rules": {
                                                "upward_points": {"province": 3, "central": 6, "zryq": 10}
                                            },
                                        }
                                    }
                                },
                            }
                        },
                    },
                    "responses": {"200": _json({"type": "object"}), **_errors(403)},
                },
            },
            "/requests": {
                "get": {
                    "summary": "约稿列表（信息员只见发给本单位的约稿），含各单位报送与评定情况；分页",
                    "parameters": [
                        _query("page", "页码", {"type": "integer", "minimum": 1}),
                        _query("per_page", "每页条数", {"type": "integer", "minimum": 1, "maximum": 200}),
                    ],
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["requests", "total", "page", "per_page"]}
                        )
                    },
                },
                "post": {
                    "summary": "发布约稿（编辑）",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["topic"],
                                    "properties": {
                                        "topic": {"type": "string", "minLength": 1, "maxLength": 200},
                                        "description": OPT_STR,
                                        "deadline": {
                                            "type": ["string", "null"],
                                            "format": "date",
                                            "description": "截止日期；落实领导批示并写明时限时按时限计算",
                                        },
                                        "instruction": {
                                            "type": ["object", "null"],
                                            "required": ["leader", "text"],
                                            "properties": {
                                                "leader": {"type": "string", "minLength": 1},
                                                "text": {"type": "string", "minLength": 1},
                                                "days": {
                                                    "type": ["integer", "null"],
                                                    "minimum": 1,
                                                    "maximum": 90,
                                                },
                                            },
                                        },
                                        "units": {"type": "array", "items": {"type": "string"}},
                                        "categories": {"type": "array", "items": {"type": "string"}},
                                    },
                                },
                                "examples": {
                                    "heating": {
                                        "value": {
                                            "topic": "冬季供暖保障",
                                            "deadline": "2026-12-20",
                                            "categories": ["xq"],
                                        }
                                    }
                                },
                            }
                        },
                    },
                    "responses": {"201": _json({"type": "object"}), **_errors(403)},
                },
            },
            "/requests/{id}/answers/{item_id}/verdict": {
                "post": {
                    "summary": "评定约稿答复：只有采用、部分采用算完成约稿",
                    "parameters": [
                        *ID_PARAM,
                        {"name": "item_id", "in": "path", "required": True, "schema": ID},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["verdict"],
                                    "properties": {
                                        "verdict": {"type": "string", "enum": list(REQUEST_VERDICTS)}
                                    },
                                },
                                "examples": {"off_topic": {"value": {"verdict": "off_topic"}}},
                            }
                        },
                    },
                    "responses": {"200": _json({"type": "object"}), **_errors(403)},
                }
            },
            "/openapi.json": {
                "get": {"summary": "本说明", "security": [], "responses": {"200": _json({"type": "object"})}}
            },
        },
    }
    _add_common_errors(spec)
    return spec


def _add_common_errors(spec: dict[str, Any]) -> None:
    """Document the answers every operation may give: 401 without a valid token (429 after too many
    failed attempts), 400 for a bad query or body, 404 for an id that names nothing (or is out of
    range)."""
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            statuses = []
            if operation.get("security") != []:
                statuses += [401, 429]
            if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
                statuses.append(400)
            if "{id}" in path:
                statuses.append(404)
            operation["responses"] = {**_errors(*statuses), **operation["responses"]}
