"""The screenings feature's refusals: its codes and their messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from exam.core.errors import AnpeiError, Refusals, catalogue
from exam.screenings.models import (
    EARLIEST_YEAR,
    MAX_FILM_MINUTES,
    MAX_HEADCOUNT,
    MAX_HOURS,
    MAX_LINES,
)

HEADCOUNT_RANGE = _l(
    "Enter a number from 0 to %(max)s, or leave it empty if nobody counted.", max=MAX_HEADCOUNT
)


class ScreeningError(AnpeiError):
    """One reason input was refused: ``code``, and the ``field`` it concerns."""

    domain = "screenings"


class InvalidInput(Refusals):
    """Every reason an input was refused, found at once (nothing is changed)."""

    domain = "screenings"

    @property
    def problems(self) -> list[AnpeiError]:
        return self.errors


catalogue(
    "screenings",
    {
        "required": _l("This field is required."),
        "duplicate_title": _l("A film with this title is already in the library."),
        "duration": _l("A film lasts from 1 to %(max)s minutes.", max=MAX_FILM_MINUTES),
        "no_film": _l("Choose at least one film."),
        "unknown_film": _l("A film chosen is no longer in the library; choose again."),
        "hours": _l("Hours must be from 0 to %(max)s.", max=int(MAX_HOURS)),
        "headcount": HEADCOUNT_RANGE,
        "unknown": _l("Choose from the list."),
        "date": _l(
            "Enter a date from the year %(year)s up to a year from now.", year=EARLIEST_YEAR
        ),
        "future_attendance": _l(
            "This screening has not started yet: nobody can have attended it. Leave the "
            "headcounts empty until it has been held."
        ),
        "too_many": _l("At most %(n)s lines at a time.", n=MAX_LINES),
        "not_started": _l(
            "This screening has not started yet: record who attended once it has been held."
        ),
    },
)
