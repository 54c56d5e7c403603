"""Pass rates and the dashboard: the arithmetic on a hand-made data set (makeups, no-shows,
cancelled scores, a person who changed enterprise and post), scope, and the number of SQL
statements, which must not grow with the data.

The hand-made data (tests/reports_data.py), worked out by hand:

- exam E1 (10 March 2026, for everybody): 张一 passes; 张二, 张三, 李九 fail; 李五's pass is
  cancelled; 王六 (then a safety manager at 甲, since June a principal leader at 丙) passes;
  李四 and 王八 never come; 王七 registered after it closed (not a candidate).
  Makeup M1 (April): 张二 passes, 张三 fails, the others stay away.
  => 8 candidates, 2 no-shows, 5 sat, 2 passed first (40.0%), 3 passed finally (60.0%), 1 cancelled.
- exam E2 (15 September, principal leaders): 张一 and 李四 pass, 王六 (now at 丙) fails, 王八 absent.
  => 4 candidates, 1 no-show, 3 sat, 2 passed (66.7%).
"""

from __future__ import annotations

from datetime import date

import pytest
from reports_data import NOW, generated, hand_made
from sqlalchemy import event

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.people.models import PersonRole, Sector
from exam.people.services import update_person
from exam.reports.kept import candidacy
from exam.reports.queries import figures, tracker
from exam.reports.queries.rates import Counts, rate, total

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _rates(user, group_by, **kw):
    return figures.pass_rates(
        user, group_by=group_by, date_from=YEAR[0], date_to=YEAR[1], now=NOW, **kw
    )


def _counts(row) -> tuple:
    return (
        row.candidates,
        row.no_shows,
        row.sat_first,
        row.passed_first,
        row.sat_final,
        row.passed_final,
        row.cancelled,
    )


@pytest.fixture
def data(app):
    return hand_made()


@pytest.fixture
def admin(make_user):
    return make_user(UserRole.ADMIN)


def test_rate_arithmetic_without_an_app():
    assert rate(2, 5) == 40.0 and rate(2, 3) == 66.7 and rate(0, 0) is None
    a, b = Counts(8, 2, 5, 2, 5, 3, 1), Counts(4, 1, 3, 2, 3, 2, 0)
    both = total([a, b])
    assert both == Counts(12, 3, 8, 4, 8, 5, 1)
    assert (both.first_rate, both.final_rate, both.not_passed) == (50.0, 62.5, 7)


def test_by_exam_counts_makeups_in_the_final_rate_and_keeps_no_shows_and_cancelled_apart(
    data, admin
):
    e1, m1, e2, _e3 = data.exams
    rows = _rates(admin, "exam")
    assert [r.key for r in rows] == [
        e1.id,
        e2.id,
    ]  # the makeup is no row of its own; E3 has not opened
    first, second = rows
    assert _counts(first) == (8, 2, 5, 2, 5, 3, 1)
    assert (first.first_rate, first.final_rate) == (40.0, 60.0)
    assert _counts(second) == (4, 1, 3, 2, 3, 2, 0)
    assert second.first_rate == 66.7
    only = _rates(admin, "all")
    assert len(only) == 1 and _counts(only[0]) == (12, 3, 8, 4, 8, 5, 1)
    # A makeup's id stands for its original exam.
    assert [_counts(r) for r in _rates(admin, "exam", exam_id=m1.id)] == [(8, 2, 5, 2, 5, 3, 1)]


def test_people_who_moved_count_where_they_were_when_the_exam_opened(data, admin):
    a, b, c = data.enterprises
    by_enterprise = {r.key: _counts(r) for r in _rates(admin, "enterprise")}
    # 王六 sat E1 at 甲 (as a safety manager) and E2 at 丙 (as principal leader).
    assert by_enterprise == {
        a.id: (5, 0, 5, 3, 5, 4, 0),
        b.id: (4, 1, 2, 1, 2, 1, 1),
        c.id: (3, 2, 1, 0, 1, 0, 0),
    }
    by_role = {r.key: r.candidates for r in _rates(admin, "role")}
    assert by_role == {
        PersonRole.PRINCIPAL_LEADER: 7,
        PersonRole.SAFETY_DIRECTOR: 2,
        PersonRole.SAFETY_MANAGER: 3,
    }


def test_by_town_sector_and_month(data, admin):
    t1, t2 = data.towns
    assert {r.key: r.candidates for r in _rates(admin, "town")} == {t1.id: 8, t2.id: 4}
    codes = {s.id: s.code for s in db.session.scalars(db.select(Sector))}
    by_sector = {codes[r.key]: _counts(r) for r in _rates(admin, "sector")}
    # 乙 is in two sectors: counted in each (so sectors do not add up to the total).
    assert by_sector == {
        "hazardous_chemicals": (9, 1, 7, 4, 7, 5, 1),
        "metal_smelting": (4, 1, 2, 1, 2, 1, 1),
        "industry_trade": (3, 2, 1, 0, 1, 0, 0),
    }
    assert [(r.key, r.candidates) for r in _rates(admin, "month")] == [
        ("2026-03", 8),
        ("2026-09", 4),
    ]
    metal = next(k for k, v in codes.items() if v == "metal_smelting")
    assert [_counts(r) for r in _rates(admin, "enterprise", sector_id=metal)] == [
        (4, 1, 2, 1, 2, 1, 1)
    ]


def test_period_filter(data, admin):
    rows = figures.pass_rates(
        admin, group_by="exam", date_from=date(2026, 9, 1), date_to=date(2026, 9, 30), now=NOW
    )
    assert [r.candidates for r in rows] == [4]
    assert (
        figures.pass_rates(
            admin, group_by="exam", date_from=date(2025, 1, 1), date_to=date(2025, 12, 31), now=NOW
        )
        == []
    )


def test_an_organiser_sees_only_their_towns(data, make_user):
    _t1, t2 = data.towns
    organiser = make_user(UserRole.ORGANISER, scope_towns=[t2])
    rows = _rates(organiser, "enterprise")
    assert [(r.label, _counts(r)) for r in rows] == [("乙冶炼有限公司", (4, 1, 2, 1, 2, 1, 1))]
    board = figures.dashboard(organiser, 2026, NOW)
    assert board.required_people == 3 and board.exams.candidates == 4


def test_dashboard_figures(data, admin):
    board = figures.dashboard(admin, 2026, NOW)
    assert board.exams_held == 2
    assert _counts(board.exams) == (12, 3, 8, 4, 8, 5, 1)
    assert (board.exams.first_rate, board.exams.final_rate) == (50.0, 62.5)
    assert (board.required_people, board.not_passed) == (9, 6)
    assert (board.certificates_valid, board.certificates_expiring) == (2, 1)
    assert (board.training_sessions, board.training_person_times) == (
        1,
        3,
    )  # the cancelled one does not count
    assert (board.screenings, board.screening_person_times) == (1, 50)
    # 16 hours for 张一, 张二, 张三 (high-risk: 16 needed); 王八 and 李九's 2 film hours are not enough.
    assert (board.hours_required, board.hours_met) == (9, 3)
    assert [s.candidates for s in board.by_sector] == [9, 4, 3]
    assert board.hours_rate == 33.3


# --- statements ------------------------------------------------------------------------------


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.count += 1


def statements(fn) -> int:
    db.session.expire_all()
    with StatementCounter(db.engine) as counter:
        fn()
    return counter.count


def _all_reports(user) -> dict[str, int]:
    # The rosters of the exams closed since (the scheduler's job, or the first report's).
    result = {"rosters": statements(lambda: candidacy.take_rosters(NOW))}
    db.session.commit()
    result |= {
        "dashboard": statements(lambda: figures.dashboard(user, 2026, NOW)),
        "tracker": statements(lambda: tracker.page(user, status=tracker.NOT_PASSED, now=NOW)),
    }
    for group_by in (*figures.GROUP_BYS, "all"):
        result[group_by] = statements(lambda g=group_by: _rates(user, g))
    return result


def test_statement_counts_do_not_grow_with_the_data(app, make_user, make_town):
    admin = make_user(UserRole.ADMIN)
    organiser = make_user(
        UserRole.ORGANISER,
        scope_sectors=[
            db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
        ],
    )
    generated(1)
    small = {"admin": _all_reports(admin), "organiser": _all_reports(organiser)}
    people_small = tracker.page(admin, now=NOW).total
    generated(2)  # now three times the data
    large = {"admin": _all_reports(admin), "organiser": _all_reports(organiser)}
    assert tracker.page(admin, now=NOW).total == 3 * people_small
    assert small == large
    assert max(small["admin"].values()) <= 15


def test_people_who_left_still_count_where_they_sat(data, admin):
    _a, b, _c = data.enterprises
    leaver = data.people.p9  # 李九 failed E1 at 乙, then left in June
    stint = leaver.employments[0]
    stint.started_on, stint.ended_on, stint.end_reason = date(2024, 1, 1), date(2026, 6, 1), "left"
    leaver.enterprise = None
    db.session.commit()
    by_enterprise = {r.key: _counts(r) for r in _rates(admin, "enterprise")}
    assert by_enterprise[b.id] == (4, 1, 2, 1, 2, 1, 1) and None not in by_enterprise
    assert "李九" not in {r.name for r in tracker.page(admin, now=NOW).rows}  # no longer in a post


def test_a_control_character_in_an_imported_name_breaks_no_report(app, client, login_as):
    data = hand_made()
    data.enterprises[1].name = "乙冶炼\x0b有限公司"
    db.session.commit()
    login_as(UserRole.ADMIN)
    for url in (
        "/reports/pass-rates?group_by=enterprise&from=2026-01-01&to=2026-12-31",
        "/reports/pass-rates.xlsx?group_by=enterprise&from=2026-01-01&to=2026-12-31",
        "/reports/tracker.xlsx",
        f"/reports/enterprise/{data.enterprises[1].id}.xlsx",
        "/reports/",
    ):
        assert client.get(url).status_code == 200, url


def test_hours_are_not_asked_of_a_year_before_the_post(data, admin):
    # Obligations follow the employment history: the appointment corrected as the register does.
    update_person(data.people.p8, {"appointed_on": date(2027, 3, 1)}, None, date(2027, 3, 1))
    db.session.commit()
    assert figures.dashboard(admin, 2026, NOW).hours_required == 8
