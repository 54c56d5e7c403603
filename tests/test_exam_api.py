"""The exam API and pages as a candidate's browser uses them."""

import json
from contextlib import contextmanager

from conftest import statements_run

from exam.auth.models import UserRole
from exam.auth.services import end_sessions
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams.models import Attempt, AttemptAnswer

SECRETS = ["秘密解析", "安全第一", "explanation", '"answer":', "right_answer", '"correct"']


@contextmanager
def _counting(statements: list):
    """Collects the SQL statements run meanwhile."""
    with statements_run() as seen:
        yield
    statements.extend(seen)


def _start(client, exam):
    response = client.post(f"/api/v1/exams/{exam.id}/attempts")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["attempt_id"]


def test_openapi_document_lists_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/login",
        "/api/v1/me/exams",
        "/api/v1/exams/{exam_id}/attempts",
        "/api/v1/attempts/{attempt_id}",
        "/api/v1/attempts/{attempt_id}/answers/{question_id}",
        "/api/v1/attempts/{attempt_id}/submit",
        "/api/v1/attempts/{attempt_id}/result",
    } <= set(paths)
    save = paths["/api/v1/attempts/{attempt_id}/answers/{question_id}"]["put"]
    assert save["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AnswerIn"
    }


def test_openapi_document_declares_the_errors_the_api_sends(client):
    """Each error status an operation can answer is listed with the body ``api_error`` sends
    and its closed list of codes; nothing hides behind a catch-all "default"."""
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "default" not in responses, (method, path)
            assert {"401", "403", "503"} <= set(responses), (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": f"#/components/schemas/Error{status}"}
    for status, codes in {
        "404": ["not_found", "unknown_question"],
        "422": ["bad_answer", "bad_sequence", "invalid"],
        "429": ["throttled"],
    }.items():
        assert schemas[f"Error{status}"]["required"] == ["error"]
        detail = schemas[f"Error{status}Detail"]
        assert detail["properties"]["code"]["enum"] == codes
        assert {"code", "message"} <= set(detail["required"])
    assert "fields" in schemas["Error422Detail"]["required"]
    assert set(schemas["Error400Detail"]["properties"]) == {"code", "message", "csrf_token"}
    paths = document["paths"]
    assert "422" not in paths["/api/v1/attempts/{attempt_id}/heartbeat"]["post"]["responses"]
    assert "429" in paths["/api/v1/login"]["post"]["responses"]
    unavailable = paths["/api/v1/me/exams"]["get"]["responses"]["503"]
    assert set(unavailable["headers"]) == {"Retry-After"}


def test_api_login_and_errors_are_json_in_the_users_language(client, make_user):
    assert client.get("/api/v1/me/exams").get_json()["error"]["code"] == "unauthenticated"
    bad = client.post("/api/v1/login", json={"login": "nobody", "password": "x"})
    assert bad.status_code == 401 and bad.get_json()["error"]["message"] == "账号或密码错误。"
    user = make_user(UserRole.CANDIDATE)
    ok = client.post("/api/v1/login", json={"login": user.username, "password": "Test-pass-2026"})
    assert ok.status_code == 200 and ok.get_json()["csrf_token"]
    assert client.post("/api/v1/login", data="not json", content_type="text/plain").status_code in (
        400,
        422,
    )


def test_a_request_missing_or_with_a_wrong_member_is_told_which(client, login_as, make_exam):
    """422, in the user's language, with each member that is wrong and why."""
    refused = client.post("/api/v1/login", json={"login": "张三", "extra": 1})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert (error["code"], set(error["fields"])) == ("invalid", {"password", "extra"})
    assert (
        error["message"].startswith("提交的内容有缺失或不符合要求：")
        and "password" in error["message"]
    )
    assert client.post("/api/v1/login", json=["a", "b"]).get_json()["error"]["fields"] == {
        "body": ["Invalid input type."]
    }
    login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, make_exam())
    single = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"][0]
    url = f"/api/v1/attempts/{attempt_id}/answers/{single['question_id']}"
    for body, member, code in (
        ({"answer": "A"}, "seq", "invalid"),
        ([1, 2], "body", "invalid"),
        ({"answer": "A", "seq": -1}, "seq", "bad_sequence"),
        ({"answer": "Z", "seq": 1}, "answer", "bad_answer"),
    ):
        refused = client.put(url, json=body)
        assert refused.status_code == 422, body
        error = refused.get_json()["error"]
        assert (error["code"], list(error["fields"])) == (code, [member]), body
    event = client.post(f"/api/v1/attempts/{attempt_id}/events", json={"kind": "nonsense"})
    assert event.status_code == 422 and list(event.get_json()["error"]["fields"]) == ["kind"]
    start = client.post(f"/api/v1/exams/{make_exam().id}/attempts", json={"access_code": 7})
    assert start.status_code == 422 and list(start.get_json()["error"]["fields"]) == ["access_code"]
    garbled = client.put(url, data="{not json", content_type="application/json")
    assert garbled.status_code == 400 and garbled.get_json()["error"]["code"] == "bad_request"


def test_answer_key_never_reaches_the_candidate_before_review(client, login_as, make_exam):
    exam = make_exam(review_policy="after_close")
    login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, exam)
    served = [
        client.get("/exams").get_data(as_text=True),
        client.get(f"/attempts/{attempt_id}").get_data(as_text=True),
        client.get("/static/exam.js").get_data(as_text=True),
        client.get("/api/v1/me/exams").get_data(as_text=True),
        client.get(f"/api/v1/attempts/{attempt_id}").get_data(as_text=True),
    ]
    paper = json.loads(served[-1])["paper"]["questions"]
    assert {q["kind"] for q in paper} == {"single", "multiple", "truefalse", "fill"}
    for text in served:
        for secret in SECRETS:
            assert secret not in text, secret
    client.post(f"/api/v1/attempts/{attempt_id}/submit")
    result = client.get(f"/api/v1/attempts/{attempt_id}/result").get_json()
    assert result["review"] == []  # the window is still open: no answers yet
    assert "秘密解析" not in client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)


def test_review_at_once_shows_answers_after_submitting(client, login_as, make_exam):
    login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, make_exam(review_policy="immediately"))
    client.post(f"/api/v1/attempts/{attempt_id}/submit")
    result = client.get(f"/api/v1/attempts/{attempt_id}/result").get_json()
    assert len(result["review"]) == 10 and result["review"][0]["explanation"] == "秘密解析"


def test_another_candidates_attempt_is_not_found(app, client, login_as, make_exam, make_user):
    exam = make_exam()
    other = make_user(UserRole.CANDIDATE)
    other_client = app.test_client()
    other_client.post("/login", data={"login": other.username, "password": "Test-pass-2026"})
    theirs = _start(other_client, exam)
    login_as(UserRole.CANDIDATE)
    for url in (
        f"/api/v1/attempts/{theirs}",
        f"/api/v1/attempts/{theirs}/result",
        f"/attempts/{theirs}",
    ):
        assert client.get(url).status_code == 404
    assert (
        client.put(
            f"/api/v1/attempts/{theirs}/answers/1", json={"answer": "A", "seq": 1}
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/attempts/{theirs}/submit").status_code == 404


def test_saves_through_the_api_keep_the_newest_and_refuse_bad_input(client, login_as, make_exam):
    login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, make_exam())
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"]
    single = next(q for q in paper if q["kind"] == "single")["question_id"]
    url = f"/api/v1/attempts/{attempt_id}/answers/{single}"
    assert client.put(url, json={"answer": "B", "seq": 5}).get_json()["stored"] is True
    assert client.put(url, json={"answer": "A", "seq": 4}).get_json()["stored"] is False
    saved = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["answers"][str(single)]
    assert saved == {"answer": "B", "seq": 5}
    assert (
        client.put(url, json={"answer": "AB", "seq": 6}).get_json()["error"]["code"] == "bad_answer"
    )
    assert client.put(url, json={"seq": 7}).status_code == 422
    assert client.put(url, data="{not json", content_type="application/json").status_code in (
        400,
        422,
    )
    assert (
        client.put(
            f"/api/v1/attempts/{attempt_id}/answers/999999", json={"answer": "A", "seq": 1}
        ).status_code
        == 404
    )
    assert client.put(url, json={"answer": "C" * 100, "seq": 8}).status_code == 422
    assert client.put(url, json={"answer": "C" * 100000, "seq": 9}).status_code == 413
    assert db.session.scalar(db.select(db.func.count(AttemptAnswer.id))) == 1


def test_tampered_deadline_fields_are_ignored(client, login_as, make_exam):
    login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, make_exam(duration=30))
    deadline = db.session.get(Attempt, attempt_id).deadline
    single = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"][0][
        "question_id"
    ]
    response = client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{single}",
        json={"answer": None, "seq": 1, "deadline": "2099-01-01T00:00:00Z"},
    )
    assert response.status_code in (200, 422)
    assert db.session.get(Attempt, attempt_id).deadline == deadline


def _count_statements(app, fetch):
    with statements_run() as statements:
        fetch()
    return len(statements)


def test_paper_fetch_and_answer_save_cost_the_same_whatever_the_length(
    app, client, login_as, make_exam, make_user
):
    from exam.questions import services as bank
    from exam.questions.models import QuestionStatus, Topic
    from question_bank.model import QuestionData

    author = make_user(UserRole.ORGANISER)
    candidate = login_as(UserRole.CANDIDATE)
    costs = {}
    for size, code in ((10, "G2"), (100, "G3")):
        topic = db.session.scalar(db.select(Topic).where(Topic.code == code))
        for i in range(size):
            question = bank.create_question(
                QuestionData(kind="truefalse", stem=f"{code}第{i}题", answer=True),
                [topic],
                [],
                author,
            )
            question.status = QuestionStatus.ACTIVE
        db.session.commit()
        exam = make_exam(rules=[{"count": size, "kind": "truefalse", "points": 1, "topic": code}])
        attempt_id = _start(client, exam)
        paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"]
        assert len(paper) == size
        question_id = paper[-1]["question_id"]
        fetch = _count_statements(app, lambda a=attempt_id: client.get(f"/api/v1/attempts/{a}"))
        save = _count_statements(
            app,
            lambda a=attempt_id, q=question_id: client.put(
                f"/api/v1/attempts/{a}/answers/{q}", json={"answer": True, "seq": 1}
            ),
        )
        costs[size] = (fetch, save)
        client.post(f"/api/v1/attempts/{attempt_id}/submit")
    assert costs[10] == costs[100], costs
    assert candidate.id


def test_the_signed_in_candidate_comes_with_person_and_enterprise_in_one_statement(app, make_user):
    """Every request of a signed-in candidate loads the account with its person and their
    enterprise (eligibility reads both: the exam list, a start, a submission) at once."""
    from exam.auth.services import begin_session, load_user

    user = make_user(UserRole.CANDIDATE)
    identity = f"{user.id}:{begin_session(user).key}"
    db.session.commit()
    db.session.expunge_all()
    statements = []
    with _counting(statements):
        loaded = load_user(identity)
        assert loaded.person.enterprise.name
    assert len(statements) == 1, statements


def test_a_start_reads_the_candidates_attempts_once(client, login_as, make_exam):
    """How many attempts so far and the one under way: one statement before the new one."""
    exam = make_exam()
    login_as(UserRole.CANDIDATE)
    statements = []
    with _counting(statements):
        _start(client, exam)
    reads = [" ".join(s.split()) + " " for s in statements]
    assert len([s for s in reads if s.startswith("SELECT") and "FROM attempt " in s]) == 1, reads


def test_the_quick_paths_refuse_at_once_what_the_full_paths_refuse(
    app, client, login_as, make_exam, make_user
):
    """Paper fetch, save and heartbeat skip loading the user, so their one statement must
    check it all."""
    exam = make_exam()
    user = login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, exam)
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"][
        "questions"
    ]  # warms the cache
    single = next(q for q in paper if q["kind"] == "single")["question_id"]
    url = f"/api/v1/attempts/{attempt_id}/answers/{single}"
    assert client.put(url, json={"answer": "A", "seq": 2}).get_json()["stored"] is True
    assert client.put(url, json={"answer": "B", "seq": 1}).get_json()["stored"] is False  # stale

    # Another candidate, on the same process and with the paper cached, finds nothing.
    other = app.test_client()
    other.post(
        "/login",
        data={"login": make_user(UserRole.CANDIDATE).username, "password": "Test-pass-2026"},
    )
    assert other.get(f"/api/v1/attempts/{attempt_id}").status_code == 404
    assert other.put(url, json={"answer": "C", "seq": 9}).status_code == 404
    beat = f"/api/v1/attempts/{attempt_id}/heartbeat"
    assert other.post(beat).status_code == 404

    def refused(code: str):
        assert client.get(f"/api/v1/attempts/{attempt_id}").get_json()["error"]["code"] == code
        assert client.put(url, json={"answer": "C", "seq": 10}).get_json()["error"]["code"] == code
        assert client.post(beat).get_json()["error"]["code"] == code

    user = db.session.get(type(user), user.id)
    user.must_change_password = True
    db.session.commit()
    refused("must_change_password")
    user.must_change_password, user.disabled = False, True
    db.session.commit()
    refused("unauthenticated")
    user.disabled = False
    end_sessions(user)  # as a password reset does
    db.session.commit()
    refused("unauthenticated")
    answer = db.session.scalar(db.select(AttemptAnswer).where(AttemptAnswer.question_id == single))
    assert (answer.response, answer.seq) == ("A", 2)


def test_the_quick_heartbeat_records_contact_and_answers_as_the_full_one(
    app, client, login_as, make_exam
):
    """The heartbeat's one statement records the page's last contact and gives what the full
    path gives (the deadline, the server time, the focus count and a token), in the same
    format; a paper this process has not seen takes the full path."""
    login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, make_exam())
    beat = f"/api/v1/attempts/{attempt_id}/heartbeat"
    full = client.post(beat).get_json()  # no paper cached yet: the full path
    client.get(f"/api/v1/attempts/{attempt_id}")  # caches the paper
    statements = []
    with _counting(statements):
        quick = client.post(beat).get_json()
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("UPDATE ATTEMPT")
    assert quick.keys() == full.keys() and quick["deadline"] == full["deadline"]
    assert quick["submitted"] is False and quick["focus_losses"] == 0 and quick["csrf_token"]
    db.session.expire_all()
    seen = db.session.get(Attempt, attempt_id).last_seen_at
    assert seen is not None and abs((seen - utcnow()).total_seconds()) < 5
    assert quick["server_time"] == seen.isoformat()

    client.post(f"/api/v1/attempts/{attempt_id}/submit")
    after = client.post(beat).get_json()  # a submitted attempt: the full path says so
    assert after["submitted"] is True


def test_the_quick_paper_fetch_gives_the_saved_answers_as_stored(app, client, login_as, make_exam):
    """The database builds the answers' JSON on the quick path: every kind, a cleared answer
    and Chinese text come back as the full path gives them."""
    login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, make_exam())
    full = client.get(f"/api/v1/attempts/{attempt_id}").get_json()  # the full path
    assert full["answers"] == {}
    sent = {}
    for seq, question in enumerate(full["paper"]["questions"], start=1):
        answer = {
            "single": "B",
            "multiple": "AC",
            "truefalse": False,
            "fill": ["安全第一，预防为主"] * (question["blanks"] or 1),
        }[question["kind"]]
        if seq == 1:
            answer = None  # cleared
        url = f"/api/v1/attempts/{attempt_id}/answers/{question['question_id']}"
        assert client.put(url, json={"answer": answer, "seq": seq}).status_code == 200
        sent[str(question["question_id"])] = {"answer": answer, "seq": seq}
    statements = []
    with _counting(statements):
        quick = client.get(f"/api/v1/attempts/{attempt_id}").get_json()
    assert len(statements) == 1
    assert quick["answers"] == sent
    app.extensions["anpei_papers"] = type(app.extensions["anpei_papers"])()  # forget the paper
    assert client.get(f"/api/v1/attempts/{attempt_id}").get_json()["answers"] == sent


def test_a_quick_save_to_a_submitted_or_overdue_attempt_is_refused(
    app, client, login_as, make_exam
):
    login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, make_exam())
    single = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"][0][
        "question_id"
    ]
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit").status_code == 200
    response = client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{single}", json={"answer": None, "seq": 1}
    )
    assert response.get_json()["error"]["code"] == "submitted"

    attempt_id = _start(client, make_exam())
    single = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"][0][
        "question_id"
    ]
    url = f"/api/v1/attempts/{attempt_id}/answers/{single}"
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline = attempt.deadline.replace(year=2000)
    db.session.commit()
    assert (
        client.put(url, json={"answer": None, "seq": 1}).get_json()["error"]["code"] == "too_late"
    )
    fetched = client.get(f"/api/v1/attempts/{attempt_id}").get_json()  # overdue: closed on access
    assert fetched["submitted"] is True
    assert (
        client.put(url, json={"answer": None, "seq": 2}).get_json()["error"]["code"] == "submitted"
    )
    assert db.session.scalar(db.select(db.func.count(AttemptAnswer.id))) == 0


def test_each_process_keeps_only_what_a_save_checks_shared_between_papers(
    app, client, login_as, make_exam, make_user
):
    """Any candidate's save may reach any process, so each keeps every attempt of the day:
    a paper kept is its answers' shapes (objects shared by all papers), not its page."""
    from exam.exams.sitting import papers

    exam = make_exam()
    kept = []
    for _ in range(2):
        login_as(UserRole.CANDIDATE)
        attempt_id = _start(client, exam)
        fetched = client.get(f"/api/v1/attempts/{attempt_id}").get_json()
        assert fetched["paper"]["questions"]  # the page, read with the saved answers
        kept.append(papers().get(attempt_id))
        client.post("/logout")
    first, second = kept
    assert first is not None and second is not None
    assert set(first.items) and set(second.items)
    shapes = {id(shape) for paper in kept for shape in paper.items.values()}
    kinds = {shape for paper in kept for shape in paper.items.values()}
    assert len(shapes) == len(kinds)  # one object for each (kind, shape)
    stem = fetched["paper"]["questions"][0]["stem"]
    assert stem not in repr(first) and stem not in repr(second)


def test_a_paper_another_process_kept_costs_one_light_statement_here(
    app, client, login_as, make_exam, make_user
):
    """At the opening every process meets every attempt for the first time: a save, fetch or
    heartbeat then reads the paper's shapes in one statement, not through the full path."""
    from exam.exams.sitting import papers

    exam = make_exam()
    login_as(UserRole.CANDIDATE)
    attempt_id = _start(client, exam)
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"]
    single = next(q for q in paper if q["kind"] == "single")["question_id"]
    url = f"/api/v1/attempts/{attempt_id}/answers/{single}"
    beat = f"/api/v1/attempts/{attempt_id}/heartbeat"
    kept = {
        "save": _count_statements(app, lambda: client.put(url, json={"answer": "A", "seq": 1})),
        "beat": _count_statements(app, lambda: client.post(beat)),
        "fetch": _count_statements(app, lambda: client.get(f"/api/v1/attempts/{attempt_id}")),
    }
    assert kept == {"save": 1, "beat": 1, "fetch": 1}

    # Another candidate's request never puts this attempt's paper in the process.
    app.extensions.pop("anpei_papers")
    other = app.test_client()
    other.post(
        "/login",
        data={"login": make_user(UserRole.CANDIDATE).username, "password": "Test-pass-2026"},
    )
    assert other.put(url, json={"answer": "C", "seq": 9}).status_code == 404
    assert papers().get(attempt_id) is None

    for name, request in {
        "save": lambda: client.put(url, json={"answer": "B", "seq": 2}),
        "beat": lambda: client.post(beat),
        "fetch": lambda: client.get(f"/api/v1/attempts/{attempt_id}"),
    }.items():
        app.extensions.pop("anpei_papers")  # a process that has not met this attempt yet
        assert _count_statements(app, request) == kept[name] + 1, name
    answer = db.session.scalar(db.select(AttemptAnswer).where(AttemptAnswer.question_id == single))
    assert (answer.response, answer.seq) == ("B", 2)
