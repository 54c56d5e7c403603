"""The register as spreadsheets: an upload read into an import plan, and the export in the
import template's columns."""

from __future__ import annotations

from exam.core.extensions import db
from exam.core.timeutil import local_today
from exam.core.uploads import spreadsheet_error_message
from exam.people import services
from exam.people.access import visible_enterprises, visible_people
from exam.people.importing import (
    ENTERPRISE_COLUMNS,
    PEOPLE_COLUMNS,
    ImportPlan,
    RowError,
    build_plan,
)
from exam.people.models import Person, PersonRole
from question_bank.spreadsheets import (
    SpreadsheetError,
    Table,
    read_spreadsheet,
)


def plan_for_upload(filename: str, data: bytes) -> ImportPlan:
    try:
        sheets = read_spreadsheet(filename, data)
    except SpreadsheetError as exc:
        return ImportPlan(errors=[RowError("", 0, spreadsheet_error_message(exc))])
    return build_plan(sheets, services.lookups(), local_today())


def export_tables(user) -> list[Table]:
    """The register as the user may see it, in the import template's columns."""
    enterprises = db.session.scalars(visible_enterprises(user).order_by("name")).all()
    ent_rows = [
        [
            e.name,
            e.credit_code,
            "、".join(s.name for s in e.sectors),
            e.town.name,
            e.address,
            e.contact_name,
            e.contact_phone,
            e.employee_count,
        ]
        for e in enterprises
    ]
    people = db.session.scalars(
        visible_people(user)
        .where(Person.enterprise_id.is_not(None))
        .order_by(Person.enterprise_id, Person.role, Person.name)
    ).all()
    person_rows = [
        [
            p.name,
            p.id_number,
            p.mobile,
            PersonRole.CHINESE[p.role],
            p.enterprise.credit_code,
            p.enterprise.name,
            p.appointed_on,
        ]
        for p in people
    ]
    return [
        Table(
            "企业",
            [c.header for c in ENTERPRISE_COLUMNS],
            ent_rows,
            [c.width for c in ENTERPRISE_COLUMNS],
        ),
        Table(
            "人员",
            [c.header for c in PEOPLE_COLUMNS],
            person_rows,
            [c.width for c in PEOPLE_COLUMNS],
        ),
    ]
