"""One file per enterprise and one per person (一企一档、一人一档): every exam attempt,
certificate, training session, screening and hour credited — what an inspector asks to see —
as a page, a PDF and an .xlsx workbook.

Organisers see the files within their scope, enterprise contacts those of their own
enterprise and its people, candidates none (``exam.people.access``). Each file costs a
fixed number of SQL statements, however many records it holds (``exam.reports.queries.records``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from exam.auth.access import STAFF, roles_required
from exam.core.extensions import db
from exam.core.printing import chinese_date
from exam.core.timeutil import local_today
from exam.core.uploads import download
from exam.people.access import get_enterprise_or_404, get_person_or_404
from exam.people.directors import director_note
from exam.people.models import Employment, Enterprise, Person
from exam.reports.queries import dossier
from exam.reports.queries.dossier import Link, Section
from exam.reports.queries.records import records_of
from exam.reports.render.pdf import Heading as PdfHeading
from exam.reports.render.pdf import Paragraph, TableBlock, report_pdf
from question_bank.spreadsheets import Table, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class File:
    """A file as shown and exported: a title, identity lines, then sections of records."""

    title: str
    #: What kind of file (一人一档 or 一企一档) and whose: the download's name.
    kind: str
    name: str
    facts: list[tuple[str, str]]
    sections: list[Section]
    today: date
    notes: list[str]


def _id_number(person: Person) -> str:
    # The full ID number is for the bureau's administrators; everyone else sees it masked,
    # as on the person's page.
    return person.id_number if current_user.is_admin else person.masked_id_number


def person_file_data(person: Person) -> File:
    """The file of one person."""
    today = local_today()
    records = records_of([person], today)
    enterprise = person.enterprise
    facts = [
        (_("Name"), person.name),
        (_("ID number"), _id_number(person)),
        (_("Post"), person.role_label),
        (_("Enterprise"), enterprise.name if enterprise else _("none (left)")),
        (_("Date appointed"), str(person.appointed_on or "—")),
    ]
    sections = dossier.record_sections(records, [person])
    return File(
        _("Personal file: %(name)s", name=person.name),
        _("Personal file"),
        person.name,
        facts,
        sections,
        today,
        [],
    )


def _former(enterprise: Enterprise) -> list[str]:
    """Who held a post here and has since left or moved (named only)."""
    rows = db.session.execute(
        select(Person.name, Employment.ended_on)
        .join(Employment, Employment.person_id == Person.id)
        .where(
            Employment.enterprise_id == enterprise.id,
            Employment.ended_on.is_not(None),
            (Person.enterprise_id.is_(None)) | (Person.enterprise_id != enterprise.id),
        )
        .order_by(Employment.ended_on.desc(), Person.name)
    )
    return [_("%(name)s (until %(day)s)", name=name, day=ended) for name, ended in rows]


def enterprise_file_data(enterprise: Enterprise) -> File:
    """The file of one enterprise: its current leaders and managers and all their records."""
    today = local_today()
    people = list(enterprise.people)
    records = records_of(people, today)
    names = {p.id: Link(p.name, url_for("reports.person_file", person_id=p.id)) for p in people}
    ids = {p.id: _id_number(p) for p in people}
    facts = [
        (_("Enterprise"), enterprise.name),
        (_("Credit code"), enterprise.credit_code),
        (_("Sectors"), "、".join(s.name for s in enterprise.sectors) or "—"),
        (_("Town / street"), enterprise.town.name),
        (_("Address"), enterprise.address or "—"),
        (_("Contact"), f"{enterprise.contact_name} {enterprise.contact_phone}".strip() or "—"),
        (
            _("Number of employees"),
            enterprise.employee_count if enterprise.employee_count is not None else "—",
        ),
        (_("Safety director"), director_note(enterprise)),
    ]
    sections = [dossier.overview_section(records, people, names, ids, today.year)]
    sections += dossier.record_sections(records, people, names)
    former = _former(enterprise)
    notes = [_("Formerly at this enterprise: %(names)s", names="；".join(former))] if former else []
    return File(
        _("Enterprise file: %(name)s", name=enterprise.name),
        _("Enterprise file"),
        enterprise.name,
        facts,
        sections,
        today,
        notes,
    )


# --- exports ------------------------------------------------------------------------------


def file_pdf(file: File) -> bytes:
    """The file as a PDF: the identity, then each section as a table."""
    blocks: list = [Paragraph("\n".join(f"{label}：{value}" for label, value in file.facts))]
    blocks += [Paragraph(note) for note in file.notes]
    for section in file.sections:
        blocks.append(PdfHeading(section.title))
        blocks.append(
            TableBlock(
                section.headers,
                [[dossier.plain(v) for v in row] for row in section.rows],
                section.widths,
            )
        )
    subtitle = _("As of %(date)s", date=chinese_date(file.today))
    # An enterprise's tables carry a name column more: landscape keeps ID numbers on one line.
    return report_pdf(
        file.title, blocks, subtitle=subtitle, landscape_pages=file.kind == _("Enterprise file")
    )


def file_xlsx(file: File) -> bytes:
    """The file as a workbook: one sheet per section, each headed by the file's title, the
    bureau, the date and who or what it is about."""
    bureau = current_app.config["BUREAU_NAME"]
    about = "  ".join(f"{label}：{value}" for label, value in file.facts[:3])
    captions = [file.title, f"{bureau}  {chinese_date(file.today)}", about]
    tables = []
    for section in file.sections:
        widths = [
            _width([h, *(row[i] for row in section.rows)]) for i, h in enumerate(section.headers)
        ]
        tables.append(
            Table(
                section.title[:31],
                section.headers,
                [[_cell(v) for v in row] for row in section.rows],
                widths,
                text_columns=section.text_columns,
                captions=captions,
                number_formats=section.number_formats,
            )
        )
    return write_xlsx(tables)


def _width(values: list) -> int:
    """A column's width in characters: its longest value (Chinese characters count twice)."""
    longest = max(
        sum(
            2 if unicodedata.east_asian_width(ch) in "WF" else 1
            for ch in str(dossier.plain(v) or "")
        )
        for v in values
    )
    return max(8, min(50, longest + 2))


def _cell(value: object) -> object:
    """A cell for the workbook: text without the control characters .xlsx cannot hold."""
    value = dossier.plain(value)
    return ILLEGAL_CHARACTERS_RE.sub(" ", value) if isinstance(value, str) else value


def _export(file: File, fmt: str):
    # No colon or slash from a title in a file name (Windows refuses them).
    name = re.sub(r'[\\/:*?"<>|]+', "_", f"{file.kind}-{file.name}-{file.today.isoformat()}")
    if fmt == "pdf":
        return download(file_pdf(file), f"{name}.pdf", "application/pdf")
    return download(file_xlsx(file), f"{name}.xlsx", XLSX)


# --- routes -------------------------------------------------------------------------------


@roles_required(*STAFF)
def person_file(person_id: int):
    """A person's file as a page."""
    person = get_person_or_404(person_id, current_user)
    return render_template(
        "reports/file.html",
        file=person_file_data(person),
        export_endpoint="reports.person_file_export",
        subject={"person_id": person.id},
        back_url=url_for("people.person", person_id=person.id),
        back_label=_("Back to the person"),
    )


@roles_required(*STAFF)
def person_file_export(person_id: int, fmt: str):
    """A person's file as PDF or .xlsx."""
    return _export(person_file_data(get_person_or_404(person_id, current_user)), fmt)


@roles_required(*STAFF)
def enterprise_file(enterprise_id: int):
    """An enterprise's file as a page."""
    enterprise = get_enterprise_or_404(enterprise_id, current_user)
    return render_template(
        "reports/file.html",
        file=enterprise_file_data(enterprise),
        export_endpoint="reports.enterprise_file_export",
        subject={"enterprise_id": enterprise.id},
        back_url=url_for("people.enterprise", enterprise_id=enterprise.id),
        back_label=_("Back to the enterprise"),
    )


@roles_required(*STAFF)
def enterprise_file_export(enterprise_id: int, fmt: str):
    """An enterprise's file as PDF or .xlsx."""
    return _export(enterprise_file_data(get_enterprise_or_404(enterprise_id, current_user)), fmt)
