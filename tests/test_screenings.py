"""Warning-film screenings: person-times without double counting, hours for named attendees,
organisers' pages, refusals, scope, and the demo."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from exam.audit.models import AuditEntry
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.people.models import Person, Sector
from exam.screenings import services
from exam.screenings.models import Film, Screening, ScreeningAttendance


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _film(title: str = "生命至上 警钟长鸣", minutes: int = 45) -> Film:
    film = services.save_film(
        None,
        services.FilmData(title=title, duration_minutes=minutes, source="应急管理部宣传教育中心"),
    )
    db.session.commit()
    return film


def _screening(
    actor,
    starts_at=None,
    cadres=None,
    workers=None,
    named=(),
    hours=1.0,
    venue="区应急管理局三楼会议室",
    **fields,
) -> Screening:
    film = db.session.scalar(db.select(Film)) or _film()
    data = services.ScreeningData(
        starts_at=starts_at or utcnow() - timedelta(days=1),
        film_ids=[film.id],
        venue=venue,
        organising_unit="区应急管理局",
        hours=hours,
        headcount_cadres=cadres,
        headcount_workers=workers,
        **fields,
    )
    screening = services.save_screening(None, data, actor)
    if named:
        result = services.add_attendees(
            screening, "\n".join(p.id_number for p in named), db.select(Person), actor
        )
        assert len(result.added) == len(named)
    db.session.commit()
    return screening


def _form(film_id, **overrides) -> dict:
    data = {
        "film_ids": [film_id],
        "starts_at": "2026-03-05T09:30",
        "venue": "柳泉镇便民服务中心多功能厅",
        "organising_unit": "区安委会办公室",
        "audience": "辖区企业主要负责人及一线职工",
        "sector_id": 0,
        "town_id": 0,
        "hours": "1.5",
        "headcount_cadres": "12",
        "headcount_workers": "80",
    }
    data.update(overrides)
    return data


# --- person-times and hours ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cadres", "workers", "named", "expected"),
    [
        (None, None, 3, 3),  # named only
        (10, 20, 0, 30),  # headcount only
        (10, 20, 5, 30),  # both: the 5 named are among the 30 counted
        (None, 7, 2, 7),  # only workers counted
        (2, 1, 5, 5),  # more named than counted: nobody is lost
        (None, None, 0, 0),
    ],
)
def test_person_times_take_the_larger_of_headcount_and_named(cadres, workers, named, expected):
    assert services.count_person_times(cadres, workers, named) == expected


def test_totals_add_headcount_and_named_screenings_without_double_counting(
    app, make_user, make_person, make_town
):
    organiser = make_user(UserRole.ORGANISER)
    town = make_town("柳泉镇")
    people = [make_person(name=f"王{i}") for i in range(8)]
    may = datetime(2025, 5, 6, 1, 0, tzinfo=UTC)
    _screening(organiser, starts_at=may, named=people[:3])  # named only: 3
    _screening(
        organiser, starts_at=may, cadres=10, workers=20, town_id=town.id
    )  # headcount only: 30
    both = _screening(
        organiser, starts_at=may, cadres=10, workers=20, named=people[3:]
    )  # 5 named among 30: 30
    _screening(
        organiser, starts_at=datetime(2025, 7, 1, 1, 0, tzinfo=UTC), cadres=99
    )  # after "now": not held yet
    _screening(
        organiser, starts_at=datetime(2024, 5, 6, 1, 0, tzinfo=UTC), cadres=50
    )  # another year
    assert services.person_times(both) == 30
    totals = services.totals(2025, now=datetime(2025, 6, 1, tzinfo=UTC))
    assert (totals.screenings, totals.person_times, totals.named) == (3, 63, 8)
    assert (totals.cadres, totals.workers) == (20, 40)
    assert services.totals(2025).person_times == 63 + 99
    assert services.totals(2025, town_ids=[town.id]).person_times == 30
    assert services.totals(None).screenings == 5
    assert services.totals(2001).screenings == 0


def test_named_attendees_get_hours_in_the_right_year_only(app, make_user, make_person):
    organiser = make_user(UserRole.ORGANISER)
    leader, other = make_person(name="李强"), make_person(name="赵敏")
    _screening(
        organiser, starts_at=datetime(2025, 6, 1, 1, 0, tzinfo=UTC), hours=2.0, named=[leader]
    )
    # 2026-01-01 07:00 in Beijing is still 2025 in UTC: it counts for 2026.
    _screening(
        organiser,
        starts_at=datetime(2025, 12, 31, 23, 0, tzinfo=UTC),
        hours=1.5,
        named=[leader, other],
    )
    _screening(
        organiser, starts_at=datetime(2026, 3, 1, 1, 0, tzinfo=UTC), hours=1.0, cadres=40
    )  # not named
    assert services.named_hours(leader.id, 2025) == 2.0
    assert services.named_hours(leader.id, 2026) == 1.5
    assert services.named_hours(leader.id, 2024) == 0.0 and isinstance(
        services.named_hours(leader.id, 2024), float
    )
    assert services.named_hours(other.id, 2026) == 1.5
    assert [s.hours for s in services.screenings_of(leader.id)] == [1.5, 2.0]  # newest first


# --- organisers' pages ---------------------------------------------------------------------------


def test_organiser_adds_a_film_creates_a_screening_and_names_attendees(
    client, login_as, make_person
):
    login_as(UserRole.ORGANISER, locale="en")
    response = client.post(
        "/manage/screenings/films/new",
        data={
            "title": "粉尘爆炸事故警示录",
            "accident": "2014年江苏昆山中荣金属制品有限公司“8·2”特别重大铝粉尘爆炸事故",
            "duration_minutes": "30",
            "source": "应急管理部宣传教育中心",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    film = db.session.scalar(db.select(Film))
    assert "粉尘爆炸事故警示录" in client.get("/manage/screenings/films").get_data(as_text=True)

    response = client.post("/manage/screenings/new", data=_form(film.id))
    assert response.status_code == 302, response.get_data(as_text=True)
    screening = db.session.scalar(db.select(Screening))
    assert screening.starts_at == datetime(2026, 3, 5, 1, 30, tzinfo=UTC)  # 09:30 Beijing time
    assert [f.title for f in screening.films] == ["粉尘爆炸事故警示录"] and screening.hours == 1.5
    assert screening.headcount == 92

    first, second = make_person(name="孙立新"), make_person(name="周海燕", mobile="13912345678")
    url = f"/manage/screenings/{screening.id}/attendance"
    page = client.post(
        url, data={"lines": f"{first.id_number}\n370102198001019999\nnobody"}
    ).get_data(as_text=True)
    assert "370102198001019999" in page and "nobody" in page  # the lines not found, reported
    assert _count(ScreeningAttendance) == 0  # and nobody added

    response = client.post(
        url, data={"lines": f" {first.id_number.lower()} \n１３９１２３４５６７８\n\n"}
    )
    assert response.status_code == 302
    assert {a.person_id for a in db.session.scalars(db.select(ScreeningAttendance))} == {
        first.id,
        second.id,
    }
    page = client.get(f"/manage/screenings/{screening.id}").get_data(as_text=True)
    assert "孙立新" in page and "周海燕" in page and 'id="person-times">92<' in page
    assert "92" in client.get("/manage/screenings/?year=2026").get_data(as_text=True)

    client.post(f"/manage/screenings/{screening.id}/attendance/{first.id}/remove")
    assert _count(ScreeningAttendance) == 1
    actions = set(db.session.scalars(db.select(AuditEntry.action)))
    assert {
        "film.create",
        "screening.create",
        "screening.attendance_add",
        "screening.attendance_remove",
    } <= actions


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"film_ids": []}, "Choose at least one film."),
        ({"headcount_cadres": "-1"}, "Enter a number from 0 to 100000"),
        ({"headcount_workers": "100001"}, "Enter a number from 0 to 100000"),
        ({"hours": "-0.5"}, "Hours must be from 0 to 8."),
        ({"hours": "9"}, "Hours must be from 0 to 8."),
        ({"starts_at": "1990-01-01T09:00"}, "Enter a date from the year 2000"),
        ({"starts_at": "2099-01-01T09:00"}, "Enter a date from the year 2000"),
        ({"film_ids": ["999"]}, "not a valid choice"),
    ],
)
def test_bad_screenings_are_refused_and_nothing_is_saved(client, login_as, overrides, message):
    login_as(UserRole.ORGANISER, locale="en")
    film = _film()
    response = client.post("/manage/screenings/new", data=_form(film.id, **overrides))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _count(Screening) == 0
    assert not db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action.startswith("screening"))
    )


def test_a_mistyped_id_number_is_reported_as_invalid_with_the_reason(client, login_as, make_person):
    screening = _screening(login_as(UserRole.ORGANISER))
    person = make_person(name="孙立新")
    mistyped = person.id_number[:17] + ("1" if person.id_number[17] != "1" else "2")
    page = client.post(
        f"/manage/screenings/{screening.id}/attendance", data={"lines": mistyped}
    ).get_data(as_text=True)
    assert f"身份证号校验位错误（可能输入有误）：{mistyped}" in page
    assert "未找到" not in page and _count(ScreeningAttendance) == 0


def test_a_future_screening_takes_no_attendance(client, login_as, make_person):
    organiser = login_as(UserRole.ORGANISER, locale="en")
    film = _film()
    page = client.post(
        "/manage/screenings/new",
        data=_form(film.id, starts_at=(utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")),
    ).get_data(as_text=True)
    assert "has not started yet" in page and _count(Screening) == 0
    upcoming = _screening(organiser, starts_at=utcnow() + timedelta(days=10))
    person = make_person()
    page = client.post(
        f"/manage/screenings/{upcoming.id}/attendance", data={"lines": person.id_number}
    )
    assert "has not started yet" in page.get_data(as_text=True) and _count(ScreeningAttendance) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"duration_minutes": "0"}, "A film lasts from 1 to 600 minutes."),
        ({"duration_minutes": "-5"}, "A film lasts from 1 to 600 minutes."),
        ({"duration_minutes": ""}, "Enter the duration in minutes."),
        ({"title": "生命至上 警钟长鸣"}, "already in the library"),
        ({"title": ""}, "This field is required."),
    ],
)
def test_bad_films_are_refused_and_nothing_is_saved(client, login_as, data, message):
    login_as(UserRole.ORGANISER, locale="en")
    _film()
    response = client.post(
        "/manage/screenings/films/new",
        data={"title": "盲目施救 酿成悲剧", "duration_minutes": "25", **data},
    )
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _count(Film) == 1


def test_services_refuse_what_the_forms_would(app, make_user):
    organiser = make_user(UserRole.ORGANISER)
    film = _film()
    bad = services.ScreeningData(
        starts_at=utcnow(), film_ids=[], hours=8.5, headcount_cadres=-3, headcount_workers=100_001
    )
    with pytest.raises(services.InvalidInput) as refused:
        services.save_screening(None, bad, organiser)
    assert {(p.field, p.code) for p in refused.value.problems} == {
        ("film_ids", "no_film"),
        ("hours", "hours"),
        ("headcount_cadres", "headcount"),
        ("headcount_workers", "headcount"),
    }
    with pytest.raises(services.InvalidInput):
        services.save_film(None, services.FilmData(title="新片", duration_minutes=0))
    with pytest.raises(services.InvalidInput):
        services.save_screening(
            None, services.ScreeningData(starts_at=utcnow(), film_ids=[film.id, 999]), organiser
        )
    db.session.rollback()
    assert _count(Screening) == 0 and _count(Film) == 1


def test_an_organiser_limited_to_one_sector_names_only_people_in_it(
    app, client, login_as, make_user, make_person, make_enterprise
):
    chemicals = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
    mines = db.session.scalar(db.select(Sector).where(Sector.code == "coal_mine"))
    insider = make_person(
        name="化工负责人", enterprise=make_enterprise(sectors=("hazardous_chemicals",))
    )
    outsider = make_person(name="煤矿负责人", enterprise=make_enterprise(sectors=("coal_mine",)))
    admin = make_user(UserRole.ADMIN)
    ours = _screening(admin, sector_id=chemicals.id)
    theirs = _screening(admin, sector_id=mines.id, venue="某煤矿调度楼会议室")
    login_as(UserRole.ORGANISER, scope_sectors=[chemicals], locale="en")

    page = client.post(
        f"/manage/screenings/{ours.id}/attendance",
        data={"lines": f"{insider.id_number}\n{outsider.id_number}"},
    ).get_data(as_text=True)
    assert outsider.id_number in page and _count(ScreeningAttendance) == 0
    assert (
        client.post(
            f"/manage/screenings/{ours.id}/attendance", data={"lines": insider.id_number}
        ).status_code
        == 302
    )
    assert _count(ScreeningAttendance) == 1
    # Screenings for another sector are not theirs to see or change.
    assert client.get(f"/manage/screenings/{theirs.id}").status_code == 404
    assert (
        client.post(
            f"/manage/screenings/{theirs.id}/attendance", data={"lines": insider.id_number}
        ).status_code
        == 404
    )
    listed = client.get("/manage/screenings/").get_data(as_text=True)
    assert ours.venue in listed and theirs.venue not in listed
    # Their new screenings are for their sector: another is not offered.
    film = db.session.scalar(db.select(Film))
    response = client.post("/manage/screenings/new", data=_form(film.id, sector_id=mines.id))
    assert response.status_code == 200 and _count(Screening) == 2
    assert (
        client.post(
            "/manage/screenings/new", data=_form(film.id, sector_id=chemicals.id)
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    "url",
    [
        "/manage/screenings/",
        "/manage/screenings/new",
        "/manage/screenings/films",
        "/manage/screenings/films/new",
    ],
)
@pytest.mark.parametrize("role", [UserRole.CANDIDATE, UserRole.CONTACT])
def test_candidates_and_contacts_may_not_open_screening_pages(client, login_as, url, role):
    login_as(role)
    assert client.get(url).status_code == 403


def test_candidates_may_not_name_attendees(client, login_as, make_user):
    screening = _screening(make_user(UserRole.ADMIN))
    login_as(UserRole.CANDIDATE)
    assert client.get(f"/manage/screenings/{screening.id}").status_code == 403
    assert (
        client.post(
            f"/manage/screenings/{screening.id}/attendance", data={"lines": "x"}
        ).status_code
        == 403
    )


# --- the demo ------------------------------------------------------------------------------------


def test_demo_screenings_run_on_the_demo_register(app):
    from exam.demo.data import build_demo
    from exam.demo.screenings import load_demo_screenings

    build_demo(random.Random(1))
    screenings = load_demo_screenings(random.Random(1))
    db.session.commit()
    assert len(screenings) == 8 and _count(Film) >= 5
    assert len({s.town_id for s in screenings}) >= 4
    totals = services.totals(None)
    assert totals.screenings == 8 and totals.named > 0 and totals.cadres + totals.workers > 0
    assert totals.person_times == sum(services.person_times(s) for s in screenings)
    assert any(s.headcount is None for s in screenings) and any(
        not s.attendances for s in screenings
    )
    attendee = db.session.scalar(db.select(ScreeningAttendance)).person_id
    assert services.screenings_of(attendee)
