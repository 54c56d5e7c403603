"""Papers drawn ahead of the start burst (exam/exams/predrawn.py): drawn on publishing and by
the scheduler, claimed by a start, drawn now when none is left, never served once the bank or
the exam changed, never claimed twice."""

from __future__ import annotations

import threading
from datetime import timedelta

from conftest import postgresql_only, statements_run
from sqlalchemy import select

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams import predrawn
from exam.exams import services as exam_services
from exam.exams.models import Attempt, DrawnPaper
from exam.questions import services as bank
from exam.questions.models import Question
from scheduler.__main__ import run_job


def _waiting(exam) -> list[DrawnPaper]:
    db.session.expire_all()
    return db.session.scalars(select(DrawnPaper).where(DrawnPaper.exam_id == exam.id)).all()


def _start(client, make_user, exam) -> Attempt:
    user = make_user(UserRole.CANDIDATE)
    client.post("/login", data={"login": user.username, "password": "Test-pass-2026"})
    response = client.post(f"/api/v1/exams/{exam.id}/attempts")
    assert response.status_code == 201, response.get_data(as_text=True)
    return db.session.get(Attempt, response.get_json()["attempt_id"])


def test_publishing_draws_a_paper_per_candidate_and_a_start_claims_one(
    client, make_user, make_exam
):
    users = [make_user(UserRole.CANDIDATE) for _ in range(3)]
    exam = make_exam()
    drawn = _waiting(exam)
    assert len(drawn) == 3 and len({paper.seed for paper in drawn}) == 3
    assert all('"answer"' not in paper.paper_json for paper in drawn)  # no key on the page
    seeds = {paper.seed: paper.paper_json for paper in drawn}

    client.post("/login", data={"login": users[0].username, "password": "Test-pass-2026"})
    attempt_id = client.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["attempt_id"]
    attempt = db.session.get(Attempt, attempt_id)
    assert seeds[attempt.seed] == attempt.paper_json  # the paper drawn ahead, as it was
    assert len(_waiting(exam)) == 2
    fetched = client.get(f"/api/v1/attempts/{attempt_id}").get_json()
    assert [q["question_id"] for q in fetched["paper"]["questions"]] == [
        item["question_id"] for item in attempt.paper
    ]


def test_a_start_with_no_paper_drawn_ahead_draws_one_now(client, make_user, make_exam):
    exam = make_exam()  # published before anybody could sit it: nothing drawn
    assert _waiting(exam) == []
    attempt = _start(client, make_user, exam)
    assert len(attempt.paper) == 10 and attempt.paper_json


def test_a_question_retired_after_drawing_is_never_served(client, app, make_user, make_exam):
    for _ in range(4):
        make_user(UserRole.CANDIDATE)
    exam = make_exam()
    drawn = _waiting(exam)
    assert len(drawn) == 4
    retired_id = drawn[0].paper[0]["question_id"]
    drawn_seeds = {paper.seed for paper in drawn}  # (SQLite may reuse the rows' ids)
    admin = make_user(UserRole.ADMIN)
    bank.transition(db.session.get(Question, retired_id), "retire", admin, utcnow())
    db.session.commit()

    attempt = _start(client, make_user, exam)  # the papers drawn ahead are stale now
    assert retired_id not in {item["question_id"] for item in attempt.paper}
    assert attempt.seed not in drawn_seeds
    assert len(_waiting(exam)) == 4  # none was claimed

    # The scheduler discards them and draws afresh for the candidates still to start.
    assert run_job(app, exam_services.predraw_exam_papers) == 5 - 1
    fresh = _waiting(exam)
    assert {paper.seed for paper in fresh}.isdisjoint(drawn_seeds)
    assert all(retired_id not in {i["question_id"] for i in paper.paper} for paper in fresh)
    assert run_job(app, exam_services.predraw_exam_papers) == 0  # enough drawn already


def test_an_exam_changed_after_drawing_gets_papers_of_its_new_shape(client, make_user, make_exam):
    make_user(UserRole.CANDIDATE)
    exam = make_exam()
    assert len(_waiting(exam)) == 1
    exam.title = "八抓20项专题考试（更正）"
    db.session.commit()
    attempt = _start(client, make_user, exam)
    assert "（更正）" in attempt.paper_json


@postgresql_only
def test_a_start_takes_its_paper_and_makes_its_attempt_in_one_statement(
    client, make_user, make_exam
):
    """PostgreSQL: the paper goes from drawn_paper to the attempt inside the database, in the
    statement that inserts the attempt (no claim, savepoint and insert one after another)."""
    user = make_user(UserRole.CANDIDATE)
    exam = make_exam()
    (drawn,) = _waiting(exam)
    seed, paper, page = drawn.seed, drawn.paper, drawn.paper_json
    client.post("/login", data={"login": user.username, "password": "Test-pass-2026"})
    with statements_run() as statements:
        response = client.post(f"/api/v1/exams/{exam.id}/attempts")
    assert response.status_code == 201
    touching = [s for s in statements if "drawn_paper" in s or "INTO attempt" in s]
    assert len(touching) == 1 and "INSERT INTO attempt" in touching[0], touching
    assert not [s for s in statements if "SAVEPOINT" in s]
    db.session.expire_all()
    attempt = db.session.get(Attempt, response.get_json()["attempt_id"])
    assert (attempt.seed, attempt.paper, attempt.paper_json) == (seed, paper, page)
    assert (attempt.user_id, attempt.number, attempt.device_changes) == (user.id, 1, 0)
    assert _waiting(exam) == []


def test_a_start_that_loses_the_race_for_its_attempt_gets_the_winners(
    app, make_user, make_exam, monkeypatch
):
    """Two starts by one candidate at once: the second to insert attempt number 1 returns the
    first's attempt, not an error and not a second attempt."""
    user = make_user(UserRole.CANDIDATE)
    make_user(UserRole.CANDIDATE)
    exam = make_exam()
    assert len(_waiting(exam)) == 2
    winner = exam_services.start_attempt(exam, user, utcnow())
    db.session.commit()
    # The loser read the attempts before the winner's insert committed: none so far.
    monkeypatch.setattr(exam_services, "_attempts_so_far", lambda exam, user: (0, None))
    with statements_run() as statements:
        loser = exam_services.start_attempt(exam, user, utcnow())
    db.session.commit()
    assert loser.id == winner.id
    if db.engine.dialect.name == "postgresql":  # settled by the one statement's ON CONFLICT
        assert not [s for s in statements if "SAVEPOINT" in s], statements
    assert db.session.scalars(select(Attempt.id).where(Attempt.user_id == user.id)).all() == [
        winner.id
    ]
    assert len(_waiting(exam)) == 0  # the loser's paper is spent, never served twice


@postgresql_only
def test_two_starts_at_once_never_claim_the_same_paper(app, make_user, make_exam):
    """The first start holds the paper it took until it commits; the second, meanwhile, takes
    another at once (SKIP LOCKED inside the one statement) instead of waiting or taking the
    same."""
    users = [make_user(UserRole.CANDIDATE) for _ in range(2)]
    exam = make_exam()
    exam_id, key, now = exam.id, exam_services.paper_key(exam), utcnow()
    attempts = [
        {
            "exam_id": exam_id,
            "user_id": user.id,
            "number": 1,
            "started_at": now,
            "device_id": None,
            "deadline": now + timedelta(hours=1),
        }
        for user in users
    ]
    db.session.commit()
    first_claimed, second_done = threading.Event(), threading.Event()
    claimed: dict[str, int | None] = {}

    def first():
        with app.app_context():
            claimed["first"] = predrawn.start_with_claimed(exam_id, key, attempts[0]).seed
            first_claimed.set()
            assert second_done.wait(20)  # still holding its row while the second claims
            db.session.commit()

    def second():
        with app.app_context():
            assert first_claimed.wait(20)
            claimed["second"] = predrawn.start_with_claimed(exam_id, key, attempts[1]).seed
            db.session.commit()
            second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert claimed["second"] is not None and claimed["first"] != claimed["second"]
    assert _waiting(exam) == []
    seeds = db.session.scalars(select(Attempt.seed).where(Attempt.exam_id == exam_id)).all()
    assert sorted(seeds) == sorted([claimed["first"], claimed["second"]])


def test_the_scheduler_draws_within_its_time_and_count(app, make_user, make_exam, monkeypatch):
    exam = make_exam()  # published before anybody could sit it: nothing drawn
    for _ in range(6):
        make_user(UserRole.CANDIDATE)
    db.session.commit()

    monkeypatch.setattr(exam_services, "PREDRAW_SECONDS", 0.0)  # no time left: nothing drawn
    assert run_job(app, exam_services.predraw_exam_papers) == 0
    monkeypatch.setattr(exam_services, "PREDRAW_SECONDS", 60.0)
    monkeypatch.setattr(exam_services, "PREDRAW_PER_RUN", 4)  # the count bounds a run too
    assert run_job(app, exam_services.predraw_exam_papers) == 4
    assert run_job(app, exam_services.predraw_exam_papers) == 2  # the rest, in the next run
    assert len(_waiting(exam)) == 6
