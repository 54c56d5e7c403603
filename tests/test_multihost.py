"""Several app hosts over one database (deploy/README.md): what one host keeps per process
never disagrees with what another host changed. Two ``create_app`` over the same database are
two hosts: each has its own engine, its own paper and question-pool caches, its own clients."""

import logging
from datetime import timedelta

import pytest
from conftest import BASE_CONFIG, PASSWORD, IsolatedClient, postgresql_only
from sqlalchemy import event, func, select, text, update
from sqlalchemy.exc import DBAPIError

from exam import create_app
from exam.auth.models import UserRole
from exam.core.extensions import REPORTS_BIND, db
from exam.core.timeutil import utcnow
from exam.exams.models import Attempt
from exam.questions.models import Question, QuestionStatus


@pytest.fixture
def host_b(app, database_url):
    """A second app host on the same database, with its own processes' state."""
    other = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LEARNING_STORAGE": app.config["LEARNING_STORAGE"],
        }
    )
    other.test_client_class = IsolatedClient
    yield other
    with other.app_context():
        db.engine.dispose()


def _api_login(client, login, password=PASSWORD):
    return client.post("/api/v1/login", json={"login": login, "password": password})


def _drawn(client, exam) -> set[int]:
    """Start the exam as the client's candidate; the question ids of the paper drawn."""
    response = client.post(f"/api/v1/exams/{exam.id}/attempts")
    assert response.status_code == 201, response.get_data(as_text=True)
    attempt_id = response.get_json()["attempt_id"]
    return {item["question_id"] for item in db.session.get(Attempt, attempt_id).paper}


def test_a_question_retired_on_one_host_is_never_drawn_on_another(
    app, client, host_b, make_user, make_exam
):
    # Seven of the bank's eight single-choice questions per paper: once one is retired,
    # every paper holds exactly the other seven.
    exam = make_exam(rules=[{"count": 7, "kind": "single", "points": 10}])
    candidates = [make_user(UserRole.CANDIDATE) for _ in range(3)]
    admin = make_user(UserRole.ADMIN)
    # Host B, whose clock runs two minutes ahead, stamped its last edit in host A's future
    # (a change that does not touch drawing: the question's own key).
    db.session.execute(
        update(Question)
        .where(Question.id == db.session.scalar(select(func.min(Question.id))))
        .values(external_key="B-1", updated_at=utcnow() + timedelta(minutes=2))
    )
    db.session.commit()

    first = host_b.test_client()
    assert _api_login(first, candidates[0].username).status_code == 200
    assert len(_drawn(first, exam)) == 7  # host B now keeps the pool

    assert client.post("/login", data={"login": admin.username, "password": PASSWORD}).status_code
    retired = db.session.scalar(select(Attempt.paper).where(Attempt.user_id == candidates[0].id))[
        0
    ]["question_id"]
    response = client.post(f"/questions/{retired}/retire")  # through host A, committed
    assert response.status_code == 302
    assert db.session.get(Question, retired).status == QuestionStatus.RETIRED

    for candidate in candidates[1:]:
        on_b = host_b.test_client()
        assert _api_login(on_b, candidate.username).status_code == 200
        drawn = _drawn(on_b, exam)
        assert retired not in drawn and len(drawn) == 7


def test_the_bank_version_moves_with_every_change_drawing_depends_on(app, active_bank):
    from exam.questions.models import Topic, question_sector, question_topic
    from exam.questions.services import bank_version

    question = db.session.scalar(select(Question).limit(1))
    steps = [
        lambda: setattr(question, "status", QuestionStatus.RETIRED),
        lambda: setattr(question, "usage", "practice"),
        lambda: db.session.execute(
            question_topic.delete().where(question_topic.c.question_id == question.id)
        ),
        lambda: db.session.execute(
            question_sector.insert().values(question_id=question.id, sector_id=1)
        ),
        lambda: setattr(question.current, "difficulty", "hard"),
        lambda: db.session.add(Topic(level="area", code="G99", name="新领域")),
    ]
    for step in steps:
        before = bank_version()
        step()
        db.session.commit()
        assert bank_version() > before
    for unread in (  # what drawing never reads moves nothing
        lambda: setattr(question, "external_key", "not-drawing"),
        lambda: setattr(question.current, "reviewed_at", utcnow()),
    ):
        before = bank_version()
        unread()
        db.session.commit()
        assert bank_version() == before


def test_login_throttling_counts_failures_made_through_both_hosts(app, client, host_b, make_user):
    app.config["LOGIN_MAX_FAILURES"] = host_b.config["LOGIN_MAX_FAILURES"] = 4
    user = make_user(UserRole.CANDIDATE)
    for index in range(4):  # alternately through host A and host B, as nginx spreads them
        on = client if index % 2 == 0 else host_b.test_client()
        assert _api_login(on, user.username, "wrong").status_code == 401
    for on in (client, host_b.test_client()):
        refused = _api_login(on, user.username)
        assert refused.status_code == 429
        assert refused.get_json()["error"]["code"] == "throttled"


def test_a_session_made_on_one_host_works_on_another_and_ends_on_both(
    app, client, host_b, make_user
):
    user = make_user(UserRole.CANDIDATE)
    assert _api_login(client, user.username).status_code == 200
    on_b = host_b.test_client()
    for name in ("session", "anpei_device"):  # the browser sends its cookies to either host
        cookie = client.get_cookie(name)
        if cookie is not None:
            on_b.set_cookie(name, cookie.value)
    assert on_b.get("/api/v1/me/exams").status_code == 200

    assert client.post("/logout").status_code == 302  # logged out through host A
    assert on_b.get("/api/v1/me/exams").status_code == 401


def test_a_transaction_pooler_turns_prepared_statements_off():
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://anpei@db/anpei",
            "DB_TRANSACTION_POOLER": True,
        }
    )
    connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert connect_args["prepare_threshold"] is None and "options" not in connect_args
    direct = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/a"})
    assert "prepare_threshold" not in direct.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]


def test_the_scheduler_refuses_a_transaction_pooler(monkeypatch, tmp_path, capsys):
    from scheduler.__main__ import main

    monkeypatch.setenv("ANPEI_DATABASE_URL", f"sqlite:///{tmp_path / 'a.sqlite'}")
    monkeypatch.setenv("ANPEI_DB_TRANSACTION_POOLER", "1")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        assert main() == 2
    finally:  # the scheduler set up logging for its process: give the tests theirs back
        root.handlers[:], root.level = handlers, level
    assert "needs a direct connection" in capsys.readouterr().err


@postgresql_only
def test_report_pages_read_from_the_reports_replica_and_cannot_write(app, database_url, make_user):
    """ANPEI_REPORTS_DATABASE_URL (here the test database itself, opened as the replica is):
    the dashboard, pass rates and tracker run their queries there; the login stays on the
    primary; the replica's transactions refuse writes."""
    admin = make_user(UserRole.ADMIN)
    with_replica = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REPORTS_DATABASE_URL": database_url,
            "LEARNING_STORAGE": app.config["LEARNING_STORAGE"],
        }
    )
    with with_replica.app_context():
        primary, replica = db.engines[None], db.engines[REPORTS_BIND]
        statements = {"primary": [], "replica": []}
        for name, engine in (("primary", primary), ("replica", replica)):
            event.listen(
                engine,
                "before_cursor_execute",
                lambda *args, name=name: statements[name].append(args[2]),
            )
        client = with_replica.test_client()
        login = client.post("/login", data={"login": admin.username, "password": PASSWORD})
        assert login.status_code == 302 and statements["replica"] == []
        for path in ("/reports/", "/reports/pass-rates", "/reports/tracker"):
            statements["primary"].clear(), statements["replica"].clear()
            assert client.get(path).status_code == 200, path
            assert len(statements["replica"]) > 0, path
            # The primary saw only the signed-in user's session and account.
            assert all("login_session" in s or 'FROM "user"' in s for s in statements["primary"])
        with replica.connect() as connection, pytest.raises(DBAPIError, match="read-only"):
            connection.execute(text("INSERT INTO town (name) VALUES ('只读')"))
        replica.dispose()
        primary.dispose()
