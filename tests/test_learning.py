"""Online learning, the candidate's side: tracked study time, hours, prerequisites, lesson files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams import services as exam_services
from exam.learning import services
from exam.learning.models import Course, Lesson, LessonFile, LessonKind, StudyDay, StudyProgress
from exam.people.models import PersonRole
from exam.questions.models import Topic
from exam.training.services import ledger

#: Mid-morning in Shanghai, so that a few minutes either way stay on one local day.
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def make_course(app):
    def make(
        *lessons, assignment=None, published=True, topics=(), title="安全生产法要点"
    ) -> Course:
        course = Course(
            title=title,
            assignment=assignment or {"roles": [PersonRole.PRINCIPAL_LEADER]},
            published_at=utcnow() if published else None,
            topics=list(db.session.scalars(select(Topic).where(Topic.code.in_(topics)))),
        )
        for position, (kind, minutes) in enumerate(lessons or [(LessonKind.TEXT, 10)]):
            course.lessons.append(
                Lesson(
                    title=f"第{position + 1}课",
                    kind=kind,
                    minutes=minutes,
                    position=position,
                    body="<p>第五条 生产经营单位的主要负责人是本单位安全生产第一责任人。</p>",
                )
            )
        db.session.add(course)
        db.session.commit()
        return course

    return make


@pytest.fixture
def leader(make_person):
    return make_person(role=PersonRole.PRINCIPAL_LEADER)


def beats(person, lesson, times, *, active=True, positions=None):
    """Send heartbeats at these seconds after T0; returns the total credited."""
    total = 0.0
    for i, second in enumerate(times):
        position = positions[i] if positions else None
        total += services.beat(
            person, lesson, at(second), active=active, position=position
        ).credited
    db.session.commit()
    return round(total, 2)


def test_time_counts_between_active_heartbeats(leader, make_course):
    lesson = make_course().lessons[0]
    assert beats(leader, lesson, [0, 15, 30, 45]) == 45


def test_heartbeats_from_a_hidden_page_are_not_credited(leader, make_course):
    lesson = make_course().lessons[0]
    beats(leader, lesson, [0, 15])
    # The page went hidden at 20 s: the 5 s before count, the hidden time does not.
    assert beats(leader, lesson, [20, 35, 50, 65], active=False) == 5
    # Back in front: the first report only starts the clock again.
    assert beats(leader, lesson, [80, 95]) == 15
    assert db.session.scalar(select(StudyProgress.seconds)) == 35


def test_the_first_report_of_a_lesson_page_credits_nothing_before_it(leader, make_course):
    course = make_course((LessonKind.TEXT, 10), (LessonKind.TEXT, 10))
    first, second = course.lessons
    assert beats(leader, first, [0, 15]) == 15
    # The page left without saying it stopped; 6 s on the course list, then the next lesson.
    opened = services.beat(leader, second, at(21), active=True, start=True)
    assert opened.credited == 0 and opened.seconds == 0
    assert beats(leader, second, [36]) == 15  # from its load on, its time counts
    assert db.session.scalar(select(func.sum(StudyDay.seconds))) == 30


def test_a_long_silence_is_not_credited(leader, make_course):
    lesson = make_course().lessons[0]
    # Reports stopped (the phone slept, the connection dropped): the gap counts for nothing.
    assert beats(leader, lesson, [0, 300, 315]) == 15


def test_two_tabs_on_the_same_lesson_do_not_double_the_time(leader, make_course):
    lesson = make_course().lessons[0]
    # Two tabs each reporting every 15 s, interleaved: 60 s of study, not 120.
    tab_a, tab_b = [0, 15, 30, 45, 60], [7, 22, 37, 52]
    assert beats(leader, lesson, sorted(tab_a + tab_b)) == 60


def test_two_tabs_on_two_lessons_do_not_double_the_time(leader, make_course):
    course = make_course((LessonKind.TEXT, 10), (LessonKind.TEXT, 10))
    first, second = course.lessons
    credited = 0.0
    for second_at in range(0, 61, 15):
        credited += services.beat(leader, first, at(second_at), active=True).credited
        credited += services.beat(leader, second, at(second_at + 7), active=True).credited
    db.session.commit()
    assert round(credited, 2) == 67  # wall time from the first report to the last
    assert db.session.scalar(select(func.sum(StudyDay.seconds))) == 67


def test_no_more_than_the_lesson_asks_for_is_credited(leader, make_course):
    lesson = make_course((LessonKind.TEXT, 1)).lessons[0]
    assert beats(leader, lesson, range(0, 181, 15)) == 60
    progress = db.session.scalar(select(StudyProgress))
    assert progress.seconds == 60 and progress.completed_at is not None


def test_a_lesson_is_complete_at_the_configured_share(app, leader, make_course):
    app.config["LESSON_COMPLETE_PERCENT"] = 50
    lesson = make_course((LessonKind.TEXT, 2)).lessons[0]
    beats(leader, lesson, range(0, 46, 15))
    assert db.session.scalar(select(StudyProgress.completed_at)) is None
    beats(leader, lesson, [60])
    assert db.session.scalar(select(StudyProgress.completed_at)) == at(60)


def test_a_paused_video_does_not_count(leader, make_course):
    lesson = make_course((LessonKind.VIDEO, 5)).lessons[0]
    assert beats(leader, lesson, [0, 15, 30], positions=[0, 15, 30]) == 30
    # The page claims to be studying, but the video stands still.
    assert beats(leader, lesson, [45, 60], positions=[30, 30]) == 0


def test_a_video_cannot_skip_ahead_past_what_was_watched(leader, make_course):
    lesson = make_course((LessonKind.VIDEO, 5)).lessons[0]
    beats(leader, lesson, [0, 15], positions=[0, 15])
    jump = services.beat(leader, lesson, at(30), active=True, position=200)
    db.session.commit()
    assert jump.seek_to == 15 and jump.credited == 0
    progress = db.session.scalar(select(StudyProgress))
    assert progress.furthest == 15 and progress.position == 15
    # Going back and watching again is fine, and so is carrying on from the furthest point.
    assert beats(leader, lesson, [45, 60], positions=[30, 45]) == 30
    assert db.session.scalar(select(StudyProgress.furthest)) == 45


def test_study_time_converts_to_hours_with_a_daily_cap(app, leader):
    app.config.update(ONLINE_MINUTES_PER_HOUR=45, ONLINE_DAILY_CAP_HOURS=2)
    db.session.add_all(
        [
            StudyDay(person_id=leader.id, day=date(2026, 3, 1), seconds=90 * 60),  # 2 hours
            StudyDay(person_id=leader.id, day=date(2026, 3, 2), seconds=300 * 60),  # capped at 2
            StudyDay(person_id=leader.id, day=date(2026, 3, 3), seconds=27 * 60),  # 0.6
            StudyDay(person_id=leader.id, day=date(2025, 12, 31), seconds=45 * 60),  # last year
        ]
    )
    db.session.commit()
    assert services.online_hours([leader.id], 2026) == {leader.id: 4.6}
    assert services.online_hours([leader.id], 2025) == {leader.id: 1.0}
    days = services.study_days(leader, 2026)
    assert [(d.day.day, d.hours, d.capped) for d in days] == [
        (3, 0.6, False),
        (2, 2.0, True),
        (1, 2.0, False),
    ]


def test_online_hours_are_credited_to_the_ledger_apart_from_hours_on_site(app, leader):
    app.config.update(ONLINE_MINUTES_PER_HOUR=45, ONLINE_DAILY_CAP_HOURS=4)
    db.session.add(StudyDay(person_id=leader.id, day=date(2026, 5, 6), seconds=135 * 60))
    db.session.commit()
    entry = ledger(leader, 2026)
    assert (entry.online, entry.onsite, entry.total) == (3.0, 0.0, 3.0)


def test_a_forged_heartbeat_for_a_lesson_not_assigned_is_refused_and_nothing_stored(
    client, login_as, make_person, make_course
):
    safety_manager = make_person(role=PersonRole.SAFETY_MANAGER)
    lesson = make_course(assignment={"roles": [PersonRole.SAFETY_DIRECTOR]}).lessons[0]
    login_as(UserRole.CANDIDATE, person=safety_manager)
    response = client.post(
        f"/learning/lessons/{lesson.id}/beat", json={"active": True, "position": 0}
    )
    assert response.status_code == 404
    assert response.json["error"]["message"] == "该课时不在您的课程中。"
    assert db.session.scalar(select(func.count(StudyProgress.id))) == 0
    assert db.session.scalar(select(func.count(StudyDay.id))) == 0
    assert client.get(f"/learning/lessons/{lesson.id}").status_code == 404
    assert client.get(f"/learning/courses/{lesson.course_id}").status_code == 404


def test_an_unpublished_course_is_not_studied(client, login_as, leader, make_course):
    lesson = make_course(published=False).lessons[0]
    login_as(UserRole.CANDIDATE, person=leader)
    assert (
        client.post(f"/learning/lessons/{lesson.id}/beat", json={"active": True}).status_code == 404
    )


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"active": "yes"},
        {"active": True, "position": "x"},
        {"active": True, "position": True},
        [1, 2],
        {"active": True, "position": 10**400},
        {"active": True, "position": 0, "start": "yes"},
    ],
)
def test_a_malformed_heartbeat_gets_a_clear_message(client, login_as, leader, make_course, body):
    lesson = make_course().lessons[0]
    login_as(UserRole.CANDIDATE, person=leader)
    response = client.post(f"/learning/lessons/{lesson.id}/beat", json=body)
    assert response.status_code == 400 and "重新加载" in response.json["error"]["message"]
    assert db.session.scalar(select(func.count(StudyDay.id))) == 0


def test_heartbeats_over_http_credit_the_candidate(
    client, login_as, leader, make_course, monkeypatch
):
    lesson = make_course().lessons[0]
    login_as(UserRole.CANDIDATE, person=leader)
    clock = iter([at(0), at(15), at(30)])
    monkeypatch.setattr("exam.learning.views.utcnow", lambda: next(clock))
    for _ in range(3):
        body = client.post(
            f"/learning/lessons/{lesson.id}/beat", json={"active": True, "position": 0.5}
        ).json
    assert body["seconds"] == 30 and body["required"] == 600 and body["completed"] is False
    monkeypatch.setattr("exam.learning.views.utcnow", lambda: at(40))
    reopened = client.post(
        f"/learning/lessons/{lesson.id}/beat", json={"active": True, "position": 0, "start": True}
    ).json
    assert reopened["credited"] == 0 and reopened["seconds"] == 30  # reloaded: nothing before
    page = client.get("/learning/").get_data(as_text=True)
    assert "安全生产法要点" in page and "继续：第1课" in page


def test_the_candidate_sees_courses_with_progress_and_due_dates(
    client, login_as, leader, make_course
):
    course = make_course((LessonKind.TEXT, 1), (LessonKind.TEXT, 1))
    course.due_on = date(2020, 1, 31)
    db.session.commit()
    beats(leader, course.lessons[0], range(0, 61, 15))
    login_as(UserRole.CANDIDATE, person=leader)
    page = client.get("/learning/").get_data(as_text=True)
    assert "已学 1 / 2 课时" in page
    assert "已逾期" in page and "2020-01-31" in page and "继续：第2课" in page


def test_an_exam_blocks_until_its_prerequisite_course_is_complete(
    client, login_as, leader, make_course, make_exam
):
    course = make_course((LessonKind.TEXT, 1))
    exam = make_exam(prerequisite_course_id=course.id)
    user = login_as(UserRole.CANDIDATE, person=leader)
    with pytest.raises(exam_services.ExamError) as refused:
        exam_services.start_attempt(exam, user, utcnow())
    assert refused.value.code == "course_required" and refused.value.params["lessons"] == 1
    page = client.get("/exams").get_data(as_text=True)
    assert "考试前请先学完在线课程“安全生产法要点”：已学完 0 / 1 课时。" in page
    response = client.post(
        f"/exams/{exam.id}/start", data={"csrf_token": "x"}, follow_redirects=True
    )
    assert "请先学完在线课程“安全生产法要点”" in response.get_data(as_text=True)
    api = client.post(f"/api/v1/exams/{exam.id}/attempts", json={})
    assert api.status_code == 403 and api.json["error"]["code"] == "course_required"
    beats(leader, course.lessons[0], range(0, 61, 15))
    assert exam_services.start_attempt(exam, user, utcnow()).id


def test_weak_topics_point_to_the_lessons_on_them(leader, make_course):
    course = make_course(topics=["G1"])
    make_course(topics=["G7"], title="应急处置")
    weak = services.weak_topics({"G1": [4, 10], "G7": [9, 10]}, 80)
    assert weak == ["G1"]
    assert services.courses_on_topics(leader, weak) == [course]


def test_the_video_is_served_with_206_partial_content(
    app, client, login_as, leader, make_person, make_course, tmp_path
):
    from exam.learning.storage import file_path

    app.config["LEARNING_STORAGE"] = str(tmp_path)
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
    stored = LessonFile(
        sha256="ab" * 32, original_name="片.mp4", content_type="video/mp4", size=len(data)
    )
    db.session.add(stored)
    db.session.flush()
    path = file_path(stored)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    lesson = make_course((LessonKind.VIDEO, 1)).lessons[0]
    lesson.file = stored
    db.session.commit()
    login_as(UserRole.CANDIDATE, person=leader)
    response = client.get(f"/learning/lessons/{lesson.id}/file", headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert response.data == data[100:200]
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/learning/lessons/{lesson.id}/file").data == data
    client.post("/logout")
    login_as(UserRole.CANDIDATE, person=make_person(role=PersonRole.SAFETY_MANAGER))
    assert (
        client.get(
            f"/learning/lessons/{lesson.id}/file", headers={"Range": "bytes=0-9"}
        ).status_code
        == 404
    )


def test_two_tabs_reporting_at_the_same_moment_count_once(app, leader, make_course, monkeypatch):
    """Two workers handle the two tabs' reports at once: the person's clock is locked, so the
    ten seconds since the previous report are credited to one of them only."""
    import threading
    import time

    lesson = make_course().lessons[0]
    slow_progress = services._progress

    def slowly(*args, **kwargs):  # hold the clock a while, so that the other report comes meanwhile
        time.sleep(0.3)
        return slow_progress(*args, **kwargs)

    monkeypatch.setattr(services, "_progress", slowly)
    beats(leader, lesson, [0])
    person_id, lesson_id = leader.id, lesson.id
    barrier, credited, errors = threading.Barrier(2), [], []

    def tab():
        try:
            with app.app_context():
                from exam.people.models import Person

                person, this = db.session.get(Person, person_id), db.session.get(Lesson, lesson_id)
                barrier.wait()
                credited.append(services.beat(person, this, at(10), active=True).credited)
                db.session.commit()
        except Exception as error:  # reported below: a thread's exception would vanish
            errors.append(error)

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(credited) == [0, 10]
    db.session.expire_all()
    assert db.session.scalar(select(StudyDay.seconds)) == 10


def test_a_failed_exam_points_to_the_courses_on_its_weak_topics(
    client, login_as, leader, make_course, make_exam
):
    course = make_course(topics=["G1"], title="教育培训专题课程")
    make_course(topics=["G7"], title="应急处置专题课程")
    exam = make_exam()
    user = login_as(UserRole.CANDIDATE, person=leader)
    attempt = exam_services.start_attempt(exam, user, utcnow())
    exam_services.submit(attempt, utcnow())  # nothing answered: every topic is weak
    db.session.commit()
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "学习您失分较多的专题" in page
    assert f'/learning/courses/{course.id}"' in page and "应急处置专题课程" not in page


def test_reports_that_prove_no_watching_do_not_move_a_video_on(leader, make_course):
    lesson = make_course((LessonKind.VIDEO, 5)).lessons[0]
    beats(leader, lesson, [0, 15], positions=[0, 15])
    # Many reports at one instant, paused or "playing", each a little further on: none moves it.
    beats(leader, lesson, [15.1] * 50, active=False, positions=[17 + i for i in range(50)])
    beats(leader, lesson, [15.2] * 50, positions=[17 + i for i in range(50)])
    progress = db.session.scalar(select(StudyProgress))
    assert progress.furthest <= 15 + 0.2 * 2
    assert progress.completed_at is None


def test_a_late_report_or_a_faster_playback_is_not_taken_for_a_jump(leader, make_course):
    lesson = make_course((LessonKind.VIDEO, 5)).lessons[0]
    # A report 3 s late, then two lost on a weak network, then 1.25x speed: all watched honestly.
    credited = beats(
        leader, lesson, [0, 15, 33, 45, 90, 105, 120], positions=[0, 15, 30, 45, 90, 108.75, 127.5]
    )
    assert (
        credited == 15 + 15 + 12 + 0 + 15 + 15
    )  # never more than played, nor than the clock allows
    progress = db.session.scalar(select(StudyProgress))
    assert progress.furthest == 127.5


def test_a_prerequisite_course_can_be_studied_by_every_candidate_of_the_exam(
    client, login_as, make_person, make_course, make_exam
):
    manager = make_person(role=PersonRole.SAFETY_MANAGER)
    course = make_course((LessonKind.TEXT, 1), assignment={"roles": [PersonRole.PRINCIPAL_LEADER]})
    exam = make_exam(prerequisite_course_id=course.id)
    user = login_as(UserRole.CANDIDATE, person=manager)
    assert client.get(f"/learning/courses/{course.id}").status_code == 200
    assert "安全生产法要点" in client.get("/learning/").get_data(as_text=True)
    beats(manager, course.lessons[0], range(0, 61, 15))
    assert exam_services.start_attempt(exam, user, utcnow()).id


def test_behind_nginx_a_video_is_handed_to_nginx_to_send(
    app, client, login_as, leader, make_course, tmp_path
):
    from exam.learning.storage import file_path

    app.config.update(LEARNING_STORAGE=str(tmp_path), LEARNING_ACCEL_PREFIX="/lesson-files/")
    stored = LessonFile(sha256="cd" * 32, original_name="x.html", content_type="video/webm", size=4)
    db.session.add(stored)
    db.session.flush()
    file_path(stored).parent.mkdir(parents=True, exist_ok=True)
    file_path(stored).write_bytes(b"\x1a\x45\xdf\xa3")
    lesson = make_course((LessonKind.VIDEO, 1)).lessons[0]
    lesson.file = stored
    db.session.commit()
    login_as(UserRole.CANDIDATE, person=leader)
    response = client.get(f"/learning/lessons/{lesson.id}/file")
    assert response.headers["X-Accel-Redirect"] == f"/lesson-files/cd/{'cd' * 32}.webm"
    assert response.headers["Content-Type"] == "video/webm" and response.data == b""
