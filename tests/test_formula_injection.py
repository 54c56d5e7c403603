"""One policy for text a spreadsheet would run as a formula (OWASP "CSV injection"): free text
starting with =, +, -, @, a tab or a carriage return is refused where it is typed in (forms,
the register's spreadsheet import), and every .xlsx and .csv the app writes neutralises such
text all the same, for data that came in before the rule."""

from __future__ import annotations

import csv
import io
from datetime import date
from html import escape

import pytest
from conftest import valid_credit_code, valid_id_number
from flask_wtf import FlaskForm
from openpyxl import load_workbook
from spreadsheets import xlsx
from wtforms import StringField

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.forms import FORMULA_REFUSAL, PlainText
from exam.people.importing import Lookups, build_plan
from exam.people.models import Person, PersonRole
from question_bank.spreadsheets import (
    FORMULA_STARTS,
    Table,
    read_spreadsheet,
    write_csv,
    write_xlsx,
)

TODAY = date(2026, 11, 27)
#: The payload of the finding: Excel evaluates it (and used to run the command).
PAYLOAD = "-2+3+cmd|' /C calc'!A0"


class _NameForm(FlaskForm):
    name = StringField(validators=[PlainText()])


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_plain_text_refuses_each_formula_start(app, start):
    with app.test_request_context(method="POST", data={"name": f"{start}1+1"}):
        form = _NameForm(meta={"csrf": False})
        assert not form.validate()
        assert form.name.errors[0] == str(FORMULA_REFUSAL)


@pytest.mark.parametrize("fine", ["张伟", "青岛鑫泰化工有限公司", "0532-86881234", "A-1 车间", ""])
def test_plain_text_accepts_ordinary_text(app, fine):
    with app.test_request_context(method="POST", data={"name": fine}):
        assert _NameForm(meta={"csrf": False}).validate()


def test_a_name_starting_with_minus_is_refused_on_the_person_form(
    client, login_as, make_enterprise
):
    login_as(UserRole.ADMIN)
    response = client.post(
        "/people/new",
        data={
            "name": PAYLOAD,
            "id_number": valid_id_number(),
            "mobile": "13512340000",
            "role": PersonRole.SAFETY_MANAGER,
            "enterprise_id": make_enterprise().id,
        },
    )
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 0
    with client.application.test_request_context():
        message = str(FORMULA_REFUSAL)
    assert escape(message, quote=False) in response.get_data(as_text=True)


def test_a_name_starting_with_minus_is_refused_by_the_import():
    code = valid_credit_code()
    lookups = Lookups(
        sectors={"危险化学品": "hazardous_chemicals"}, towns={"城关街道"}, credit_codes=set()
    )
    company = [PAYLOAD, code, "危险化学品", "城关街道", "", "", "", 10]
    person = [PAYLOAD, valid_id_number(), "13800000001", "主要负责人", code, "", ""]
    plan = build_plan(read_spreadsheet("x.xlsx", xlsx([company], [person])), lookups, TODAY)
    assert not plan.ok
    for sheet in ("企业", "人员"):
        messages = [e.message for e in plan.errors if (e.sheet, e.row) == (sheet, 2)]
        assert any("must not start with =, +, -, @" in m for m in messages), messages


# --- exports: whatever is in the database ----------------------------------------------------


def _legacy_names() -> dict[str, str]:
    """A name starting with each formula character, by a marker that ends it."""
    return {f"名{i}": f"{start}1+1名{i}" for i, start in enumerate(FORMULA_STARTS)}


def _neutralised(cell, written: str) -> None:
    assert cell.value == written, cell.coordinate  # exactly as written: no character added
    assert cell.data_type == "s" and cell.quotePrefix, (cell.coordinate, written)


def test_legacy_names_export_as_text_in_the_register_xlsx(
    client, login_as, make_enterprise, make_person
):
    names = _legacy_names()
    for marker, name in names.items():
        enterprise = make_enterprise(name="企业" + marker)
        make_person(name="张伟", enterprise=enterprise)
        enterprise.name = name  # written directly, as data from before the rule
        person = db.session.scalar(db.select(Person).where(Person.enterprise_id == enterprise.id))
        person.name = name
    db.session.commit()
    login_as(UserRole.ADMIN)
    book = load_workbook(io.BytesIO(client.get("/export.xlsx").data))
    for sheet in ("企业", "人员"):
        cells = [c for row in book[sheet].iter_rows(min_row=2) for c in row]
        for marker, name in names.items():
            found = [c for c in cells if isinstance(c.value, str) and c.value.endswith(marker)]
            assert found, (sheet, marker)
            for cell in found:
                _neutralised(cell, name)
    # Identifiers and mobile numbers are not touched.
    people = book["人员"]
    assert not any(people.cell(row=r, column=3).quotePrefix for r in range(2, people.max_row + 1))


def test_every_part_of_a_workbook_is_neutralised_and_numbers_stay_numbers():
    names = list(_legacy_names().values())
    data = write_xlsx(
        [
            Table(
                "表",
                ["=表头", *(f"列{i}" for i in range(len(names)))],
                [["=SUM(A1)", *names], [-5, -2.5, "13800000000"]],
                captions=["标题", "=说明"],
            ),
            Table("说明", [], [], notes=["@说明", "普通说明"]),
        ]
    )
    book = load_workbook(io.BytesIO(data))
    sheet = book["表"]
    _neutralised(sheet["A2"], "=说明")  # a caption
    _neutralised(sheet["A4"], "=表头")  # a header
    _neutralised(sheet["A5"], "=SUM(A1)")
    for column, name in enumerate(names, start=2):
        _neutralised(sheet.cell(row=5, column=column), name)
    assert sheet["A6"].value == -5 and sheet["A6"].data_type == "n" and not sheet["A6"].quotePrefix
    assert sheet["B6"].value == -2.5 and not sheet["B6"].quotePrefix
    assert sheet["C6"].value == "13800000000" and not sheet["C6"].quotePrefix
    _neutralised(book["说明"]["A1"], "@说明")
    assert not book["说明"]["A2"].quotePrefix


def test_every_cell_of_a_csv_is_neutralised_and_numbers_stay_numbers():
    names = list(_legacy_names().values())
    data = write_csv(Table("t", ["=表头", "姓名", "数"], [["a", name, -5] for name in names]))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["'=表头", "姓名", "数"]
    assert [row[1] for row in rows[1:]] == ["'" + name for name in names]
    assert {row[2] for row in rows[1:]} == {"-5"}
