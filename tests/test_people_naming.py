"""Naming people one per line (``exam.people.naming``): what is read forgivingly, what is
invalid, and what the register answers: found, not found, ambiguous."""

from __future__ import annotations

import pytest
from conftest import valid_id_number
from sqlalchemy import select

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.forms import IDENTIFIER_REASONS
from exam.exams.models import ExamOverride
from exam.people.models import Enterprise, Person
from exam.people.naming import (
    ID_NUMBER,
    INVALID,
    MOBILE,
    NAME,
    Naming,
    name_people,
    naming_errors,
    read_entries,
)
from exam.training.models import TrainingSession

ID = valid_id_number(901)


def _read(text: str, *, names: bool = False) -> list[tuple[str, str]]:
    return [(e.kind, e.key) for e in read_entries(text, names=names)]


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("13912345678", (MOBILE, "13912345678")),
        ("１３９１２３４５６７８", (MOBILE, "13912345678")),  # full-width digits
        ("139 1234 5678", (MOBILE, "13912345678")),
        ("139-1234-5678", (MOBILE, "13912345678")),
        ("+86 139 1234 5678", (MOBILE, "13912345678")),
        (f"  {ID}  ", (ID_NUMBER, ID)),
        (ID.lower(), (ID_NUMBER, ID)),
        (ID[:6] + " " + ID[6:14] + " " + ID[14:], (ID_NUMBER, ID)),
        (f"{ID} 张伟", (ID_NUMBER, ID)),  # a number, then a note (forms fill themselves so)
        (f"{ID}　张伟", (ID_NUMBER, ID)),  # an ideographic space
    ],
)
def test_numbers_are_read_forgivingly(typed, read):
    assert _read(typed) == [read]


def test_blank_lines_and_separators():
    text = f"\n13912345678，13912345679；13912345670、 \r\n\n13912345671, 13912345672;{ID}\n  \n"
    assert [key for _kind, key in _read(text)] == [
        "13912345678",
        "13912345679",
        "13912345670",
        "13912345671",
        "13912345672",
        ID,
    ]
    assert _read("") == [] and _read(None) == [] and _read(" \n、\n，") == []


def test_repeats_are_collapsed_and_the_first_spelling_is_kept():
    entries = read_entries(f"{ID}\n{ID.lower()}\n139 1234 5678\n13912345678")
    assert [(e.kind, e.typed) for e in entries] == [(ID_NUMBER, ID), (MOBILE, "139 1234 5678")]


@pytest.mark.parametrize(
    "typed",
    [
        ID[:17] + ("1" if ID[17] != "1" else "2"),  # a wrong check character
        ID[:15],  # too short for an ID number, too long for a mobile
        "370102000000000000",  # no such birth date
        "12345678901",  # not a mobile
        "1391234567",  # a digit short
        "nobody",  # not a number, and names are not read here
        "张伟",
    ],
)
def test_what_is_not_a_number_is_invalid(typed):
    assert _read(typed) == [(INVALID, typed.upper())]


def test_names_where_the_form_reads_them():
    assert _read("张伟\n李娜 安全员\n13912345678", names=True) == [
        (NAME, "张伟"),
        (NAME, "李娜"),
        (MOBILE, "13912345678"),
    ]
    assert _read("1391234567", names=True) == [(INVALID, "1391234567")]  # a number, mistyped


# --- looking up ---------------------------------------------------------------------------


def test_people_are_found_once_in_the_order_typed(app, make_person):
    first, second = make_person("张伟"), make_person("李娜")
    text = f"{second.mobile}\n{first.id_number.lower()}\n{second.id_number}\n"
    naming = name_people(text, select(Person))
    assert naming == Naming(people=(second, first))
    assert naming.complete and naming_errors(naming) == []


def test_what_is_not_found_ambiguous_or_invalid_is_reported_as_typed(app, make_person):
    one = make_person("王强", mobile="13800000001")
    make_person("赵敏", mobile="13800000001")  # a shared mobile names nobody
    unknown = valid_id_number(977)
    bad = one.id_number[:17] + ("1" if one.id_number[17] != "1" else "2")
    naming = name_people(
        f"{one.id_number}\n138 0000 0001\n{unknown}\n{bad}\nnobody", select(Person)
    )
    assert naming.people == (one,)
    assert naming.ambiguous == ("138 0000 0001",)
    assert naming.not_found == (unknown,)
    assert naming.invalid == (bad, "nobody")
    assert not naming.complete
    errors = naming_errors(naming)
    assert len(errors) == 4  # a bad check character, no number, not found, ambiguous
    assert all(line in " ".join(errors) for line in ("138 0000 0001", unknown, bad, "nobody"))


def test_an_invalid_id_number_is_reported_with_its_reason_not_as_not_found(app, make_person):
    one = make_person("王强")
    bad_check = one.id_number[:17] + ("1" if one.id_number[17] != "1" else "2")
    bad_birth = one.id_number[:10] + "1345" + one.id_number[14:]
    naming = name_people(f"{bad_check}\n{bad_birth}\n12345", select(Person))
    assert naming.invalid == (bad_check, bad_birth, "12345") and naming.not_found == ()
    assert naming.reasons == ("check_digit", "birth_date", "")
    errors = naming_errors(naming)
    assert str(IDENTIFIER_REASONS["check_digit"]) in errors[0] and bad_check in errors[0]
    assert str(IDENTIFIER_REASONS["birth_date"]) in errors[1] and bad_birth in errors[1]
    assert bad_check not in errors[2] and errors[2].endswith("12345")


def test_a_shared_name_is_ambiguous_and_the_id_number_tells_them_apart(app, make_person):
    one, other = make_person("李娜"), make_person("李娜")
    alone = make_person("孙悦")
    naming = name_people(f"李娜\n{other.id_number} 李娜\n孙悦 安全员", select(Person), names=True)
    assert naming.people == (other, alone) and naming.ambiguous == ("李娜",)
    assert naming.names and "李娜" in naming_errors(naming)[0]
    assert one not in naming.people


def test_someone_outside_the_callers_scope_is_not_found(app, make_person, make_enterprise):
    ours, theirs = make_enterprise(), make_enterprise()
    insider, outsider = make_person(enterprise=ours), make_person(enterprise=theirs)
    scope = select(Person).join(Enterprise).where(Enterprise.id == ours.id)
    naming = name_people(f"{insider.id_number}\n{outsider.mobile}", scope)
    assert naming.people == (insider,) and naming.not_found == (outsider.mobile,)
    # A mobile shared with someone out of scope names the one in scope.
    shared = make_person(enterprise=theirs, mobile=insider.mobile)
    assert name_people(insider.mobile, scope).people == (insider,)
    assert name_people(insider.mobile, select(Person)).ambiguous == (insider.mobile,)
    assert shared.id != insider.id


def test_the_training_form_refuses_a_shared_mobile_rather_than_pick_one(
    app, client, login_as, make_person
):
    """Training used to invite whichever of two people came first for a shared mobile."""
    login_as(UserRole.ADMIN)
    make_person("王强", mobile="13800000002")
    make_person("赵敏", mobile="13800000002")
    form = {
        "title": "有限空间作业专题培训",
        "starts_at": "2026-12-10T09:00",
        "ends_at": "2026-12-10T12:00",
        "hours": 3,
        "mode": "onsite",
        "venue": "区应急局",
        "person_logins": "138 0000 0002\n12345",
    }
    page = client.post("/manage/training/new", data=form).get_data(as_text=True)
    assert "以下手机号对应多人，请改用身份证号：138 0000 0002" in page
    assert "不是有效的身份证号或手机号：12345" in page
    assert db.session.scalar(select(TrainingSession.id)) is None


def test_an_exam_override_is_not_given_to_either_of_two_people_sharing_a_mobile(
    app, client, login_as, make_person, make_exam
):
    """The override form used to give the terms to whichever of the two came first."""
    exam = make_exam()
    login_as(UserRole.ADMIN)
    make_person("王强", mobile="13800000003")
    make_person("钱明", mobile="13800000003")
    alone = make_person("赵敏", mobile="13800000004")
    url = f"/manage/exams/{exam.id}/overrides"
    form = {"target": "person", "extra_minutes": 20, "extra_attempts": 0, "reason": "视力障碍"}
    page = client.post(url, data={**form, "person_login": "13800000003"}).get_data(as_text=True)
    assert "以下手机号对应多人，请改用身份证号：13800000003" in page
    page = client.post(url, data={**form, "person_login": "1380000000"}).get_data(as_text=True)
    assert "不是有效的身份证号或手机号：1380000000" in page
    page = client.post(url, data={**form, "person_login": valid_id_number(976)}).get_data(
        as_text=True
    )
    assert "在您的管理范围内没有此身份证号或手机号的人员。" in page
    assert db.session.scalar(select(ExamOverride.id)) is None
    client.post(url, data={**form, "person_login": "138 0000 0004"})
    assert db.session.scalar(select(ExamOverride.person_id)) == alone.id
