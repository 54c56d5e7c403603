"""Who may see and change what: candidates, enterprise contacts, scoped organisers."""

import pytest

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.people.models import Person, Town

MANAGEMENT_PAGES = [
    "/enterprises",
    "/people",
    "/import",
    "/import/template.xlsx",
    "/import/template-people.csv",
    "/export.xlsx",
    "/accounts/",
    "/accounts/new",
    "/audit/",
    "/reference/",
    "/reference/town/new",
    "/enterprises/new",
    "/people/new",
]


@pytest.mark.parametrize("url", MANAGEMENT_PAGES)
def test_candidates_are_refused_every_management_page(client, login_as, url):
    login_as(UserRole.CANDIDATE)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", MANAGEMENT_PAGES)
def test_anonymous_users_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "url", ["/import", "/accounts/", "/audit/", "/reference/", "/enterprises/new"]
)
@pytest.mark.parametrize("role", [UserRole.ORGANISER, UserRole.CONTACT])
def test_admin_pages_refuse_organisers_and_contacts(client, login_as, url, role):
    login_as(role)
    assert client.get(url).status_code == 403


def test_register_records_are_closed_to_candidates_even_their_own(client, login_as, make_person):
    me = login_as(UserRole.CANDIDATE)
    other = make_person(name="李强")
    assert client.get(f"/people/{other.id}").status_code == 403
    assert (
        client.get(f"/people/{me.person_id}").status_code == 403
    )  # they see it on their home page


@pytest.mark.parametrize(
    "url",
    [
        "/people/99999999999999999999",
        "/enterprises/99999999999999999999",
        "/accounts/99999999999999999999",
        "/reference/town/99999999999999999999",
    ],
)
def test_ids_too_large_for_the_database_are_not_found(client, login_as, url):
    login_as(UserRole.ADMIN)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/people?sector=99999999999999999999&town=1e9&page=99999999999999999999",
        "/enterprises?page=abc&sector=x",
        "/audit/?object_id=99999999999999999999",
        "/audit/?from=0001-01-01&to=9999-12-31",
        "/people?q=%25%27%22<script>",
    ],
)
def test_odd_query_arguments_are_ignored_not_errors(client, login_as, url):
    login_as(UserRole.ADMIN)
    response = client.get(url)
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True)


def test_contact_sees_and_changes_only_their_enterprise(
    client, login_as, make_enterprise, make_person
):
    own = make_enterprise(name="本企业有限公司")
    other = make_enterprise(name="别家企业有限公司")
    colleague = make_person(name="王明", enterprise=own)
    stranger = make_person(name="赵四", enterprise=other)
    login_as(UserRole.CONTACT, enterprise=own)

    people_page = client.get("/people").get_data(as_text=True)
    assert "王明" in people_page and "赵四" not in people_page
    assert client.get(f"/people/{colleague.id}").status_code == 200
    for url in (
        f"/people/{stranger.id}",
        f"/people/{stranger.id}/edit",
        f"/people/{stranger.id}/leave",
        f"/enterprises/{other.id}",
    ):
        assert client.get(url).status_code == 404, url
    # Posting changes to the other enterprise's person is refused and changes nothing.
    response = client.post(
        f"/people/{stranger.id}/edit",
        data={
            "name": "改名",
            "id_number": stranger.id_number,
            "mobile": stranger.mobile,
            "role": stranger.role,
            "enterprise_id": other.id,
        },
    )
    assert response.status_code == 404
    assert (
        client.post(f"/people/{stranger.id}/leave", data={"left_on": "2026-01-01"}).status_code
        == 404
    )
    assert db.session.get(Person, stranger.id).name == "赵四"
    assert db.session.get(Person, stranger.id).enterprise_id == other.id


def test_contact_cannot_add_a_person_to_another_enterprise(client, login_as, make_enterprise):
    own, other = make_enterprise(), make_enterprise()
    login_as(UserRole.CONTACT, enterprise=own)
    response = client.post(
        "/people/new",
        data={
            "name": "钱多",
            "id_number": "11010519491231002X",
            "mobile": "13811112222",
            "role": "principal_leader",
            "enterprise_id": other.id,
        },
    )
    # The form only offers the contact's own enterprise: another id is not a valid choice.
    assert response.status_code == 200
    assert db.session.scalar(db.select(Person).where(Person.name == "钱多")) is None


def test_scoped_organiser_sees_only_their_sectors_and_towns(
    client, login_as, make_enterprise, make_person, make_town
):
    town_a, town_b = make_town("甲街道"), make_town("乙镇")
    hazchem_a = make_enterprise(
        name="甲化工有限公司", sectors=("hazardous_chemicals",), town=town_a
    )
    hazchem_b = make_enterprise(
        name="乙化工有限公司", sectors=("hazardous_chemicals",), town=town_b
    )
    metal_a = make_enterprise(name="甲冶炼有限公司", sectors=("metal_smelting",), town=town_a)
    for enterprise in (hazchem_a, hazchem_b, metal_a):
        make_person(name=enterprise.name[:2] + "负责人", enterprise=enterprise)
    from exam.people.models import Sector

    hazchem = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
    login_as(
        UserRole.ORGANISER, scope_sectors=[hazchem], scope_towns=[db.session.get(Town, town_a.id)]
    )

    listing = client.get("/enterprises").get_data(as_text=True)
    assert "甲化工有限公司" in listing
    assert "乙化工有限公司" not in listing and "甲冶炼有限公司" not in listing
    assert client.get(f"/enterprises/{hazchem_a.id}").status_code == 200
    assert client.get(f"/enterprises/{hazchem_b.id}").status_code == 404
    assert client.get(f"/enterprises/{metal_a.id}").status_code == 404
    people = client.get("/people").get_data(as_text=True)
    assert "甲化负责人" in people and "乙化负责人" not in people and "甲冶负责人" not in people
    home = client.get("/").get_data(as_text=True)
    assert 'id="enterprise-total">1<' in home
    export = client.get("/export.xlsx")
    assert export.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    names = [
        row[0].value for row in load_workbook(BytesIO(export.data))["企业"].iter_rows(min_row=2)
    ]
    assert names == ["甲化工有限公司"]


def test_organiser_cannot_edit_people(client, login_as, make_person):
    person = make_person()
    login_as(UserRole.ORGANISER)
    assert client.get(f"/people/{person.id}").status_code == 200
    assert client.get(f"/people/{person.id}/edit").status_code == 403
