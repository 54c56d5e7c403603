"""Report pages kept for a few seconds while an exam sits (``exam.core.pagecache``): computed
once per user, session, language and address; never kept when no exam sits, never shared
between users or sessions, never kept with a flashed message, stale at once after the user's
own write, and gone after their seconds."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from conftest import PASSWORD, statements_run

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams.examday import sitting_now
from exam.exams.models import Attempt

TRACKER = "/reports/tracker"


statements = statements_run


def _page(client, url=TRACKER) -> tuple[str, int]:
    with statements() as seen:
        response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True), len(seen)


@pytest.fixture
def sitting(make_exam):
    """An exam open now."""
    return make_exam()


def test_while_an_exam_sits_a_report_page_is_computed_once_in_its_seconds(
    app, client, login_as, make_person, sitting
):
    login_as(UserRole.ADMIN)
    make_person(name="甲先生")
    first, computed = _page(client)
    assert "甲先生" in first
    assert 'id="page-kept"' in first and "数据截至" in first

    make_person(name="乙女士")  # somebody else's change, committed meanwhile
    second, kept = _page(client)
    assert second == first and "乙女士" not in second
    # The kept page costs the user's load and the sitting check, not the report's queries.
    assert kept <= 3 < computed

    app.config["PAGE_CACHE_SECONDS"] = 1  # the next page lives 1 s
    _page(client, TRACKER + "?page=1")
    time.sleep(2.1)
    third, _ = _page(client)
    assert "乙女士" not in third  # the 30-s page of the first request still stands
    later, recomputed = _page(client, TRACKER + "?page=1")
    assert "乙女士" in later and recomputed > 3


def test_no_exam_sitting_no_page_is_kept(client, login_as, make_person, make_exam):
    make_exam(opens=1, closes=3)  # published, not open yet
    assert not sitting_now(utcnow())
    login_as(UserRole.ADMIN)
    make_person(name="甲先生")
    first, _ = _page(client)
    assert 'id="page-kept"' not in first
    make_person(name="乙女士")
    second, computed = _page(client)
    assert "乙女士" in second and computed > 3


def test_the_half_hour_before_an_exam_opens_counts_as_sitting(app, make_exam):
    """Candidates sign in before the opening: the reports keep their pages from then on."""
    exam = make_exam(opens=1, closes=3)
    now = utcnow()
    assert not sitting_now(now + timedelta(minutes=29)) and not sitting_now(now)
    assert sitting_now(now + timedelta(minutes=31))  # 29 minutes before it opens
    assert sitting_now(now + timedelta(hours=2))  # open
    assert not sitting_now(now + timedelta(hours=3))  # closed, nobody sitting
    exam.published_at = None  # a draft never counts
    db.session.commit()
    assert not sitting_now(now + timedelta(minutes=31))


def test_an_attempt_under_way_after_the_close_counts_as_sitting(app, make_exam, make_user):
    exam = make_exam(opens=-3, closes=-1)
    now = utcnow()
    assert not sitting_now(now)
    candidate = make_user(UserRole.CANDIDATE)
    db.session.add(
        Attempt(
            exam=exam,
            user_id=candidate.id,
            seed=1,
            paper=[],
            paper_json="[]",
            started_at=now,
            deadline=now + timedelta(minutes=30),  # an organiser's extra time
        )
    )
    db.session.commit()
    assert sitting_now(now)


def test_a_users_own_write_shows_at_once(client, login_as, make_person, sitting):
    login_as(UserRole.ADMIN)
    make_person(name="甲先生")
    _page(client)
    make_person(name="乙女士")
    # Any form the user sends (here: enrolling nobody, refused with a message) makes their
    # kept pages stale; the page that shows the message is not kept either.
    client.post("/reports/tracker/enrol", data={})
    shown, computed = _page(client)
    assert "乙女士" in shown and computed > 3


def test_a_kept_page_is_never_anybody_elses(app, client, login_as, make_person, make_user, sitting):
    admin = login_as(UserRole.ADMIN)
    make_person(name="甲先生")
    _page(client)
    make_person(name="乙女士")

    other = app.test_client()
    second_admin = make_user(UserRole.ADMIN)
    other.post("/login", data={"login": second_admin.username, "password": PASSWORD})
    theirs, computed = _page(other)
    assert "乙女士" in theirs and computed > 3

    # The same user in a new session (logged out and in again) gets a page of its own too.
    client.post("/logout")
    assert client.get(TRACKER).status_code == 302  # a kept page is no way past the login
    client.post("/login", data={"login": admin.username, "password": PASSWORD})
    again, recomputed = _page(client)
    assert "乙女士" in again and recomputed > 3


def test_a_page_with_a_message_is_not_kept(client, login_as, sitting):
    login_as(UserRole.ADMIN)
    url = "/reports/pass-rates?from=not-a-date"
    first, computed = _page(client, url)
    assert "not-a-date" in first and 'id="page-kept"' in first
    second, recomputed = _page(client, url)
    assert "not-a-date" in second and recomputed > 3 and computed > 3
