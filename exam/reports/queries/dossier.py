"""The sections of a file (一企一档、一人一档) as tables of plain values.

One definition of the columns serves the page, the PDF and the .xlsx, so the three always
say the same. A cell is text, a number, a date, None or a ``Link`` (a link on the page,
its text elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from exam.certificates.models import CertificateStatus
from exam.core.timeutil import format_datetime
from exam.people.models import Person
from exam.reports.queries.records import Records, online_hours
from exam.training.models import Mode
from question_bank.spreadsheets import DECIMAL


@dataclass(frozen=True)
class Link:
    """A cell that links to another page (on the page only)."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Section:
    """One table of a file."""

    key: str
    title: str
    headers: list[str]
    rows: list[list]
    #: xlsx number formats by column.
    number_formats: dict[int, str] = field(default_factory=dict)
    #: Relative column widths in the PDF.
    widths: list[float] | None = None
    #: Columns kept as text in the .xlsx (ID numbers).
    text_columns: list[int] = field(default_factory=list)


def plain(value: object) -> object:
    """A cell for the PDF and the .xlsx: a link becomes its text."""
    return value.text if isinstance(value, Link) else value


def _hours_formats(first: int, count: int) -> dict[int, str]:
    return {first + i: DECIMAL for i in range(count)}


def _named(person_id: int, names: dict[int, object] | None) -> list:
    return [names[person_id]] if names is not None else []


def _result(row) -> str:
    if row.cancelled:
        reason = f": {row.cancel_reason}" if row.cancel_reason else ""
        return _("Score cancelled") + reason
    if row.submitted_at is None:
        return _("Not submitted")
    return _("Passed") if row.passed else _("Not passed")


def _latest(row) -> str:
    if row is None:
        return ""
    return _result(row) if row.score is None else f"{_result(row)} ({float(row.score):g})"


def hours_section(records: Records, people: list[Person], names: dict | None = None) -> Section:
    """Hours credited by year against the requirement, on-site and online apart."""
    headers = [
        _("Year"),
        _("Sessions (h)"),
        _("Screenings (h)"),
        _("Outside (h)"),
        _("Subtotal without online study"),
        _("Online study (h)"),
        _("Total (h)"),
        _("Required (h)"),
        _("Shortfall (h)"),
        _("Obligation"),
        _("Due by"),
    ]
    rows = []
    for person in people:
        for year in records.years:
            ledger = records.hours.get((person.id, year))
            if ledger is None:
                continue
            # Nothing is required of a year the person held no post on its last day
            # (``exam.training.obligations``); the post held then decides what is.
            owed = ledger.requirement
            rows.append(
                _named(person.id, names)
                + [
                    year,
                    ledger.sessions,
                    ledger.screenings,
                    ledger.external,
                    ledger.onsite,
                    online_hours(ledger),
                    ledger.total,
                    owed.hours if owed else None,
                    ledger.gap if owed else None,
                    (_("Initial training") if owed.initial else _("Retraining")) if owed else None,
                    owed.due_on if owed else None,
                ]
            )
    lead = [_("Name")] if names is not None else []
    return Section(
        "hours", _("Training hours by year"), lead + headers, rows, _hours_formats(len(lead) + 1, 8)
    )


def attempts_section(records: Records, names: dict | None = None) -> Section:
    """Every exam attempt: first exam or makeup, score and result (cancelled ones shown)."""
    lead = [_("Name")] if names is not None else []
    rows = [
        _named(r.person_id, names)
        + [
            r.exam_title,
            _("Makeup") if r.makeup else _("First exam"),
            r.number,
            format_datetime(r.started_at),
            format_datetime(r.submitted_at),
            None if r.score is None else float(r.score),
            _result(r),
        ]
        for r in records.attempts
    ]
    headers = [
        _("Exam"),
        _("First or makeup"),
        _("Attempt"),
        _("Start time"),
        _("Submitted"),
        _("Score"),
        _("Result"),
    ]
    return Section(
        "attempts",
        _("Exams"),
        lead + headers,
        rows,
        {len(lead) + 5: DECIMAL},
        [1.2] * len(lead) + [3, 1, 0.8, 1.8, 1.8, 0.9, 1.6],
    )


def certificates_section(records: Records, names: dict | None = None) -> Section:
    """Every certificate with its status today."""
    lead = [_("Name")] if names is not None else []
    rows = [
        _named(r.person_id, names)
        + [
            r.number,
            r.exam_title,
            None if r.score is None else float(r.score),
            r.issued_on,
            r.valid_until,
            str(CertificateStatus.LABELS.get(r.status, r.status)),
        ]
        for r in records.certificates
    ]
    headers = [
        _("Certificate number"),
        _("Exam"),
        _("Score"),
        _("Issued"),
        _("Valid until"),
        _("Status"),
    ]
    return Section(
        "certificates",
        _("Certificates"),
        lead + headers,
        rows,
        {len(lead) + 2: DECIMAL},
        [1.2] * len(lead) + [2.2, 3, 0.8, 1.4, 1.4, 1],
    )


def sessions_section(records: Records, names: dict | None = None) -> Section:
    """The training sessions attended and the hours each credited."""
    lead = [_("Name")] if names is not None else []
    rows = [
        _named(r.person_id, names)
        + [
            format_datetime(r.starts_at),
            r.title,
            r.organising_unit,
            str(Mode.LABELS.get(r.mode, r.mode)),
            r.hours,
        ]
        for r in records.sessions
    ]
    headers = [_("Date"), _("Training session"), _("Organised by"), _("Mode"), _("Hours")]
    return Section(
        "sessions",
        _("Training sessions attended"),
        lead + headers,
        rows,
        {len(lead) + 4: DECIMAL},
        [1.2] * len(lead) + [1.8, 3, 2, 0.8, 0.8],
    )


def screenings_section(records: Records, names: dict | None = None) -> Section:
    """The warning-film screenings attended by name."""
    lead = [_("Name")] if names is not None else []
    rows = [
        _named(r.person_id, names)
        + [format_datetime(r.starts_at), r.films, r.venue, r.organising_unit, r.hours]
        for r in records.screenings
    ]
    headers = [_("Date"), _("Films"), _("Venue"), _("Organised by"), _("Hours")]
    return Section(
        "screenings",
        _("Warning-film screenings attended"),
        lead + headers,
        rows,
        {len(lead) + 4: DECIMAL},
        [1.2] * len(lead) + [1.8, 3, 2, 2, 0.8],
    )


def external_section(records: Records, names: dict | None = None) -> Section:
    """Training elsewhere entered with evidence."""
    lead = [_("Name")] if names is not None else []
    rows = [
        _named(r.person_id, names) + [r.held_on, r.title, r.provider, r.hours]
        for r in records.external
    ]
    headers = [_("Date"), _("Training"), _("Provider"), _("Hours")]
    return Section(
        "external",
        _("Outside training"),
        lead + headers,
        rows,
        {len(lead) + 3: DECIMAL},
        [1.2] * len(lead) + [1.4, 3, 2.4, 0.8],
    )


def record_sections(
    records: Records, people: list[Person], names: dict | None = None
) -> list[Section]:
    """The sections every file has, in the order an inspector reads them."""
    return [
        hours_section(records, people, names),
        attempts_section(records, names),
        certificates_section(records, names),
        sessions_section(records, names),
        screenings_section(records, names),
        external_section(records, names),
    ]


def overview_section(
    records: Records, people: list[Person], names: dict, ids: dict, year: int
) -> Section:
    """One line per person of an enterprise: post, latest result, certificate, this year's
    hours against the requirement."""
    latest: dict[int, object] = {}
    for row in records.attempts:  # newest first: keep the first counted result per person
        if row.person_id not in latest and row.counts:
            latest[row.person_id] = row
    certificate: dict[int, object] = {}
    for row in records.certificates:  # newest first: a valid one, else the newest
        current = certificate.get(row.person_id)
        if current is None or (
            current.status != CertificateStatus.VALID and row.status == CertificateStatus.VALID
        ):
            certificate[row.person_id] = row
    rows = []
    for person in people:
        attempt, cert = latest.get(person.id), certificate.get(person.id)
        ledger = records.hours.get((person.id, year))
        rows.append(
            [
                names[person.id],
                person.role_label,
                ids[person.id],
                _latest(attempt),
                "" if cert is None else cert.number,
                "" if cert is None else str(CertificateStatus.LABELS.get(cert.status, cert.status)),
                cert.valid_until if cert else None,
                ledger.total if ledger else None,
                ledger.requirement.hours if ledger and ledger.requirement else None,
            ]
        )
    headers = [
        _("Name"),
        _("Post"),
        _("ID number"),
        _("Latest result"),
        _("Certificate number"),
        _("Certificate status"),
        _("Valid until"),
        _("Hours in %(year)s", year=year),
        _("Required (h)"),
    ]
    return Section(
        "people",
        _("Leaders and safety managers"),
        headers,
        rows,
        {7: DECIMAL, 8: DECIMAL},
        [1.1, 1.3, 1.9, 1.4, 1.9, 0.9, 1.2, 0.9, 0.8],
        [2],
    )
