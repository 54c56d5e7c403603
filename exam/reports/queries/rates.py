"""Pass-rate arithmetic over plain counts (no Flask, no database): the rates, and totals of
rows that do not overlap.

A *candidacy* is one person at one exam together with its makeup exam (补考). Per candidacy
the database says whether the person started at all, sat the exam itself with a score that
counts, passed it, sat it or its makeup with a score that counts, passed either, and how many
of their scores were cancelled. Rates are over the candidacies with a counting score: people
who never came (no-shows) and cancelled scores are shown, never hidden in a rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields


def rate(passed: int, sat: int) -> float | None:
    """``passed`` of ``sat`` as a percentage rounded to one decimal, or None when nobody sat.
    It is 100 only when everybody passed: 9,996 of 10,000 is 99.9, never rounded up to the
    bureau's target."""
    if sat <= 0:
        return None
    value = round(100.0 * passed / sat, 1)
    return 99.9 if value >= 100.0 and passed < sat else value


def percent_text(value: float | None) -> str:
    """A rate in the bureau's words: "100%" when everybody passed, else one decimal ("99.6%");
    a dash when nobody sat."""
    if value is None:
        return "—"
    return "100%" if value >= 100.0 else f"{value:.1f}%"


@dataclass(frozen=True)
class Counts:
    """What a group of candidacies adds up to."""

    #: Candidacies (应考): the people an exam expected (its roster: ``exam.exams.eligibility``)
    #: and anybody else who sat it, one per person and exam (人次).
    candidates: int = 0
    #: Candidacies with no attempt at all, neither at the exam nor at its makeup (缺考).
    no_shows: int = 0
    #: Sat the exam itself (any of its allowed attempts, not the makeup) with a score that
    #: counts (cancelled scores excluded).
    sat_first: int = 0
    passed_first: int = 0
    #: Sat the exam or its makeup with a score that counts.
    sat_final: int = 0
    passed_final: int = 0
    #: Attempts whose score was cancelled for a violation (作废), at the exam or its makeup.
    cancelled: int = 0

    @property
    def sat(self) -> int:
        """Candidacies that came (实考): started at the exam or its makeup, whatever the score."""
        return self.candidates - self.no_shows

    @property
    def first_rate(self) -> float | None:
        """First-attempt pass rate (一次通过率), in percent."""
        return rate(self.passed_first, self.sat_first)

    @property
    def final_rate(self) -> float | None:
        """Final pass rate after makeups (最终通过率), in percent."""
        return rate(self.passed_final, self.sat_final)

    @property
    def not_passed(self) -> int:
        """Candidacies that have not ended in a pass (no-shows included)."""
        return self.candidates - self.passed_final

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(Counts)}
        )


def total(rows: Iterable[Counts]) -> Counts:
    """The sum of groups that share no candidacy (by exam, month, enterprise, town or role;
    not by sector, where an enterprise in two sectors is in both)."""
    result = Counts()
    for row in rows:
        result = result + Counts(**{f.name: getattr(row, f.name) for f in fields(Counts)})
    return result
