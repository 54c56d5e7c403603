"""Exam day: overrides, devices, focus losses, invigilators' actions, makeup exams."""

import io
from datetime import timedelta

import pytest
from conftest import PASSWORD

from exam.audit.models import AuditEntry
from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams import examday
from exam.exams import services as exams
from exam.exams.models import Attempt, AttemptEvent, Exam
from exam.exams.standing import back_to_training


def _client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"login": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _start(client, exam, **body):
    response = client.post(f"/api/v1/exams/{exam.id}/attempts", json=body or None)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["attempt_id"]


def _first_question(client, attempt_id):
    return client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"][0][
        "question_id"
    ]


def _sit(exam, user, right: bool, now):
    """Sit ``exam`` as ``user`` through the services, all right or all wrong."""
    attempt = exams.start_attempt(exam, user, now)
    for seq, item in enumerate(attempt.paper, start=1):
        answer = {"single": "A", "multiple": "AB", "truefalse": True, "fill": ["x"]}[item["kind"]]
        exams.save_answer(attempt, item["question_id"], answer, seq, now)
    exams.submit(attempt, now)
    if right:  # the answers above are not the key: mark it passed as a grader would
        attempt.passed, attempt.score = True, 100.0
    db.session.flush()
    return attempt


# --- overrides ---------------------------------------------------------------------------


def test_extra_time_for_one_person_moves_their_deadline_and_nobody_elses(app, make_exam, make_user):
    exam = make_exam(duration=30)
    slow, other = make_user(UserRole.CANDIDATE), make_user(UserRole.CANDIDATE)
    organiser = make_user(UserRole.ORGANISER)
    slow_client, other_client = _client(app, slow), _client(app, other)
    slow_attempt, other_attempt = _start(slow_client, exam), _start(other_client, exam)
    before = {a.id: a.deadline for a in db.session.scalars(db.select(Attempt))}

    manager = _client(app, organiser)
    response = manager.post(
        f"/manage/exams/{exam.id}/overrides",
        data={
            "target": "person",
            "person_login": slow.person.id_number,
            "extra_minutes": 20,
            "extra_attempts": 0,
            "reason": "视力障碍，需放大阅读",
        },
        follow_redirects=True,
    )
    assert "新条件立即生效" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Attempt, slow_attempt).deadline == before[slow_attempt] + timedelta(
        minutes=20
    )
    assert db.session.get(Attempt, other_attempt).deadline == before[other_attempt]
    status = slow_client.post(f"/api/v1/attempts/{slow_attempt}/heartbeat").get_json()
    assert status["deadline"].startswith(
        (before[slow_attempt] + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    )
    assert (
        db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "exam.override"))
        is not None
    )


def test_a_town_override_gives_another_window_and_extra_attempts(
    app, make_exam, make_user, make_person, make_enterprise, make_town
):
    town = make_town("河口镇")
    person = make_person(enterprise=make_enterprise(town=town))
    user = make_user(UserRole.CANDIDATE, person=person)
    exam = make_exam(opens=-3, closes=-1)  # closed for everybody else
    now = utcnow()
    examday.add_override(
        exam,
        make_user(UserRole.ORGANISER),
        reason="网络故障",
        town=town,
        closes_at=now + timedelta(hours=2),
        extra_attempts=1,
        now=now,
    )
    db.session.commit()
    terms = examday.terms_for(exam, user)
    assert terms.status(exam, now) == "open" and terms.attempts_allowed == 2
    assert examday.terms_for(exam, make_user(UserRole.CANDIDATE)).status(exam, now) == "closed"
    attempt_id = _start(_client(app, user), exam)
    assert db.session.get(Attempt, attempt_id).deadline <= now + timedelta(hours=2)


def test_an_override_that_ends_before_it_starts_is_refused(
    app, client, login_as, make_exam, make_user
):
    exam = make_exam()
    candidate = make_user(UserRole.CANDIDATE)
    login_as(UserRole.ORGANISER)
    response = client.post(
        f"/manage/exams/{exam.id}/overrides",
        data={
            "target": "person",
            "person_login": candidate.person.mobile,
            "opens_at": "2026-12-02T09:00",
            "closes_at": "2026-12-01T09:00",
            "reason": "补测",
        },
        follow_redirects=True,
    )
    assert "结束时间必须晚于开始时间" in response.get_data(as_text=True)
    response = client.post(
        f"/manage/exams/{exam.id}/overrides",
        data={"target": "person", "person_login": candidate.person.mobile, "reason": ""},
        follow_redirects=True,
    )
    assert "请说明原因" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(db.text("exam_override"))) == 0


# --- devices, focus, access code, network ---------------------------------------------------


def test_a_new_device_is_blocked_until_an_organiser_allows_it(app, make_exam, make_user):
    exam = make_exam()
    candidate = make_user(UserRole.CANDIDATE)
    phone = _client(app, candidate)
    attempt_id = _start(phone, exam)
    question = _first_question(phone, attempt_id)
    assert (
        phone.put(
            f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 1}
        ).status_code
        == 200
    )

    laptop = _client(app, candidate)  # the same person, another browser
    refused = laptop.get(f"/api/v1/attempts/{attempt_id}")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "device_blocked"
    assert "监考" in refused.get_json()["error"]["message"]
    assert (
        laptop.put(
            f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 2}
        ).get_json()["error"]["code"]
        == "device_blocked"
    )
    assert laptop.post(f"/api/v1/attempts/{attempt_id}/submit").status_code == 409

    manager = _client(app, make_user(UserRole.ORGANISER))
    rows = manager.get(f"/manage/exams/{exam.id}/invigilate.json").get_json()["rows"]
    assert next(r for r in rows if r["attempt_id"] == attempt_id)["device_waiting"] is True
    response = manager.post(
        f"/manage/exams/{exam.id}/attempts/{attempt_id}/allow_device",
        data={"reason": "手机没电，换用电脑"},
        follow_redirects=True,
    )
    assert "可以接续" in response.get_data(as_text=True)

    assert laptop.get(f"/api/v1/attempts/{attempt_id}").status_code == 200
    # Loading the paper alone moved the attempt: the phone is the other device now.
    assert (
        phone.get(f"/api/v1/attempts/{attempt_id}").get_json()["error"]["code"] == "device_blocked"
    )
    assert (
        laptop.put(
            f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 3}
        ).status_code
        == 200
    )
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.device_changes == 1
    kinds = [e.kind for e in db.session.scalars(db.select(AttemptEvent).order_by(AttemptEvent.id))]
    assert kinds == ["device_blocked", "device_allowed", "device_changed", "device_blocked"]


@pytest.mark.parametrize("login", ["web", "api"])
def test_a_start_whose_response_was_lost_is_retried_from_the_same_device(
    app, make_exam, make_user, login
):
    """Found by the fault benchmark: a worker killed after committing a start lost the
    response that set the device cookie, so the retry came from a "new device" and the
    candidate was refused their exam. The login's response now gives the device its id."""
    exam = make_exam()  # one device per attempt
    candidate = make_user(UserRole.CANDIDATE)
    if login == "web":
        phone = _client(app, candidate)
    else:
        phone = app.test_client()
        body = {"login": candidate.username, "password": PASSWORD}
        assert phone.post("/api/v1/login", json=body).status_code == 200
    device = phone.get_cookie("anpei_device")
    assert device is not None  # set before the start
    phone.post(f"/api/v1/exams/{exam.id}/attempts")  # its response is lost ...
    phone.set_cookie("anpei_device", device.value)  # ... so the phone keeps what it had
    again = phone.post(f"/api/v1/exams/{exam.id}/attempts")
    assert again.status_code in (200, 201), again.get_data(as_text=True)
    assert phone.get(f"/api/v1/attempts/{again.get_json()['attempt_id']}").status_code == 200


def test_one_device_off_lets_any_device_go_on(app, make_exam, make_user):
    exam = make_exam(one_device=False)
    candidate = make_user(UserRole.CANDIDATE)
    attempt_id = _start(_client(app, candidate), exam)
    assert _client(app, candidate).get(f"/api/v1/attempts/{attempt_id}").status_code == 200


def test_focus_losses_are_recorded_and_a_limit_submits(app, make_exam, make_user):
    exam = make_exam(focus_loss_limit=2)
    candidate = make_user(UserRole.CANDIDATE)
    client = _client(app, candidate)
    attempt_id = _start(client, exam)
    question = _first_question(client, attempt_id)
    client.put(f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 1})
    for expected in (1, 2):
        status = client.post(
            f"/api/v1/attempts/{attempt_id}/events", json={"kind": "focus_lost"}
        ).get_json()
        assert status == {**status, "focus_losses": expected, "submitted": False}
    status = client.post(
        f"/api/v1/attempts/{attempt_id}/events", json={"kind": "focus_lost"}
    ).get_json()
    assert status["submitted"] is True
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.auto_submitted and attempt.score is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(db.text("attempt_answer"))) == 1
    assert (
        client.post(f"/api/v1/attempts/{attempt_id}/events", json={"kind": "nonsense"}).status_code
        == 422
    )


def test_focus_tracking_off_records_nothing(app, make_exam, make_user):
    exam = make_exam(focus_tracking=False, focus_loss_limit=1)
    client = _client(app, make_user(UserRole.CANDIDATE))
    attempt_id = _start(client, exam)
    for _ in range(3):
        client.post(f"/api/v1/attempts/{attempt_id}/events", json={"kind": "focus_lost"})
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.focus_losses == 0 and attempt.submitted_at is None


def test_the_access_code_and_the_network_are_checked_at_the_start(app, make_exam, make_user):
    exam = make_exam(access_code="7Q4K")
    client = _client(app, make_user(UserRole.CANDIDATE))
    refused = client.post(f"/api/v1/exams/{exam.id}/attempts", json={"access_code": "1234"})
    assert refused.status_code == 403 and "考场" in refused.get_json()["error"]["message"]
    assert (
        client.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["error"]["code"]
        == "access_code"
    )
    assert _start(client, exam, access_code="7q4k")

    closed_room = make_exam(allowed_networks="10.8.0.0/16")
    other = _client(app, make_user(UserRole.CANDIDATE))
    refused = other.post(f"/api/v1/exams/{closed_room.id}/attempts")
    assert refused.get_json()["error"]["code"] == "network"
    room = app.test_client()
    room.environ_base["REMOTE_ADDR"] = "10.8.3.4"
    room.post(
        "/login",
        data={"login": make_user(UserRole.CANDIDATE).username, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.8.3.4"},
    )
    started = room.post(
        f"/api/v1/exams/{closed_room.id}/attempts", environ_base={"REMOTE_ADDR": "10.8.3.4"}
    )
    assert started.status_code == 201, started.get_data(as_text=True)


# --- invigilators' actions -------------------------------------------------------------------


def test_reopening_a_closed_attempt_keeps_its_answers(app, make_exam, make_user):
    exam = make_exam()
    candidate = make_user(UserRole.CANDIDATE)
    client = _client(app, candidate)
    attempt_id = _start(client, exam)
    question = _first_question(client, attempt_id)
    client.put(f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 4})
    client.post(f"/api/v1/attempts/{attempt_id}/submit")
    # A replayed save after the attempt closed: a clear JSON error.
    replay = client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 5}
    )
    assert replay.status_code == 409 and "已交卷" in replay.get_json()["error"]["message"]

    manager = _client(app, make_user(UserRole.ORGANISER))
    manager.post(
        f"/manage/exams/{exam.id}/attempts/{attempt_id}/reopen",
        data={"minutes": 15, "reason": "停电"},
    )
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()
    assert paper["submitted"] is False and paper["answers"][str(question)]["seq"] == 4
    assert (
        client.put(
            f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 6}
        ).status_code
        == 200
    )
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "attempt.reopened"))
    assert entry.changes["reason"] == "停电" and entry.changes["minutes"] == 15


def test_cancelling_a_score_is_logged_and_left_out_of_the_pass_rate(app, make_exam, make_user):
    exam = make_exam()
    now = utcnow()
    passed = _sit(exam, make_user(UserRole.CANDIDATE), True, now)
    cheat = _sit(exam, make_user(UserRole.CANDIDATE), True, now)
    _sit(exam, make_user(UserRole.CANDIDATE), False, now)
    db.session.commit()
    manager = _client(app, make_user(UserRole.ORGANISER))
    page = manager.get(f"/manage/exams/{exam.id}").get_data(as_text=True)
    assert "合格率 66.7%（3 人中 2 人" in page
    manager.post(f"/manage/exams/{exam.id}/attempts/{cheat.id}/cancel", data={"reason": "替考"})
    page = manager.get(f"/manage/exams/{exam.id}").get_data(as_text=True)
    assert "合格率 50.0%（2 人中 1 人" in page
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "attempt.cancelled"))
    assert entry.changes["reason"] == "替考"
    db.session.expire_all()
    assert db.session.get(Attempt, cheat.id).score == 100.0  # kept, marked
    assert db.session.get(Attempt, passed.id).cancelled_at is None
    assert "已作废" in manager.get(f"/manage/exams/{exam.id}/attempts/{cheat.id}").get_data(
        as_text=True
    )


def test_the_console_lists_everyone_and_filters_by_enterprise(
    app, make_exam, make_user, make_person, make_enterprise
):
    exam = make_exam()
    first, second = make_enterprise("甲化工有限公司"), make_enterprise("乙化工有限公司")
    started = make_user(UserRole.CANDIDATE, person=make_person("李明", enterprise=first))
    make_user(UserRole.CANDIDATE, person=make_person("王芳", enterprise=second))
    client = _client(app, started)
    attempt_id = _start(client, exam)
    question = _first_question(client, attempt_id)
    client.put(f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 1})
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"]
    fill = next(q for q in paper if q["kind"] == "fill")["question_id"]
    client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{fill}", json={"answer": ["", " "], "seq": 1}
    )
    manager = _client(app, make_user(UserRole.ORGANISER))
    data = manager.get(f"/manage/exams/{exam.id}/invigilate.json").get_json()
    by_name = {r["name"]: r for r in data["rows"]}
    assert by_name["李明"]["state"] == "in_progress" and by_name["李明"]["seconds_left"] > 0
    assert by_name["李明"]["answered"] == 0  # a cleared answer is no answer
    assert by_name["王芳"]["state"] == "not_started"
    assert data["counts"]["in_progress"] >= 1
    only = manager.get(
        f"/manage/exams/{exam.id}/invigilate.json?enterprise={second.id}"
    ).get_json()["rows"]
    assert [r["name"] for r in only] == ["王芳"]
    assert "监考" in manager.get(f"/manage/exams/{exam.id}/invigilate").get_data(as_text=True)


def test_an_organiser_outside_the_exams_scope_can_neither_see_nor_act(app, make_exam, make_user):
    from exam.people.models import Sector

    chemicals = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
    mines = db.session.scalar(db.select(Sector).where(Sector.code == "coal_mine"))
    exam = make_exam(eligibility={"sector_ids": [chemicals.id]})
    attempt_id = _start(_client(app, make_user(UserRole.CANDIDATE)), exam)
    outsider = _client(app, make_user(UserRole.ORGANISER, scope_sectors=[mines]))
    for url in (
        f"/manage/exams/{exam.id}",
        f"/manage/exams/{exam.id}/invigilate.json",
        f"/manage/exams/{exam.id}/attempts/{attempt_id}",
    ):
        assert outsider.get(url).status_code == 404
    assert (
        outsider.post(
            f"/manage/exams/{exam.id}/attempts/{attempt_id}/extend",
            data={"minutes": 30, "reason": "x"},
        ).status_code
        == 404
    )
    assert exam.title not in outsider.get("/manage/exams/").get_data(as_text=True)
    insider = _client(app, make_user(UserRole.ORGANISER, scope_sectors=[chemicals]))
    assert (
        insider.post(
            f"/manage/exams/{exam.id}/attempts/{attempt_id}/extend",
            data={"minutes": 30, "reason": "网络慢"},
        ).status_code
        == 302
    )
    # Creating an exam for sectors beyond one's scope is refused with a message.
    from test_manage_exams import _exam_form

    response = insider.post(
        "/manage/exams/new", data=_exam_form(title="越权考试", sector_ids=[mines.id])
    )
    assert "只能选择您负责范围内" in response.get_data(as_text=True)
    assert (
        insider.post(
            "/manage/exams/new",
            data=_exam_form(title="本行业考试", sector_ids=[chemicals.id]),
        ).status_code
        == 302
    )


# --- makeup exams ------------------------------------------------------------------------------


def test_the_makeup_enrols_exactly_the_failed_and_the_absent(app, make_exam, make_user):
    exam = make_exam(opens=-5, closes=-1)
    sat_at = exam.opens_at + timedelta(minutes=5)
    passed, failed, absent, cancelled = (make_user(UserRole.CANDIDATE) for _ in range(4))
    for user in (passed, failed, absent, cancelled):  # registered before the exam
        user.person.created_at = exam.opens_at - timedelta(days=30)
    _sit(exam, passed, True, sat_at)
    _sit(exam, failed, False, sat_at)
    caught = _sit(exam, cancelled, True, sat_at)
    organiser = make_user(UserRole.ORGANISER)
    examday.cancel(caught, organiser, "夹带", sat_at)
    db.session.commit()

    manager = _client(app, organiser)
    response = manager.post(
        f"/manage/exams/{exam.id}/makeup",
        data={"opens_at": "2030-01-10T09:00", "closes_at": "2030-01-12T17:00"},
        follow_redirects=True,
    )
    assert "已发布" in response.get_data(as_text=True)
    makeup = db.session.scalar(db.select(Exam).where(Exam.makeup_of_id == exam.id))
    enrolled = set(makeup.eligibility["person_ids"])
    everyone = {
        u.person_id
        for u in db.session.scalars(db.select(User).where(User.role == UserRole.CANDIDATE))
    }
    assert enrolled == {failed.person_id, absent.person_id}
    assert (
        passed.person_id not in enrolled
        and cancelled.person_id not in enrolled
        and enrolled < everyone
    )
    assert makeup.attempts_allowed == 1 and makeup.blueprint["rules"] == exam.blueprint["rules"]

    again = manager.post(
        f"/manage/exams/{exam.id}/makeup",
        data={"opens_at": "2030-01-10T09:00", "closes_at": "2030-01-12T17:00"},
        follow_redirects=True,
    )
    assert "已有补考" in again.get_data(as_text=True)
    of_makeup = manager.post(
        f"/manage/exams/{makeup.id}/makeup",
        data={"opens_at": "2030-02-10T09:00", "closes_at": "2030-02-12T17:00"},
        follow_redirects=True,
    )
    assert "补考不再设补考" in of_makeup.get_data(as_text=True)
    assert (
        db.session.scalar(db.select(db.func.count(Exam.id)).where(Exam.makeup_of_id.is_not(None)))
        == 1
    )


def test_a_makeup_can_include_cancelled_scores_when_asked(app, make_exam, make_user):
    exam = make_exam(opens=-5, closes=-1)
    caught = _sit(exam, make_user(UserRole.CANDIDATE), True, exam.opens_at + timedelta(minutes=5))
    organiser = make_user(UserRole.ORGANISER)
    examday.cancel(caught, organiser, "夹带", utcnow())
    makeup = examday.create_makeup(
        exam, organiser, utcnow(), utcnow() + timedelta(days=1), utcnow(), include_cancelled=True
    )
    assert makeup.eligibility["person_ids"] == [caught.user.person_id]


def test_no_makeup_while_the_exam_is_open(app, client, login_as, make_exam):
    exam = make_exam()
    login_as(UserRole.ORGANISER)
    response = client.post(
        f"/manage/exams/{exam.id}/makeup",
        data={"opens_at": "2030-01-10T09:00", "closes_at": "2030-01-12T17:00"},
        follow_redirects=True,
    )
    assert "考试对所有人结束后" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Exam.id))) == 1


def test_failing_the_makeup_sends_a_person_back_to_training(app, make_exam, make_user):
    exam = make_exam(opens=-5, closes=-1)
    candidate = make_user(UserRole.CANDIDATE)
    _sit(exam, candidate, False, exam.opens_at + timedelta(minutes=5))
    now = utcnow()
    organiser = make_user(UserRole.ORGANISER)
    makeup = examday.create_makeup(
        exam, organiser, now - timedelta(hours=1), now + timedelta(hours=1), now
    )
    assert exams.publish(makeup, now) == []
    assert back_to_training(candidate.person) == []
    _sit(makeup, candidate, False, now)
    db.session.commit()
    assert back_to_training(candidate.person) == [makeup]
    manager = _client(app, organiser)
    page = manager.get(f"/people/{candidate.person_id}").get_data(as_text=True)
    assert "回炉培训" in page


# --- notices ------------------------------------------------------------------------------------


def test_a_candidates_home_shows_exams_makeups_and_results(app, make_exam, make_user):
    candidate = make_user(UserRole.CANDIDATE)
    first = make_exam(opens=-5, closes=-1)
    _sit(first, candidate, False, first.opens_at + timedelta(minutes=5))
    now = utcnow()
    makeup = examday.create_makeup(
        first,
        make_user(UserRole.ORGANISER),
        now - timedelta(hours=1),
        now + timedelta(hours=3),
        now,
    )
    assert exams.publish(makeup, now) == []
    upcoming = make_exam(opens=24, closes=48)
    db.session.commit()
    page = _client(app, candidate).get("/").get_data(as_text=True)
    assert f'id="notice-exam-{makeup.id}"' in page and "您已被安排参加补考" in page
    assert f'id="notice-exam-{upcoming.id}"' in page and "即将开始" in page
    assert 'id="notice-results"' in page and "不合格" in page
    other = _client(app, make_user(UserRole.CANDIDATE)).get("/").get_data(as_text=True)
    assert f'id="notice-exam-{makeup.id}"' not in other  # only those enrolled


def test_organisers_are_warned_of_an_exam_about_to_open_that_cannot_be_drawn(
    app, make_exam, make_user
):
    from exam.questions.models import Question, QuestionStatus

    exam = make_exam(opens=20, closes=30)
    organiser = _client(app, make_user(UserRole.ORGANISER))
    assert f'id="risk-exam-{exam.id}"' not in organiser.get("/").get_data(as_text=True)
    for question in db.session.scalars(db.select(Question)):
        question.status = QuestionStatus.RETIRED
    db.session.commit()
    page = organiser.get("/").get_data(as_text=True)
    assert f'id="risk-exam-{exam.id}"' in page and "即将开考的考试无法抽题" in page


# --- what review found ---------------------------------------------------------------------------


def test_an_exam_limited_to_a_network_is_never_sat_from_outside_it(app, make_exam, make_user):
    exam = make_exam(allowed_networks="10.8.0.0/16")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.8.3.4"
    client.post(
        "/login", data={"login": make_user(UserRole.CANDIDATE).username, "password": PASSWORD}
    )
    attempt_id = _start(client, exam)
    question = _first_question(client, attempt_id)  # the paper is now cached by this process
    assert (
        client.put(
            f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 1}
        ).status_code
        == 200
    )
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"  # the same session, outside the room
    assert client.get(f"/api/v1/attempts/{attempt_id}").get_json()["error"]["code"] == "network"
    refused = client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{question}", json={"answer": None, "seq": 2}
    )
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "network"
    assert db.session.scalar(db.select(AttemptEvent.id)) is None


def test_no_right_answers_are_shown_while_anybody_may_still_answer(app, make_exam, make_user):
    exam = make_exam(review_policy="after_close", opens=-2, closes=1)
    late, done = make_user(UserRole.CANDIDATE), make_user(UserRole.CANDIDATE)
    late_client, done_client = _client(app, late), _client(app, done)
    late_attempt, done_attempt = _start(late_client, exam), _start(done_client, exam)
    done_client.post(f"/api/v1/attempts/{done_attempt}/submit")
    organiser = make_user(UserRole.ORGANISER)
    now = utcnow()
    examday.extend(db.session.get(Attempt, late_attempt), 120, organiser, "停电", now)
    exam.closes_at = now - timedelta(minutes=5)  # the window is over, but one attempt runs on
    db.session.commit()
    assert done_client.get(f"/api/v1/attempts/{done_attempt}/result").get_json()["review"] == []
    late_client.post(f"/api/v1/attempts/{late_attempt}/submit")
    assert (
        len(done_client.get(f"/api/v1/attempts/{done_attempt}/result").get_json()["review"]) == 10
    )


def test_an_attempt_whose_answers_were_shown_is_not_reopened(app, make_exam, make_user):
    exam = make_exam(review_policy="immediately")
    client = _client(app, make_user(UserRole.CANDIDATE))
    attempt_id = _start(client, exam)
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit").get_json()["review"]
    manager = _client(app, make_user(UserRole.ORGANISER))
    response = manager.post(
        f"/manage/exams/{exam.id}/attempts/{attempt_id}/reopen",
        data={"minutes": 10, "reason": "停电"},
        follow_redirects=True,
    )
    assert "已看过" in response.get_data(as_text=True)
    assert db.session.get(Attempt, attempt_id).submitted_at is not None


def test_a_cancelled_score_reads_cancelled_everywhere(app, make_exam, make_user):
    exam = make_exam()
    candidate = make_user(UserRole.CANDIDATE)
    attempt = _sit(exam, candidate, True, utcnow())
    examday.cancel(attempt, make_user(UserRole.ORGANISER), "替考", utcnow())
    db.session.commit()
    client = _client(app, candidate)
    result = client.get(f"/api/v1/attempts/{attempt.id}/result").get_json()
    assert result["cancelled"] is True and result["passed"] is False
    assert "成绩因违规作废：替考" in client.get(f"/attempts/{attempt.id}/result").get_data(
        as_text=True
    )
    from openpyxl import load_workbook

    manager = _client(app, make_user(UserRole.ORGANISER))
    sheet = load_workbook(
        io.BytesIO(manager.get(f"/manage/exams/{exam.id}/attempts.xlsx").data)
    ).active
    header, *rows = sheet.iter_rows(values_only=True)
    assert [row[header.index("结果")] for row in rows] == ["已作废"]


def test_overrides_combine_field_by_field(
    app, make_exam, make_user, make_person, make_enterprise, make_town
):
    town = make_town()
    user = make_user(UserRole.CANDIDATE, person=make_person(enterprise=make_enterprise(town=town)))
    exam = make_exam(opens=-3, closes=-1, duration=60)
    organiser, now = make_user(UserRole.ORGANISER), utcnow()
    examday.add_override(
        exam, organiser, reason="网络故障", town=town, closes_at=now + timedelta(hours=2), now=now
    )
    examday.add_override(
        exam, organiser, reason="视力障碍", person=user.person, extra_minutes=30, now=now
    )
    terms = examday.terms_for(exam, user)
    assert terms.status(exam, now) == "open" and terms.duration_minutes == 90


def test_reopening_after_a_forced_submission_starts_the_focus_count_again(
    app, make_exam, make_user
):
    exam = make_exam(focus_loss_limit=1)
    client = _client(app, make_user(UserRole.CANDIDATE))
    attempt_id = _start(client, exam)
    for _ in range(2):
        status = client.post(
            f"/api/v1/attempts/{attempt_id}/events", json={"kind": "focus_lost"}
        ).get_json()
    assert status["submitted"] is True
    manager = _client(app, make_user(UserRole.ORGANISER))
    manager.post(
        f"/manage/exams/{exam.id}/attempts/{attempt_id}/reopen",
        data={"minutes": 10, "reason": "误触"},
    )
    status = client.post(
        f"/api/v1/attempts/{attempt_id}/events", json={"kind": "focus_lost"}
    ).get_json()
    assert status["submitted"] is False and status["focus_losses"] == 1


def test_extending_an_attempt_already_past_its_deadline_is_refused(app, make_exam, make_user):
    exam = make_exam()
    client = _client(app, make_user(UserRole.CANDIDATE))
    attempt_id = _start(client, exam)
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline = utcnow() - timedelta(minutes=10)
    db.session.commit()
    manager = _client(app, make_user(UserRole.ORGANISER))
    response = manager.post(
        f"/manage/exams/{exam.id}/attempts/{attempt_id}/extend",
        data={"minutes": 10, "reason": "网络慢"},
        follow_redirects=True,
    )
    assert "已交卷" in response.get_data(as_text=True)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert (
        attempt.submitted_at is not None and attempt.auto_submitted
    )  # closed, to be reopened if need be


def test_one_device_switched_on_mid_exam_binds_the_next_device_even_on_a_fresh_process(
    app, make_exam, make_user
):
    exam = make_exam(one_device=False)
    candidate = make_user(UserRole.CANDIDATE)
    phone = _client(app, candidate)
    attempt_id = _start(phone, exam)
    question = _first_question(phone, attempt_id)
    exam = db.session.get(type(exam), exam.id)
    exam.one_device = True  # the organiser switches it on while the attempt is under way
    db.session.commit()
    app.extensions.pop("anpei_papers", None)  # a process that has not met the attempt yet

    save = f"/api/v1/attempts/{attempt_id}/answers/{question}"
    assert phone.put(save, json={"answer": None, "seq": 1}).status_code == 200
    laptop = _client(app, candidate)  # the same person, another browser
    refused = laptop.put(save, json={"answer": None, "seq": 2})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "device_blocked"
    assert laptop.post(f"/api/v1/attempts/{attempt_id}/heartbeat").status_code == 409
