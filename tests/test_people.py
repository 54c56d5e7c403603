"""Keeping the register: forms, history, enterprise contacts, the audit log."""

from conftest import valid_credit_code, valid_id_number

from exam.audit.models import AuditEntry
from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.timeutil import local_today
from exam.people.models import Enterprise, Person, PersonRole, Sector


def _sector_ids(*codes):
    return [s.id for s in db.session.scalars(db.select(Sector).where(Sector.code.in_(codes)))]


def test_admin_adds_an_enterprise(client, login_as, make_town):
    login_as(UserRole.ADMIN)
    town = make_town("城关街道")
    code = valid_credit_code()
    response = client.post(
        "/enterprises/new",
        data={
            "name": "鑫泰化工有限公司",
            "credit_code": code.lower(),
            "town_id": town.id,
            "sectors": _sector_ids("hazardous_chemicals", "dust_explosion"),
            "employee_count": "320",
        },
    )
    assert response.status_code == 302
    enterprise = db.session.scalar(db.select(Enterprise).where(Enterprise.credit_code == code))
    assert enterprise.high_risk and enterprise.employee_count == 320
    assert {s.code for s in enterprise.sectors} == {"hazardous_chemicals", "dust_explosion"}
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "enterprise.create"))
    assert entry.object_id == enterprise.id and entry.address == "127.0.0.1"


def test_bad_credit_code_is_explained_and_typed_data_kept(client, login_as, make_town):
    login_as(UserRole.ADMIN)
    town = make_town()
    code = valid_credit_code()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = client.post(
        "/enterprises/new",
        data={
            "name": "输入保留测试有限公司",
            "credit_code": bad,
            "town_id": town.id,
            "sectors": _sector_ids("construction"),
            "address": "建设路88号",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "校验" in page  # the reason, in Chinese
    assert "输入保留测试有限公司" in page and "建设路88号" in page and bad in page
    assert db.session.scalar(db.select(db.func.count(Enterprise.id))) == 0


def test_duplicate_credit_code_is_refused(client, login_as, make_enterprise, make_town):
    existing = make_enterprise(name="先来公司")
    login_as(UserRole.ADMIN)
    response = client.post(
        "/enterprises/new",
        data={
            "name": "后到公司",
            "credit_code": existing.credit_code,
            "town_id": make_town().id,
            "sectors": _sector_ids("construction"),
        },
    )
    assert response.status_code == 200 and "先来公司" in response.get_data(as_text=True)


def test_contact_adds_corrects_and_marks_a_leader_as_left(client, login_as, make_enterprise):
    own = make_enterprise(name="联系人企业有限公司")
    contact = login_as(UserRole.CONTACT, enterprise=own)
    id_number = valid_id_number(born="19780808")
    response = client.post(
        "/people/new",
        data={
            "name": "孙丽",
            "id_number": id_number,
            "mobile": "13912345678",
            "role": PersonRole.SAFETY_DIRECTOR,
            "enterprise_id": own.id,
            "appointed_on": "2025-06-01",
        },
    )
    assert response.status_code == 302
    person = db.session.scalar(db.select(Person).where(Person.id_number == id_number))
    assert person.enterprise_id == own.id
    account = db.session.scalar(db.select(User).where(User.person_id == person.id))
    assert account.role == UserRole.CANDIDATE and account.must_change_password

    client.post(
        f"/people/{person.id}/edit",
        data={
            "name": "孙莉",
            "id_number": id_number,
            "mobile": "13912345678",
            "role": PersonRole.PRINCIPAL_LEADER,
            "enterprise_id": own.id,
            "appointed_on": "2025-06-01",
        },
    )
    person = db.session.get(Person, person.id)
    assert person.name == "孙莉" and person.role == PersonRole.PRINCIPAL_LEADER
    assert len(person.employments) == 2  # the change of post started a new stint

    assert person.appointed_on == local_today()  # the new post started on the day of the change
    too_early = client.post(f"/people/{person.id}/leave", data={"left_on": "2025-05-01"})
    assert too_early.status_code == 200 and "早于" in too_early.get_data(as_text=True)
    assert (
        client.post(
            f"/people/{person.id}/leave",
            data={"left_on": local_today().isoformat(), "reason": "调离"},
        ).status_code
        == 302
    )
    person = db.session.get(Person, person.id)
    assert person.enterprise_id is None
    assert all(e.ended_on is not None for e in person.employments)

    actions = [
        e.action
        for e in db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.user_id == contact.id).order_by(AuditEntry.id)
        )
    ]
    assert actions == ["person.create", "person.update", "person.left"]


def test_the_bureau_sees_contacts_changes_in_the_audit_log(
    client, app, login_as, make_enterprise, make_person, make_user
):
    own = make_enterprise()
    person = make_person(name="周杰", enterprise=own)
    contact = make_user(UserRole.CONTACT, enterprise=own)
    contact_client = app.test_client()
    contact_client.post("/login", data={"login": contact.username, "password": "Test-pass-2026"})
    contact_client.post(
        f"/people/{person.id}/edit",
        data={
            "name": "周洁",
            "id_number": person.id_number,
            "mobile": person.mobile,
            "role": person.role,
            "enterprise_id": own.id,
        },
    )
    login_as(UserRole.ADMIN)
    page = client.get("/audit/", query_string={"action": "person.update"}).get_data(as_text=True)
    assert "周杰" in page and "周洁" in page and contact.username in page
    filtered = client.get("/audit/", query_string={"actor": "nobody-like-this"}).get_data(
        as_text=True
    )
    assert "周洁" not in filtered


def test_admin_moves_a_person_and_the_history_is_kept(
    client, login_as, make_enterprise, make_person
):
    first, second = make_enterprise(name="旧东家有限公司"), make_enterprise(name="新东家有限公司")
    person = make_person(name="吴刚", enterprise=first, appointed_on=None)
    login_as(UserRole.ADMIN)
    client.post(
        f"/people/{person.id}/edit",
        data={
            "name": "吴刚",
            "id_number": person.id_number,
            "mobile": person.mobile,
            "role": person.role,
            "enterprise_id": second.id,
        },
    )
    page = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "旧东家有限公司" in page and "新东家有限公司" in page
    assert "吴刚" in client.get(f"/enterprises/{first.id}").get_data(
        as_text=True
    )  # "formerly here"


def test_changing_an_id_number_renames_the_candidate_login(client, login_as, make_person):
    person = make_person()
    login_as(UserRole.ADMIN)
    new_id = valid_id_number(born="19900101")
    client.post(
        f"/people/{person.id}/edit",
        data={
            "name": person.name,
            "id_number": new_id,
            "mobile": person.mobile,
            "role": person.role,
            "enterprise_id": person.enterprise_id,
        },
    )
    account = db.session.scalar(db.select(User).where(User.person_id == person.id))
    assert account.username == new_id.lower()


def test_staff_account_is_created_with_a_one_time_password(client, login_as, make_town):
    login_as(UserRole.ADMIN)
    town = make_town("乙镇")
    response = client.post(
        "/accounts/new",
        data={
            "username": "Org-Li",
            "display_name": "李组织",
            "role": UserRole.ORGANISER,
            "enterprise_id": 0,
            "scope_towns": [town.id],
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.username == "org-li"))
    assert user.initial_password and user.must_change_password
    assert [t.name for t in user.scope_towns] == ["乙镇"]
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert user.initial_password in detail


def test_home_page_counts_by_sector_and_role(client, login_as, make_enterprise, make_person):
    hazchem = make_enterprise(sectors=("hazardous_chemicals",))
    make_person(enterprise=hazchem, role=PersonRole.PRINCIPAL_LEADER)
    make_person(enterprise=hazchem, role=PersonRole.SAFETY_DIRECTOR)
    make_person(
        enterprise=make_enterprise(sectors=("construction",)), role=PersonRole.SAFETY_MANAGER
    )
    login_as(UserRole.ADMIN)
    page = client.get("/").get_data(as_text=True)
    assert 'id="enterprise-total">2<' in page and 'id="people-total">3<' in page
    table = page.split('id="sector-role-table"')[1].split("</table>")[0]
    hazchem_row = table.split("危险化学品")[1].split("</tr>")[0]
    assert [c.split(">")[-1] for c in hazchem_row.split("</a>")[:4]] == ["1", "1", "1", "0"]


def test_candidate_home_shows_profile_and_enterprise(
    client, login_as, make_enterprise, make_person
):
    person = make_person(name="郑爽", enterprise=make_enterprise(name="候选企业有限公司"))
    login_as(UserRole.CANDIDATE, person=person)
    page = client.get("/").get_data(as_text=True)
    assert "郑爽" in page and "候选企业有限公司" in page and "主要负责人" in page
    assert person.id_number not in page  # masked


def test_changing_an_enterprises_town_is_saved_and_logged(
    client, login_as, make_enterprise, make_town
):
    enterprise = make_enterprise(town=make_town("甲街道"))
    other_town = make_town("乙镇")
    login_as(UserRole.ADMIN)
    response = client.post(
        f"/enterprises/{enterprise.id}/edit",
        data={
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "town_id": other_town.id,
            "sectors": [s.id for s in enterprise.sectors],
        },
    )
    assert response.status_code == 302
    assert db.session.get(Enterprise, enterprise.id).town.name == "乙镇"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "enterprise.update"))
    assert entry.changes["town"] == ["甲街道", "乙镇"]


def test_contact_is_not_told_who_holds_an_id_number(client, login_as, make_enterprise, make_person):
    stranger = make_person(name="欧阳秘", enterprise=make_enterprise())
    own = make_enterprise()
    login_as(UserRole.CONTACT, enterprise=own)
    response = client.post(
        "/people/new",
        data={
            "name": "任意",
            "id_number": stranger.id_number,
            "mobile": "13700000001",
            "role": PersonRole.SAFETY_MANAGER,
            "enterprise_id": own.id,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已在其他企业登记" in page
    assert "欧阳秘" not in page


def test_a_mobile_number_of_another_person_is_refused(client, login_as, make_person):
    holder = make_person(mobile="13655556666")
    login_as(UserRole.ADMIN)
    response = client.post(
        "/people/new",
        data={
            "name": "新人",
            "id_number": valid_id_number(born="19880808"),
            "mobile": holder.mobile,
            "role": PersonRole.SAFETY_MANAGER,
            "enterprise_id": holder.enterprise_id,
        },
    )
    assert response.status_code == 200 and "手机号" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 1


def test_a_corrected_appointment_date_corrects_the_current_stint(client, login_as, make_person):
    person = make_person(appointed_on=local_today().replace(year=2020))
    login_as(UserRole.ADMIN)
    client.post(
        f"/people/{person.id}/edit",
        data={
            "name": person.name,
            "id_number": person.id_number,
            "mobile": person.mobile,
            "role": person.role,
            "enterprise_id": person.enterprise_id,
            "appointed_on": "2019-04-01",
        },
    )
    person = db.session.get(Person, person.id)
    assert len(person.employments) == 1
    assert person.employments[0].started_on.isoformat() == "2019-04-01"


def test_names_that_a_spreadsheet_would_run_are_refused(client, login_as, make_enterprise):
    login_as(UserRole.ADMIN)
    response = client.post(
        "/people/new",
        data={
            "name": '=HYPERLINK("http://evil/","x")',
            "id_number": valid_id_number(),
            "mobile": "13512340000",
            "role": PersonRole.SAFETY_MANAGER,
            "enterprise_id": make_enterprise().id,
        },
    )
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 0
