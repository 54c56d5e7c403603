"""Changes to the register. Services flush, never commit: the request or command does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from exam.audit.labels import lend_values
from exam.audit.services import apply_changes, record
from exam.auth.models import User, UserRole
from exam.auth.services import create_account, ensure_candidate_account
from exam.core.extensions import db
from exam.core.identifiers import InvalidIdentifier, normalise, validate_mobile
from exam.people.access import visible_people
from exam.people.importing import EnterpriseRow, ImportPlan, Lookups, PersonRow
from exam.people.models import (
    Employment,
    Enterprise,
    Person,
    PersonRole,
    Sector,
    Town,
    enterprise_sector,
)
from exam.people.signals import people_moved

# The audit log names a person's post and an account's role by their labels.
lend_values("role", {**UserRole.LABELS, **PersonRole.LABELS})


def lookups() -> Lookups:
    """The register as an import plan is checked against it."""
    sectors: dict[str, str] = {}
    for sector in db.session.scalars(select(Sector)):
        for spelling in (sector.name, sector.code, sector.name_en):
            if spelling:
                sectors[spelling.lower()] = sector.code
    towns = set(db.session.scalars(select(Town.name)))
    codes = set(db.session.scalars(select(Enterprise.credit_code)))
    mobiles = dict(
        db.session.execute(select(Person.mobile, Person.id_number).where(Person.mobile != "")).all()
    )
    return Lookups(sectors, towns, codes, mobiles)


@dataclass
class NewAccount:
    name: str
    login: str
    password: str


@dataclass
class ImportReport:
    enterprises_created: int = 0
    enterprises_updated: int = 0
    enterprises_unchanged: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    new_accounts: list[NewAccount] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.enterprises_created
            or self.enterprises_updated
            or self.people_created
            or self.people_updated
        )


def save_enterprise(
    enterprise: Enterprise | None, values: dict, sectors: list[Sector]
) -> tuple[Enterprise, bool]:
    """Create or update an enterprise; returns it and whether anything changed."""
    if enterprise is None:
        enterprise = Enterprise(**values, sectors=sectors)
        db.session.add(enterprise)
        record("enterprise.create", enterprise, f"{enterprise.name} {enterprise.credit_code}")
        return enterprise, True
    changes = apply_changes(enterprise, values)
    old_codes = sorted(s.code for s in enterprise.sectors)
    new_codes = sorted(s.code for s in sectors)
    if old_codes != new_codes:
        enterprise.sectors = list(sectors)
        changes["sectors"] = [old_codes, new_codes]
    if changes:
        record("enterprise.update", enterprise, enterprise.name, changes)
    return enterprise, bool(changes)


def _new_person(values: dict, enterprise: Enterprise) -> tuple[Person, str]:
    """A person with their first stint and a candidate account (one-time password), unflushed."""
    person = Person(**values, enterprise=enterprise)
    person.employments.append(
        Employment(enterprise=enterprise, role=person.role, started_on=person.appointed_on)
    )
    db.session.add(person)
    _account, password = create_account(person.id_number, UserRole.CANDIDATE, person=person)
    return person, password


def _record_new_person(person: Person) -> None:
    record(
        "person.create",
        person,
        f"{person.name} {person.masked_id_number} @ {person.enterprise.name}",
    )


def add_person(values: dict, enterprise: Enterprise) -> tuple[Person, str]:
    """Register a person at an enterprise with a candidate account; returns the one-time password."""
    person, password = _new_person(values, enterprise)
    db.session.flush()
    _record_new_person(person)
    return person, password


def _current_employment(person: Person) -> Employment | None:
    return next((e for e in person.employments if e.ended_on is None), None)


def current_stint_start(person: Person) -> date | None:
    current = _current_employment(person)
    return current.started_on if current is not None else None


def announce_moves(person_ids: Iterable[int]) -> None:
    """Tell that these people changed post or enterprise, or that their history was corrected
    (flushed first: the receivers read the register)."""
    person_ids = set(person_ids) - {None}
    db.session.flush()
    if person_ids:
        people_moved.send(person_ids=person_ids)


def update_person(person: Person, values: dict, enterprise: Enterprise | None, on: date) -> bool:
    """Correct a person's details; a new enterprise or post starts a new stint in the history.

    ``on`` is the date of a move or change of post when no new appointment date is given.
    """
    changed, history = _update_person(person, values, enterprise, on)
    if history:
        announce_moves([person.id])
    return changed


def _update_person(
    person: Person, values: dict, enterprise: Enterprise | None, on: date
) -> tuple[bool, bool]:
    """``update_person`` without telling: (details changed, post, enterprise or history changed)."""
    moved = enterprise is not None and enterprise.id != person.enterprise_id
    new_role = values.get("role", person.role) != person.role
    old_enterprise = person.enterprise.name if person.enterprise else ""
    changes = apply_changes(person, values)
    current = _current_employment(person)
    if moved or new_role:
        if current is not None:
            current.ended_on = max(on, current.started_on or on)
            current.end_reason = "transferred" if moved else "role_changed"
        if moved:
            person.enterprise = enterprise
            changes["enterprise"] = [old_enterprise, enterprise.name]
        if "appointed_on" not in changes or person.appointed_on is None:
            # Appointed to the new post on the day of the change, unless a date was given.
            changes.update(apply_changes(person, {"appointed_on": on}))
        person.employments.append(
            Employment(
                enterprise=person.enterprise, role=person.role, started_on=person.appointed_on
            )
        )
    elif "appointed_on" in changes and current is not None:
        current.started_on = person.appointed_on  # a corrected date corrects the stint too
    if "id_number" in changes:
        ensure_candidate_account(person)
    if changes:
        record("person.update", person, person.name, changes)
    history = moved or new_role or ("appointed_on" in changes and current is not None)
    return bool(changes), history


def mark_left(person: Person, on: date, reason: str = "") -> None:
    """Record that a person has left their enterprise (the history keeps the stint)."""
    current = _current_employment(person)
    if current is not None:
        current.ended_on = on
        current.end_reason = "left"
    name = person.enterprise.name if person.enterprise else ""
    person.enterprise = None
    record(
        "person.left",
        person,
        f"{person.name} @ {name}",
        {"enterprise": [name, None], "left_on": [None, on.isoformat()], "note": reason},
    )
    announce_moves([person.id])


def _load_by(column, keys: list[str]) -> dict:
    """Rows whose ``column`` is one of ``keys``, by that key (in chunks the backends accept)."""
    found: dict = {}
    model = column.class_
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 500):
        for row in db.session.scalars(select(model).where(column.in_(unique[start : start + 500]))):
            found[getattr(row, column.key)] = row
    return found


def apply_import(plan: ImportPlan, today: date) -> ImportReport:
    """Upsert a valid plan: enterprises by credit code, people by ID number.

    Existing rows are loaded in a few queries up front and new ones flushed together, so a
    district-size file costs a handful of round trips, not several per row.
    """
    assert plan.ok, "only a plan without errors may be applied"
    report = ImportReport()
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    towns = {t.name: t for t in db.session.scalars(select(Town))}
    codes = [r.credit_code for r in plan.enterprises] + [r.credit_code for r in plan.people]
    enterprises = _load_by(Enterprise.credit_code, codes)
    people = _load_by(Person.id_number, [r.id_number for r in plan.people])
    with db.session.no_autoflush:
        for row in plan.enterprises:
            enterprises[row.credit_code] = _import_enterprise(
                row, enterprises.get(row.credit_code), sectors, towns, report
            )
    db.session.flush()
    created: list[tuple[Person, str]] = []
    placed: set[int] = set()  # people whose post, enterprise or history changed
    with db.session.no_autoflush:
        for row in plan.people:
            new = _import_person(
                row, people.get(row.id_number), enterprises[row.credit_code], today, report, placed
            )
            if new is not None:
                created.append(new)
    announce_moves(placed)
    for person, password in created:
        _record_new_person(person)
        report.new_accounts.append(NewAccount(person.name, person.id_number, password))
    if report.changed:
        record(
            "people.import",
            None,
            (
                f"enterprises +{report.enterprises_created} ~{report.enterprises_updated}, "
                f"people +{report.people_created} ~{report.people_updated}"
            ),
        )
    return report


def _import_enterprise(
    row: EnterpriseRow, existing: Enterprise | None, sectors, towns, report: ImportReport
) -> Enterprise:
    values = {"name": row.name, "credit_code": row.credit_code, "town": towns[row.town]}
    # Optional columns left empty do not erase what the register already knows.
    for key in ("address", "contact_name", "contact_phone", "employee_count"):
        value = getattr(row, key)
        if value not in ("", None) or existing is None:
            values[key] = value
    enterprise, changed = save_enterprise(existing, values, [sectors[c] for c in row.sector_codes])
    if existing is None:
        report.enterprises_created += 1
    elif changed:
        report.enterprises_updated += 1
    else:
        report.enterprises_unchanged += 1
    return enterprise


def _import_person(
    row: PersonRow,
    person: Person | None,
    enterprise: Enterprise,
    today: date,
    report: ImportReport,
    placed: set[int],
) -> tuple[Person, str] | None:
    """Update a known person, or make a new one (returned, to be recorded once flushed)."""
    values = {"name": row.name, "id_number": row.id_number, "mobile": row.mobile, "role": row.role}
    if row.appointed_on is not None or person is None:
        values["appointed_on"] = row.appointed_on
    if person is None:
        report.people_created += 1
        return _new_person(values, enterprise)
    changed, history = _update_person(person, values, enterprise, today)
    if history:
        placed.add(person.id)
    if changed:
        report.people_updated += 1
    else:
        report.people_unchanged += 1
    return None


#: Uploads waiting for confirmation are forgotten after this long.


def account_of(person: Person) -> User | None:
    return db.session.scalar(select(User).where(User.person_id == person.id))


def account_for_login(login: str) -> User | None:
    """The candidate account a typed ID number or mobile number names (``login_lookup``)."""
    user = db.session.scalar(
        select(User)
        .join(Person, User.person_id == Person.id)
        .where(Person.id_number == normalise(login))
    )
    if user is not None:
        return user
    try:
        mobile = validate_mobile(login)
    except InvalidIdentifier:
        return None
    users = db.session.scalars(
        select(User)
        .join(Person, User.person_id == Person.id)
        .where(Person.mobile == mobile)
        .limit(2)
    ).all()
    # A mobile number shared by two people identifies nobody: they must use their ID number.
    return users[0] if len(users) == 1 else None


def counts_by_sector_and_role(user) -> tuple[list, dict]:
    """People per sector and role within what ``user`` may see (for home pages)."""
    people = visible_people(user).subquery()
    rows = db.session.execute(
        select(Sector.id, people.c.role, func.count(func.distinct(people.c.id)))
        .join(enterprise_sector, enterprise_sector.c.sector_id == Sector.id)
        .join(people, people.c.enterprise_id == enterprise_sector.c.enterprise_id)
        .group_by(Sector.id, people.c.role)
    ).all()
    counts: dict = {}
    for sector_id, role, n in rows:
        counts[(sector_id, role)] = n
    sectors = db.session.scalars(select(Sector).order_by(Sector.sort_order)).all()
    return sectors, counts
