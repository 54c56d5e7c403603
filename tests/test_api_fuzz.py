"""schemathesis against the demo's exam API, signed in as a demo candidate the way the exam page
is (the session and device cookies, the ``X-CSRFToken`` header): no request answers a server
error, and every answer has a status and a body that ``/api/v1/openapi.json`` declares for it.

The run is bounded and deterministic (``derandomize``): some 500 requests, seconds per backend.
A longer run of the same test, still deterministic for a given number of examples per
operation (the figures: ``-s``)::

    ANPEI_TEST_FUZZ_EXAMPLES=1000 pytest -s tests/test_api_fuzz.py
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
from exam.exams.api import MAX_SAVE_BYTES
from exam.exams.sitting import DEVICE_COOKIE

#: Generated requests per operation and mode (the CI run); more for a longer standalone run.
EXAMPLES = int(os.environ.get("ANPEI_TEST_FUZZ_EXAMPLES", "30"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
API = "/api/v1"


@dataclass
class Browser:
    """What a candidate's browser sends with each API request."""

    cookies: dict[str, str]
    headers: dict[str, str]
    #: The login's answer (what the fuzzer, guessing passwords, never gets).
    login: object = None


@dataclass
class DemoApi:
    """The demo's API as its candidates' exam pages see it."""

    app: object
    candidate: Browser
    #: The demo candidate who has not yet changed the one-time password.
    newcomer: Browser
    #: Real objects of the candidate's, so that requests reach past "not found".
    ids: dict[str, list[int]] = field(default_factory=dict)


def _sign_in(app, login: str, password: str) -> Browser:
    client = app.test_client()
    me = client.post(f"{API}/login", json={"login": login, "password": password})
    assert me.status_code == 200, me.get_data(as_text=True)
    cookies = {name: client.get_cookie(name).value for name in ("session", DEVICE_COOKIE)}
    return Browser(cookies, {"X-CSRFToken": me.get_json()["csrf_token"]}, me)


def _own_objects(app, browser: Browser) -> dict[str, list[int]]:
    """The candidate's exams, and an attempt at each one open (and its questions)."""
    client = app.test_client()
    for name, value in browser.cookies.items():
        client.set_cookie(name, value)
    exams = client.get(f"{API}/me/exams").get_json()
    ids = {"exam_id": [e["id"] for e in exams], "attempt_id": [], "question_id": []}
    for exam in exams:
        started = client.post(f"{API}/exams/{exam['id']}/attempts", headers=browser.headers)
        if started.status_code == 201:
            attempt_id = started.get_json()["attempt_id"]
            paper = client.get(f"{API}/attempts/{attempt_id}").get_json()["paper"]
            ids["attempt_id"].append(attempt_id)
            ids["question_id"] += [q["question_id"] for q in paper["questions"]]
    assert ids["attempt_id"], exams
    return ids


@pytest.fixture(scope="module")
def demo_api(backend, tmp_path_factory):
    """The part of the demo district the API serves (its register, question bank and exams),
    with its two candidates signed in through the API and attempts of the first under way."""
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
        # The candidates' rows (README "Demo logins"): an ID number and its password.
        (candidate, password), (newcomer, one_time) = [r[1:3] for r in logins.rows[-2:]]
        assert password == DEMO_PASSWORD and one_time != DEMO_PASSWORD
        demo = DemoApi(app, _sign_in(app, candidate, password), _sign_in(app, newcomer, one_time))
        demo.ids = _own_objects(app, demo.candidate)
        db.session.remove()
    yield demo
    with app.app_context():
        db.engine.dispose()
    if backend["name"] == "postgresql":
        _reset_postgres(url)


@pytest.fixture(scope="module")
def api_schema(demo_api):
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", demo_api.app)


def _operations():
    """Each operation of the API's document with the modes it is fuzzed in: valid requests,
    and where it takes input, requests the document says are not valid."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    paths = app.test_client().get(f"{API}/openapi.json").get_json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method == "parameters":  # the path's own, not an operation
                continue
            takes_input = item.get("parameters") or operation.get("requestBody")
            modes = [GenerationMode.POSITIVE] + [GenerationMode.NEGATIVE] * bool(takes_input)
            for mode in modes:
                yield pytest.param(method.upper(), path, mode, id=f"{method.upper()} {path} {mode}")


@pytest.mark.parametrize(("method", "path", "mode"), list(_operations()))
def test_the_api_answers_as_its_document_says(api_schema, demo_api, method, path, mode):
    operation = api_schema[path][method]
    seen: dict[int, int] = {}

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
        # question (the generated number picks which), so that requests get past "not found".
        for name, real in demo_api.ids.items():
            value = (case.path_parameters or {}).get(name)
            if isinstance(value, int) and value % 2 == 0:
                case.path_parameters[name] = real[value // 2 % len(real)]
        browser = demo_api.candidate
        response = case.call_and_validate(
            headers=browser.headers, cookies=browser.cookies, checks=CHECKS
        )
        seen[response.status_code] = seen.get(response.status_code, 0) + 1

    fuzz()
    print(method, path, mode, dict(sorted(seen.items())))  # the run's figures (-s)
    if mode == GenerationMode.POSITIVE and "{" in path:
        assert set(seen) - {404}, "every request was refused as not found"


def _refused(api_schema, browser: Browser | None, method: str, path: str, **case):
    """Send one request the fuzzer does not make, check it as the fuzzer does; its status and
    error."""
    operation = api_schema[f"{API}{path}"][method]
    response = operation.Case(**case).call_and_validate(
        headers=browser.headers if browser else None,
        cookies=browser.cookies if browser else None,
        checks=CHECKS,
    )
    return response.status_code, response.json()["error"]


def test_the_answers_the_fuzzer_never_meets_are_as_documented(api_schema, demo_api):
    """A login that succeeds; no token, no session, a one-time password still to change, a
    body past the limit: each answers a declared status and body."""
    login = api_schema[f"{API}/login"]["POST"]
    for browser in (demo_api.candidate, demo_api.newcomer):
        login.validate_response(browser.login)  # raises on what the document does not declare
    assert demo_api.newcomer.login.get_json()["must_change_password"] is True
    attempt = {"attempt_id": demo_api.ids["attempt_id"][0]}
    question = {**attempt, "question_id": demo_api.ids["question_id"][0]}
    me = demo_api.candidate
    no_token = Browser(me.cookies, {})
    status, error = _refused(
        api_schema, no_token, "POST", "/attempts/{attempt_id}/heartbeat", path_parameters=attempt
    )
    assert (status, error["code"]) == (400, "csrf") and error["csrf_token"]
    status, error = _refused(api_schema, None, "GET", "/me/exams")
    assert (status, error["code"]) == (401, "unauthenticated")
    status, error = _refused(api_schema, demo_api.newcomer, "GET", "/me/exams")
    assert (status, error["code"]) == (403, "must_change_password")
    status, error = _refused(
        api_schema,
        me,
        "PUT",
        "/attempts/{attempt_id}/answers/{question_id}",
        path_parameters=question,
        body={"answer": "A" * MAX_SAVE_BYTES, "seq": 1},
        media_type="application/json",
    )
    assert (status, error["code"]) == (413, "too_large")
