"""Naming people one per line: the ID numbers or mobiles (and, where a form allows, names)
an organiser types or pastes into a box, read forgivingly and looked up in the register.

Reading (``read_entries``, pure): full-width characters are folded; line ends, commas,
semicolons and the Chinese 、，； separate entries; blank entries are ignored; spaces and
dashes inside a number are dropped (``139 1234 5678``, ``+86 139-1234-5678``); an entry
that starts with a number and goes on (``370102… 张伟``, as the forms fill themselves in) is
read by its number; repeats are collapsed. An ID number whose check character is wrong, or a
number that is neither an ID number nor a mobile, is *invalid* rather than not found, and an
invalid ID number says why (``IDENTIFIER_REASONS``, as the forms' ID number fields do).

Looking up (``look_up``, one query) is among ``people``, the caller's SELECT of the people
the user may see: someone outside it is *not found*, like anyone who is not in the register,
so the box cannot be used to probe. A mobile or a name that several of them share is
*ambiguous* (the ID number tells them apart); one person typed twice (ID number and mobile)
is found once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, or_

from exam.core.extensions import db
from exam.core.forms import IDENTIFIER_REASONS
from exam.core.identifiers import InvalidIdentifier, validate_id_number, validate_mobile
from exam.people.models import Person

ID_NUMBER, MOBILE, NAME, INVALID = "id_number", "mobile", "name", "invalid"
#: The column of ``Person`` each kind of entry is looked up by.
COLUMNS = {ID_NUMBER: "id_number", MOBILE: "mobile", NAME: "name"}

#: What separates entries, once full-width forms are folded (，→, and ；→;).
_SEPARATORS = re.compile(r"[\r\n,;、]+")
#: A number as typed, its spaces and dashes dropped: an ID number (its check character may
#: be X) or a mobile (perhaps with +86).
_NUMBER = re.compile(r"\+?[0-9]+X?")
#: How many lines of each kind a message quotes.
QUOTED = 20


@dataclass(frozen=True)
class Entry:
    """One entry as typed (for messages) and what it is read as."""

    typed: str
    kind: str
    key: str
    #: Why an invalid entry is refused: a key of ``IDENTIFIER_REASONS`` when it was read as an
    #: ID number (18 characters), "" when it is neither an ID number nor a mobile.
    reason: str = ""


@dataclass(frozen=True)
class Naming:
    """What a box of entries named: the people found (in the order typed, each once), and the
    entries, as typed, that named nobody, several people, or were not a valid number."""

    people: tuple[Person, ...] = ()
    not_found: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
    #: Why each of ``invalid`` was refused (same order; see ``Entry.reason``).
    reasons: tuple[str, ...] = ()
    #: Names were read as well as numbers (an ambiguous entry may be a name).
    names: bool = False

    @property
    def complete(self) -> bool:
        """Every entry named exactly one person."""
        return not (self.not_found or self.ambiguous or self.invalid)


def read_entries(text: str | None, *, names: bool = False) -> list[Entry]:
    """The entries of ``text`` (``names``: an entry that is not a number is a name)."""
    entries: list[Entry] = []
    seen: set[tuple[str, str]] = set()
    for part in _SEPARATORS.split(unicodedata.normalize("NFKC", text or "")):
        typed = part.strip()
        if not typed:
            continue
        entry = _entry(typed, names)
        if (entry.kind, entry.key) not in seen:
            seen.add((entry.kind, entry.key))
            entries.append(entry)
    return entries


def _compact(text: str) -> str:
    return re.sub(r"[\s\-]", "", text).upper()


def _entry(typed: str, names: bool) -> Entry:
    whole, first = _compact(typed), typed.split()[0]
    if _NUMBER.fullmatch(whole):
        return _number(typed, whole)
    if _NUMBER.fullmatch(_compact(first)):  # a number followed by a name or a note
        return _number(typed, _compact(first))
    if names:
        return Entry(typed, NAME, first)
    return Entry(typed, INVALID, whole)


def _number(typed: str, number: str) -> Entry:
    """An ID number (18 characters) or a mobile, or invalid (a wrong check character too)."""
    kind, check = (
        (ID_NUMBER, validate_id_number) if len(number) == 18 else (MOBILE, validate_mobile)
    )
    try:
        return Entry(typed, kind, check(number))
    except InvalidIdentifier as refused:
        # An ID number says what is wrong with it (a typo in the check character is the usual
        # case); a number of another length was neither an ID number nor a mobile.
        return Entry(typed, INVALID, number, refused.reason if kind == ID_NUMBER else "")


def look_up(entries: list[Entry], people: Select, *, names: bool = False) -> Naming:
    """Find each entry among ``people`` (a SELECT of ``Person``), in one query (``names``:
    the entries were read with names)."""
    wanted = [
        getattr(Person, column).in_([e.key for e in entries if e.kind == kind])
        for kind, column in COLUMNS.items()
        if any(e.kind == kind for e in entries)
    ]
    candidates = db.session.scalars(people.where(or_(*wanted))).all() if wanted else []
    found: dict[int, Person] = {}
    not_found, ambiguous, invalid, reasons = [], [], [], []
    for entry in entries:
        if entry.kind == INVALID:
            invalid.append(entry.typed)
            reasons.append(entry.reason)
            continue
        column = COLUMNS[entry.kind]
        matches = [p for p in candidates if getattr(p, column) == entry.key]
        if len(matches) == 1:
            found.setdefault(matches[0].id, matches[0])
        else:
            (ambiguous if matches else not_found).append(entry.typed)
    return Naming(
        tuple(found.values()),
        tuple(not_found),
        tuple(ambiguous),
        tuple(invalid),
        tuple(reasons),
        names,
    )


def name_people(text: str | None, people: Select, *, names: bool = False) -> Naming:
    """The people ``text`` names among ``people`` (``names``: names are accepted too)."""
    return look_up(read_entries(text, names=names), people, names=names)


def naming_errors(naming: Naming) -> list[str]:
    """What to tell the user about the entries that did not name one person, a message for
    each kind of problem (for a form field's errors)."""

    def quoted(lines: tuple[str, ...]) -> str:
        return "、".join(lines[:QUOTED]) + ("…" if len(lines) > QUOTED else "")

    errors = []
    # Invalid ID numbers by what is wrong with them, then entries that are no number at all.
    by_reason: dict[str, list[str]] = {}
    for typed, reason in zip(
        naming.invalid, naming.reasons or ("",) * len(naming.invalid), strict=True
    ):
        by_reason.setdefault(reason, []).append(typed)
    for reason, lines in sorted(by_reason.items(), key=lambda item: item[0] == ""):
        if reason in IDENTIFIER_REASONS:
            errors.append(
                _(
                    "The ID number %(reason)s: %(lines)s",
                    reason=IDENTIFIER_REASONS[reason],
                    lines=quoted(tuple(lines)),
                )
            )
        else:
            errors.append(
                _("Not a valid ID number or mobile: %(lines)s", lines=quoted(tuple(lines)))
            )
    if naming.not_found:
        errors.append(
            _("Not found among the people you may see: %(lines)s", lines=quoted(naming.not_found))
        )
    if naming.ambiguous and naming.names:
        errors.append(
            _(
                "More than one person has this name or mobile; use the ID number: %(lines)s",
                lines=quoted(naming.ambiguous),
            )
        )
    elif naming.ambiguous:
        errors.append(
            _(
                "These mobiles belong to more than one person; use the ID number: %(lines)s",
                lines=quoted(naming.ambiguous),
            )
        )
    return errors
