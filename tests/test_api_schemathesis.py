"""The JSON API against its own OpenAPI description, with schemathesis driving the WSGI app in-process.

Every operation gets generated valid (positive) and invalid (negative) requests with a real bearer
token; no response may be a server error, and every response must match the documented schema.
Bounded and derandomized: the same few hundred examples on every run, in well under two minutes.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from nlp import Segmenter
from tests.conftest import bearer, close_app, make_app, submit
from webapp.services import demo

EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 12}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_api_conforms_to_its_openapi_description(tmp_path: Path, segmenter: Segmenter, database: str) -> None:
    # Negative cases often drop the token: the failed-authentication throttle must not end the run.
    app = make_app(tmp_path, segmenter, database, WTF_CSRF_ENABLED=False, XINXI_API_AUTH_LIMIT="10000/minute")
    with app.app_context():
        try:
            demo.seed_structure()
            submit("某县推进高标准农田建设", "今年以来，我县新建高标准农田3.5万亩，带动农民增收。")
            submit("某局开展安全生产大检查", "检查发现隐患问题12处，已督促整改。", unit="nyj")
            headers = bearer("editor")
            schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
            calls = 0
            operations = 0
            start = time.perf_counter()
            for result in schema.get_all_operations():
                operation = result.ok()
                operations += 1
                for mode, examples in EXAMPLES.items():

                    @given(case=operation.as_strategy(generation_mode=mode))
                    @settings(
                        max_examples=examples,
                        derandomize=True,
                        database=None,
                        deadline=None,
                        phases=[Phase.explicit, Phase.generate],
                        suppress_health_check=list(HealthCheck),
                    )
                    def check(case: schemathesis.Case) -> None:
                        nonlocal calls
                        calls += 1
                        response = case.call(headers=headers)
                        case.validate_response(response, checks=CHECKS)

                    check()
            elapsed = time.perf_counter() - start
        finally:
            close_app(app)
    print(f"\nschemathesis ({database}): {calls} requests over {operations} operations in {elapsed:.1f} s")
    assert operations >= 10 and calls >= 150
