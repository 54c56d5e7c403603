"""schemathesis against the demo's exam API, signed in as a demo candidate the way the exam page
is (the session cookie and the ``X-CSRFToken`` header): no request answers a server error, and
every answer has a status and a body that ``/api/v1/openapi.json`` declares for it.

The run is bounded and deterministic (``derandomize``), a few seconds per backend. A longer run
of the same test: ``ANPEI_FUZZ_EXAMPLES=1000 pytest tests/test_api_fuzz.py`` (examples per
operation; still deterministic for a given number).
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass, field

import pytest
import schemathesis
from conftest import BASE_CONFIG, IsolatedClient, _reset_postgres
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from exam import create_app
from exam.core.extensions import db
from exam.demo.data import DEMO_PASSWORD, build_demo
from exam.demo.exams import load_demo_exams
from exam.demo.questions import load_demo_questions
from exam.exams.sitting import DEVICE_COOKIE

#: Generated requests per operation (the CI run); more for a longer standalone run.
EXAMPLES = int(os.environ.get("ANPEI_FUZZ_EXAMPLES", "30"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@dataclass
class DemoApi:
    """The demo's API as one candidate's exam page sees it."""

    app: object
    headers: dict[str, str]
    cookies: dict[str, str]
    #: Real objects of the candidate's, so that requests reach past "not found".
    ids: dict[str, list[int]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def demo_api(backend, tmp_path_factory):
    """The part of the demo district the API serves (its register, question bank and exams),
    with its first candidate signed in through the API and an attempt of theirs under way."""
    if backend["name"] == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "demo.sqlite"
        shutil.copy(backend["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = backend["url"]
    # CSRF on, as in production: writes carry the token the API hands out.
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": True})
    app.test_client_class = IsolatedClient
    with app.app_context():
        rng = random.Random(2026)
        logins = build_demo(rng)
        load_demo_questions(rng)
        load_demo_exams(rng)
        db.session.commit()
        candidate = next(r[1] for r in logins.rows if r[1][:1].isdigit() and r[2] == DEMO_PASSWORD)
        client = app.test_client()
        me = client.post("/api/v1/login", json={"login": candidate, "password": DEMO_PASSWORD})
        assert me.status_code == 200, me.get_data(as_text=True)
        # The session and the device id, as the candidate's browser keeps them.
        cookies = {name: client.get_cookie(name).value for name in ("session", DEVICE_COOKIE)}
        headers = {"X-CSRFToken": me.get_json()["csrf_token"]}
        exams = client.get("/api/v1/me/exams").get_json()
        ids = {"exam_id": [e["id"] for e in exams], "attempt_id": [], "question_id": []}
        for exam in exams:
            started = client.post(f"/api/v1/exams/{exam['id']}/attempts", headers=headers)
            if started.status_code == 201:
                attempt_id = started.get_json()["attempt_id"]
                paper = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).get_json()
                ids["attempt_id"].append(attempt_id)
                ids["question_id"] += [q["question_id"] for q in paper["paper"]["questions"]]
        assert ids["attempt_id"], exams
        db.session.remove()
    yield DemoApi(app, headers, cookies, ids)
    with app.app_context():
        db.engine.dispose()
    if backend["name"] == "postgresql":
        _reset_postgres(url)


@pytest.fixture(scope="module")
def api_schema(demo_api):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_api.app)
    return schema


def _operations():
    """Each operation of the API's document with the modes it is fuzzed in: valid requests,
    and where it takes input, requests the document says are not valid."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            takes_input = item.get("parameters") or operation.get("requestBody")
            for mode in [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] * bool(takes_input)):
                yield pytest.param(method.upper(), path, mode, id=f"{method.upper()} {path} {mode}")


@pytest.mark.parametrize(("method", "path", "mode"), list(_operations()))
def test_the_api_answers_as_its_document_says(api_schema, demo_api, method, path, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        # Half the generated ids are swapped for the candidate's own exam, attempt and
        # question, so that requests reach the code behind "not found".
        for name, real in demo_api.ids.items():
            value = (case.path_parameters or {}).get(name)
            if isinstance(value, int) and real and value % 2 == 0:
                case.path_parameters[name] = real[value // 2 % len(real)]
        response = case.call_and_validate(
            headers=demo_api.headers, cookies=demo_api.cookies, checks=CHECKS
        )
        seen[response.status_code] = seen.get(response.status_code, 0) + 1

    seen = {}
    fuzz()
    print(method, path, mode, sorted(seen.items()))
