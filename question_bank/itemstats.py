"""Item analysis (pure): facility, discrimination, point-biserial correlation and flags.

Plain functions over plain numbers, so the database can do the summing (it hands over
counts and sums) and the arithmetic is tested without an app.

- **Facility index** (难度系数 P): the mean share of the item's points candidates earned
  (0 = nobody, 1 = everybody); for all-or-nothing items, the share who got it right.
- **Discrimination index** (区分度 D, Kelley's upper and lower 27 %): candidates are ranked
  by total score; D is the facility in the top 27 % minus the facility in the bottom 27 %.
  Ties at a group's edge are broken by the attempt's id, the same way the SQL does.
- **Point-biserial** (r_pb): Pearson's correlation between the item's share of points and
  the candidate's score on the *rest* of the paper (the item itself left out, so that an item
  does not correlate with itself).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

#: Share of candidates in each of the upper and lower groups (Kelley 1939).
GROUP_SHARE_PERCENT = 27
#: Facility above which an item tells candidates apart too little (almost all get it).
TOO_EASY = 0.9
#: Facility below which an item is flagged too hard. 0.2 is under what blind guessing earns
#: on a four-option single-choice item (0.25) and on true/false (0.5): so few right answers
#: means candidates are drawn to a wrong option, which is worth a look (an unclear stem or a
#: wrong key) rather than only "hard".
TOO_HARD = 0.2
#: Fewer candidates than this and an item is not flagged: its figures are mostly chance (papers
#: drawn from a large bank give each question to only some of an exam's candidates).
MIN_CANDIDATES = 10


class Flag:
    """Why a reviewer should look at an item."""

    TOO_EASY = "too_easy"
    TOO_HARD = "too_hard"
    #: Stronger candidates did worse than weaker ones: most often a wrong answer key.
    NEGATIVE = "negative_discrimination"
    ALL = (TOO_EASY, TOO_HARD, NEGATIVE)


def group_size(n: int) -> int:
    """Candidates in each of the upper and lower groups: 27 % of ``n``, rounded half up
    (integer arithmetic, as in the SQL); none below two candidates."""
    return (GROUP_SHARE_PERCENT * n + 50) // 100 if n >= 2 else 0


def upper_lower(totals: Mapping[Hashable, float]) -> tuple[list, list]:
    """The keys of the upper and lower groups, ranked by total score (high first), ties by key."""
    ranked = [key for key, _total in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    k = group_size(len(ranked))
    return ranked[:k], ranked[len(ranked) - k :] if k else []


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def facility(fractions: Sequence[float]) -> float | None:
    """The mean share of points earned (None without candidates)."""
    return mean(fractions)


def discrimination(upper: Sequence[float], lower: Sequence[float]) -> float | None:
    """Facility in the upper group minus facility in the lower group (None if either is empty)."""
    if not upper or not lower:
        return None
    return mean(upper) - mean(lower)


def discrimination_from_sums(
    upper_sum: float, upper_n: int, lower_sum: float, lower_n: int
) -> float | None:
    """``discrimination`` from the groups' sums of fractions and sizes (what SQL returns)."""
    if not upper_n or not lower_n:
        return None
    return upper_sum / upper_n - lower_sum / lower_n


@dataclass(frozen=True)
class Sums:
    """What Pearson's r needs, summed over candidates: n, Σx, Σy, Σx², Σy², Σxy."""

    n: int = 0
    x: float = 0.0
    y: float = 0.0
    xx: float = 0.0
    yy: float = 0.0
    xy: float = 0.0

    def __add__(self, other: Sums) -> Sums:
        return Sums(
            self.n + other.n,
            self.x + other.x,
            self.y + other.y,
            self.xx + other.xx,
            self.yy + other.yy,
            self.xy + other.xy,
        )


def sums(xs: Sequence[float], ys: Sequence[float]) -> Sums:
    return Sums(
        len(xs),
        sum(xs),
        sum(ys),
        sum(x * x for x in xs),
        sum(y * y for y in ys),
        sum(x * y for x, y in zip(xs, ys, strict=True)),
    )


def correlation(s: Sums) -> float | None:
    """Pearson's r from sums; None when either variable does not vary (everyone got the item
    right, or every rest score is the same) or there are fewer than two candidates."""
    if s.n < 2:
        return None
    covariance = s.n * s.xy - s.x * s.y
    var_x, var_y = s.n * s.xx - s.x * s.x, s.n * s.yy - s.y * s.y
    # Sums of floats: a variance that is zero can come out as a tiny number either side.
    if var_x <= 1e-9 * max(1.0, s.n * s.xx) or var_y <= 1e-9 * max(1.0, s.n * s.yy):
        return None
    return max(-1.0, min(1.0, covariance / math.sqrt(var_x * var_y)))


def point_biserial(item: Sequence[float], rest: Sequence[float]) -> float | None:
    """r between the item's share of points and the score on the rest of the paper."""
    return correlation(sums(item, rest))


def flags(
    facility_index: float | None,
    discrimination_index: float | None,
    point_biserial_r: float | None = None,
    candidates: int | None = None,
) -> tuple[str, ...]:
    """The flags an item earns: too easy, too hard, negative discrimination (D below 0, or
    r_pb below 0 when there are too few candidates for upper and lower groups); none when
    fewer than ``MIN_CANDIDATES`` sat it."""
    if candidates is not None and candidates < MIN_CANDIDATES:
        return ()
    found = []
    if facility_index is not None and facility_index > TOO_EASY:
        found.append(Flag.TOO_EASY)
    if facility_index is not None and facility_index < TOO_HARD:
        found.append(Flag.TOO_HARD)
    telling = discrimination_index if discrimination_index is not None else point_biserial_r
    if telling is not None and telling < -1e-9:
        found.append(Flag.NEGATIVE)
    return tuple(found)
