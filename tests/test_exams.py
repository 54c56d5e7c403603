"""Exam services: starting, saving, submitting and grading attempts, safely under concurrency.

The concurrency tests run on PostgreSQL too when ANPEI_TEST_DATABASE_URL is set."""

import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from conftest import PASSWORD, postgresql_only, statements_run
from openpyxl import load_workbook
from sqlalchemy import event

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams import services
from exam.exams.models import Attempt, AttemptAnswer, Exam


def _answer_key_texts() -> list[str]:
    return ["秘密解析", "安全第一", '"answer"', "ABD"]


def test_publishing_names_the_rule_the_bank_cannot_serve(app, active_bank):
    now = utcnow()
    exam = Exam(
        title="缺题考试",
        blueprint={"rules": [{"count": 9, "kind": "fill", "points": 10}]},
        opens_at=now,
        closes_at=now + timedelta(hours=1),
    )
    db.session.add(exam)
    problems = services.publish(exam, now)
    assert problems[0].params == {"n": 1, "count": 9, "available": 2}
    assert exam.published_at is None and exam.status(now) == "draft"


def test_status_is_derived_from_the_clock(make_exam):
    exam = make_exam(opens=1, closes=3)
    now = utcnow()
    assert exam.status(now) == "upcoming"
    assert exam.status(now + timedelta(hours=2)) == "open"
    assert exam.status(now + timedelta(hours=4)) == "closed"


def test_starting_twice_returns_the_same_attempt_with_a_server_deadline(make_exam, make_user):
    exam = make_exam(duration=30, closes=0.25)  # the window closes before the duration ends
    user = make_user(UserRole.CANDIDATE)
    now = utcnow()
    first = services.start_attempt(exam, user, now)
    db.session.commit()
    assert services.start_attempt(exam, user, now + timedelta(minutes=1)).id == first.id
    assert first.deadline == exam.closes_at
    assert len(first.paper) == 10 and sum(i["points"] for i in first.paper) == 100


def test_the_paper_sent_to_the_page_carries_no_answer_key(make_exam, make_user):
    attempt = services.start_attempt(make_exam(), make_user(UserRole.CANDIDATE), utcnow())
    page = json.loads(attempt.paper_json)
    assert len(page["questions"]) == 10
    for text in _answer_key_texts():
        assert text not in attempt.paper_json
    assert all(
        set(q) == {"number", "question_id", "kind", "stem", "points", "blanks", "options"}
        for q in page["questions"]
    )


def test_out_of_order_saves_keep_the_newest(make_exam, make_user):
    attempt = services.start_attempt(make_exam(), make_user(UserRole.CANDIDATE), utcnow())
    db.session.commit()
    single = next(i for i in attempt.paper if i["kind"] == "single")["question_id"]
    now = utcnow()
    assert services.save_answer(attempt, single, "B", 2, now) is True
    assert services.save_answer(attempt, single, "A", 1, now) is False  # older, arrived late
    assert services.save_answer(attempt, single, "D", 2, now) is False  # same sequence: kept
    db.session.commit()
    assert services.saved_answers(attempt)[single] == ("B", 2)
    assert services.save_answer(attempt, single, "C", 3, now) is True
    assert services.saved_answers(attempt)[single] == ("C", 3)


@pytest.mark.parametrize(
    "kind, response",
    [
        ("single", "AB"),
        ("single", "Z"),
        ("single", 1),
        ("multiple", ["A"]),
        ("truefalse", "对"),
        ("fill", "安全第一"),
        ("fill", ["a", "b"]),
        ("fill", ["长" * 201]),
    ],
)
def test_answers_of_the_wrong_shape_are_refused(make_exam, make_user, kind, response):
    attempt = services.start_attempt(make_exam(), make_user(UserRole.CANDIDATE), utcnow())
    question = next(i for i in attempt.paper if i["kind"] == kind)["question_id"]
    with pytest.raises(services.ExamError) as excinfo:
        services.save_answer(attempt, question, response, 1, utcnow())
    assert excinfo.value.code == "bad_answer"


def test_unknown_questions_and_saves_past_the_grace_period_are_refused(app, make_exam, make_user):
    attempt = services.start_attempt(
        make_exam(duration=10), make_user(UserRole.CANDIDATE), utcnow()
    )
    question = attempt.paper[0]["question_id"]
    with pytest.raises(services.ExamError, match="unknown_question"):
        services.save_answer(attempt, 999999, "A", 1, utcnow())
    grace = timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"])
    late_but_in_grace = attempt.deadline + grace - timedelta(seconds=1)
    assert services.save_answer(attempt, question, None, 1, late_but_in_grace) is True
    with pytest.raises(services.ExamError, match="too_late"):
        services.save_answer(
            attempt, question, None, 2, attempt.deadline + grace + timedelta(seconds=5)
        )


def _right_answer(item):
    order = item["option_order"]
    if item["kind"] == "single":
        return "ABCD"[order.index(2)] if order else "C"
    if item["kind"] == "multiple":
        return "".join(sorted("ABCD"[order.index(i)] for i in (0, 1, 3))) if order else "ABD"
    return {"truefalse": False, "fill": ["安全 第一"]}[item["kind"]]


def test_a_fully_right_paper_scores_everything_and_passes(make_exam, make_user):
    attempt = services.start_attempt(make_exam(), make_user(UserRole.CANDIDATE), utcnow())
    for seq, item in enumerate(attempt.paper, start=1):
        services.save_answer(attempt, item["question_id"], _right_answer(item), seq, utcnow())
    services.submit(attempt, utcnow())
    db.session.commit()
    assert (
        attempt.score == 100 and attempt.passed and attempt.result["by_topic"]["G1"] == [100, 100]
    )


def test_submitting_twice_grades_once_and_refuses_later_saves(make_exam, make_user):
    attempt = services.start_attempt(make_exam(), make_user(UserRole.CANDIDATE), utcnow())
    services.submit(attempt, utcnow())
    first = attempt.submitted_at
    services.submit(attempt, utcnow() + timedelta(seconds=5))
    assert attempt.submitted_at == first and attempt.score == 0 and attempt.passed is False
    with pytest.raises(services.ExamError, match="submitted"):
        services.save_answer(attempt, attempt.paper[0]["question_id"], None, 9, utcnow())


def test_the_attempt_limit_is_kept(make_exam, make_user):
    exam, user = make_exam(), make_user(UserRole.CANDIDATE)
    services.submit(services.start_attempt(exam, user, utcnow()), utcnow())
    with pytest.raises(services.ExamError, match="no_attempts_left"):
        services.start_attempt(exam, user, utcnow())


def test_overdue_attempts_are_closed_by_the_sweep_and_on_next_access(app, make_exam, make_user):
    exam = make_exam(duration=1)
    swept = services.start_attempt(exam, make_user(UserRole.CANDIDATE), utcnow())
    accessed_user = make_user(UserRole.CANDIDATE)
    accessed = services.start_attempt(exam, accessed_user, utcnow())
    db.session.commit()
    later = utcnow() + timedelta(minutes=1, seconds=app.config["ANSWER_GRACE_SECONDS"] + 5)
    assert services.close_if_overdue(accessed, later) and accessed.auto_submitted
    assert services.close_overdue_attempts(later) == 1
    assert swept.submitted_at is not None and swept.score == 0
    assert services.close_overdue_attempts(later) == 0  # idempotent


def test_only_eligible_candidates_may_start(make_exam, make_user, make_person):
    director = make_person(role="safety_director")
    exam = make_exam(eligibility={"roles": ["principal_leader"]})
    with pytest.raises(services.ExamError, match="not_eligible"):
        services.start_attempt(exam, make_user(UserRole.CANDIDATE, person=director), utcnow())
    named = make_exam(eligibility={"person_ids": [director.id]})
    assert (
        services.start_attempt(
            named,
            director_user := db.session.scalar(
                db.select(type(make_user(UserRole.ADMIN)))
                .where(db.text("person_id = :p"))
                .params(p=director.id)
            ),
            utcnow(),
        ).user_id
        == director_user.id
    )
    only_named = make_exam(eligibility={"person_ids": [director.id]})
    with pytest.raises(services.ExamError, match="not_eligible"):
        services.start_attempt(only_named, make_user(UserRole.CANDIDATE), utcnow())


def test_ten_concurrent_starts_make_one_attempt(app, make_exam, make_user):
    exam_id, user_id = make_exam().id, make_user(UserRole.CANDIDATE).id

    def start(_):
        with app.app_context():
            from exam.auth.models import User

            attempt = services.start_attempt(
                db.session.get(Exam, exam_id), db.session.get(User, user_id), utcnow()
            )
            db.session.commit()
            attempt_id = attempt.id
            db.session.remove()
            return attempt_id

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(start, range(10)))
    assert len(ids) == 1
    assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 1


def test_ten_concurrent_submits_give_one_result(app, make_exam, make_user):
    attempt = services.start_attempt(make_exam(), make_user(UserRole.CANDIDATE), utcnow())
    item = attempt.paper[0]
    services.save_answer(attempt, item["question_id"], _right_answer(item), 1, utcnow())
    db.session.commit()
    attempt_id = attempt.id

    def submit(_):
        with app.app_context():
            mine = db.session.get(Attempt, attempt_id)
            services.submit(mine, utcnow())
            db.session.commit()
            result = (mine.submitted_at, mine.score)
            db.session.remove()
            return result

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = set(pool.map(submit, range(10)))
    assert len(results) == 1
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).score == item["points"]
    assert db.session.scalar(db.select(db.func.count(AttemptAnswer.id))) == 1


def test_regrading_after_a_correction_is_explicit_and_logged(
    app, client, login_as, make_exam, make_user
):
    from exam.audit.models import AuditEntry
    from exam.questions import services as bank
    from exam.questions.models import Question
    from question_bank.model import QuestionData

    attempt = services.start_attempt(make_exam(), make_user(UserRole.CANDIDATE), utcnow())
    item = next(i for i in attempt.paper if i["kind"] == "truefalse")
    services.save_answer(
        attempt, item["question_id"], True, 1, utcnow()
    )  # "wrong" by the key: False
    services.submit(attempt, utcnow())
    db.session.commit()
    before = attempt.score
    question = db.session.get(Question, item["question_id"])
    bank.update_question(
        question,
        QuestionData(kind="truefalse", stem=question.current.stem, answer=True),
        question.topics,
        [],
        make_user(UserRole.ORGANISER),
    )
    db.session.commit()
    assert db.session.get(Attempt, attempt.id).score == before  # nothing changes by itself
    login_as(UserRole.ADMIN)
    assert client.post(f"/questions/{question.id}/regrade").status_code == 302
    regraded = db.session.get(Attempt, attempt.id)
    assert regraded.score == before + item["points"]
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "exam.regrade"))
    assert entry.changes["attempts"] == [[attempt.id, before, before + item["points"]]]
    client.post(f"/questions/{question.id}/regrade")  # again: nothing more changes
    assert db.session.get(Attempt, attempt.id).score == before + item["points"]


def test_a_database_error_mid_save_is_a_retryable_json_error(app, client, login_as, make_exam):
    from sqlalchemy.exc import OperationalError

    login_as(UserRole.CANDIDATE)
    attempt_id = client.post(f"/api/v1/exams/{make_exam().id}/attempts").get_json()["attempt_id"]
    question = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"][0][
        "question_id"
    ]

    def broken(conn, cursor, statement, *args):
        if "INSERT INTO attempt_answer" in statement:
            raise OperationalError(statement, {}, Exception("connection lost"))

    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    event.listen(db.engine, "before_cursor_execute", broken)
    try:
        for seq in (1, 2):  # the quick path (the paper was fetched), then the full path
            if seq == 2:
                app.extensions.pop("anpei_papers")
            response = client.put(
                f"/api/v1/attempts/{attempt_id}/answers/{question}",
                json={"answer": None, "seq": seq},
            )
            assert response.status_code == 503 and response.headers["Retry-After"]
            assert response.get_json()["error"]["code"] == "retry"  # the page sends it again
    finally:
        event.remove(db.engine, "before_cursor_execute", broken)
    assert db.session.scalar(db.select(db.func.count(AttemptAnswer.id))) == 0


def test_health_endpoint(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


# --- an exam the bank no longer serves; a submission after the grace period (issue 16) --------


def _retire_singles() -> None:
    from exam.questions.models import Question, QuestionStatus, QuestionVersion

    for question in db.session.scalars(
        db.select(Question)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(QuestionVersion.kind == "single")
    ):
        question.status = QuestionStatus.RETIRED
    db.session.commit()


def test_starting_an_exam_the_bank_no_longer_serves_is_a_409_page_not_a_500(
    client, login_as, make_exam
):
    exam = make_exam()
    _retire_singles()  # after publishing: the first rule can no longer be served
    login_as(UserRole.CANDIDATE)
    response = client.post(f"/exams/{exam.id}/start", data={"csrf_token": "x"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "题库中的试题目前不足以为这场考试组卷" in page and f'id="exam-{exam.id}"' in page
    assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 0


def test_starting_an_exam_the_bank_no_longer_serves_is_a_409_unservable_on_the_api(
    client, login_as, make_exam
):
    exam = make_exam()
    _retire_singles()
    login_as(UserRole.CANDIDATE)
    response = client.post(f"/api/v1/exams/{exam.id}/attempts", json={})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert (
        error["code"] == "unservable" and "题库中的试题目前不足以为这场考试组卷" in error["message"]
    )
    assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 0


def test_a_submit_after_the_grace_period_is_recorded_as_closed_by_the_deadline(
    app, client, login_as, make_exam, make_user
):
    login_as(UserRole.CANDIDATE)
    exam = make_exam()
    grace = timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"])
    in_grace = client.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["attempt_id"]
    db.session.get(Attempt, in_grace).deadline = utcnow() - grace + timedelta(seconds=60)
    db.session.commit()  # past the deadline, within the grace period: an ordinary submission
    assert client.post(f"/api/v1/attempts/{in_grace}/submit").get_json()["auto_submitted"] is False

    exam = make_exam()
    attempt_id = client.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["attempt_id"]
    attempt = db.session.get(Attempt, attempt_id)
    item = next(i for i in attempt.paper if i["kind"] == "truefalse")
    saved = client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{item['question_id']}",
        json={"answer": False, "seq": 1},  # the right answer, saved in time
    )
    assert saved.status_code == 200
    attempt.deadline = utcnow() - grace - timedelta(seconds=5)
    db.session.commit()
    result = client.post(f"/api/v1/attempts/{attempt_id}/submit").get_json()
    assert result["auto_submitted"] is True  # the deadline closed it, not the late click
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.auto_submitted and attempt.score == item["points"]  # saved in time: counts
    organiser = app.test_client()
    user = make_user(UserRole.ORGANISER)
    organiser.post("/login", data={"login": user.username, "password": PASSWORD})
    page = organiser.get(f"/manage/exams/{exam.id}/attempts/{attempt_id}").get_data(as_text=True)
    assert "到时自动交卷" in page
    export = organiser.get(f"/manage/exams/{exam.id}/attempts.xlsx").data
    sheet = load_workbook(io.BytesIO(export))["成绩"]
    assert (sheet["I1"].value, sheet["I2"].value) == ("交卷方式", "到时自动交卷")


def test_grading_reads_the_versions_once_while_the_bank_stands(app, make_exam, make_user):
    """Each process keeps the versions it has graded by while the bank's version stands: a
    second paper of the same questions is graded without reading the bank's tables; a change
    of a question's topics moves the bank's version, and the next grading reads it anew."""
    from exam.questions import services as bank
    from exam.questions.models import Question, Topic

    exam = make_exam()
    attempts = [  # one seed: one paper, the same questions
        services.start_attempt(exam, make_user(UserRole.CANDIDATE), utcnow(), paper_seed=7)
        for _ in range(3)
    ]
    db.session.commit()

    def submitted(attempt) -> list[str]:
        """Submit it; the statements that read the bank's versions or topics meanwhile."""
        with statements_run() as seen:
            services.submit(attempt, utcnow())
            db.session.commit()
        return [s for s in seen if "FROM question_version" in s or "FROM question_topic" in s]

    assert submitted(attempts[0])  # this process had graded none of them yet
    assert submitted(attempts[1]) == []
    # A question of the third paper moves to another topic (and the bank's version on).
    item = attempts[2].paper[0]
    question = db.session.get(Question, item["question_id"])
    other = db.session.scalar(db.select(Topic).where(Topic.code == "G8"))
    assert other not in question.topics
    bank.update_question(question, question.current.data(), [other], [], make_user())
    db.session.commit()
    assert submitted(attempts[2])  # read anew after the change
    assert "G8" in db.session.get(Attempt, attempts[2].id).result["by_topic"]
    assert "G8" not in db.session.get(Attempt, attempts[1].id).result["by_topic"]


@postgresql_only
def test_grading_reads_the_versions_afresh_when_the_session_holds_older_ones(
    app, make_exam, make_user
):
    """A job grading several papers in one transaction holds questions it loaded before a
    change another host committed meanwhile: once the bank's version has moved, the versions
    are read from the database, not from the objects the session holds."""
    from sqlalchemy import text

    from exam.questions.models import Question, Topic

    attempt = services.start_attempt(make_exam(), make_user(UserRole.CANDIDATE), utcnow())
    db.session.commit()
    question = db.session.get(Question, attempt.paper[0]["question_id"])
    assert "G8" not in [t.code for t in question.topics]  # held by this session from now on
    g8 = db.session.scalar(db.select(Topic.id).where(Topic.code == "G8"))
    with db.engine.begin() as other:  # another host moves the question to G8, and commits
        other.execute(text("DELETE FROM question_topic WHERE question_id = :q"), {"q": question.id})
        other.execute(
            text("INSERT INTO question_topic (question_id, topic_id) VALUES (:q, :t)"),
            {"q": question.id, "t": g8},
        )
    services.submit(attempt, utcnow())
    assert "G8" in attempt.result["by_topic"]
    db.session.commit()
