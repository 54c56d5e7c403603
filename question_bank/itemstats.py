"""Item analysis (pure): facility, discrimination, the item's correlations and flags.

Plain functions over plain numbers, so the database can do the summing (it hands over
counts and sums) and the arithmetic is tested without an app.

- **Facility index** (难度系数 P): the mean share of the item's points candidates earned
  (0 = nobody, 1 = everybody); for all-or-nothing items, the share who got it right.
- **Discrimination index** (区分度 D, Kelley's upper and lower 27 %): candidates are ranked
  by total score; D is the facility in the top 27 % minus the facility in the bottom 27 %.
  *Ties at a group's edge* are handled by score, never by who started first: the candidates
  tied at the cut score share the places left in the group equally (each counts with weight
  places left / candidates tied; everyone above the cut counts fully). A group then always
  weighs exactly 27 % of the candidates, and D depends only on the scores (the fractional
  weighting of tied ranks, as mid-ranks do for rank statistics).
- **Item-rest correlation** (题-余分相关, corrected item-total correlation): Pearson's r
  between the item's share of points and the candidate's score on the *rest* of the paper
  (the item itself left out, so that it does not correlate with itself). What flags use.
- **Point-biserial** (点二列相关, the textbook r_pb): Pearson's r between the item and the
  *total* score, the item included: (M₁ − M₀) / s · √(pq) for a right/wrong item, where M₁
  and M₀ are the mean totals of those who got it right and wrong, s the standard deviation of
  the totals (over n) and p = 1 − q the facility. On a short paper or a small group it is
  inflated by the item's own points, and can even differ in sign from the item-rest r.
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


@dataclass(frozen=True)
class Edge:
    """Where a 27 % group ends: the total score at the cut, and the weight of each candidate
    tied at that score (the group's places left, shared among them). Candidates beyond the
    cut (above it for the upper group, below it for the lower) weigh 1, the others 0."""

    score: float
    tie_weight: float

    def upper(self, total: float) -> float:
        """A candidate's weight in the upper group."""
        return 1.0 if total > self.score else self.tie_weight if total == self.score else 0.0

    def lower(self, total: float) -> float:
        """A candidate's weight in the lower group."""
        return 1.0 if total < self.score else self.tie_weight if total == self.score else 0.0


def _edge(counts: Sequence[tuple[float, int]], k: int) -> Edge:
    """The edge of a group of ``k`` places filled from the start of ``counts`` ((score,
    candidates) in the group's order: highest first for the upper group)."""
    before = 0
    for score, count in counts:
        if before + count >= k:
            return Edge(score, (k - before) / count)
        before += count
    raise ValueError("fewer candidates than places")


def edges(counts: Mapping[float, int]) -> tuple[Edge, Edge] | None:
    """The edges of the upper and lower groups, from how many candidates had each total
    score; None when there are too few candidates for groups."""
    k = group_size(sum(counts.values()))
    if not k:
        return None
    ranked = sorted(counts.items())
    return _edge(ranked[::-1], k), _edge(ranked, k)


def group_weights(totals: Mapping[Hashable, float]) -> dict[Hashable, tuple[float, float]]:
    """Each candidate's (upper, lower) group weight, from the candidates' total scores; the
    weights of each group add up to its size (``group_size``) whatever the ties."""
    counts: dict[float, int] = {}
    for total in totals.values():
        counts[total] = counts.get(total, 0) + 1
    found = edges(counts)
    if found is None:
        return {key: (0.0, 0.0) for key in totals}
    upper, lower = found
    return {key: (upper.upper(t), lower.lower(t)) for key, t in totals.items()}


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def facility(fractions: Sequence[float]) -> float | None:
    """The mean share of points earned (None without candidates)."""
    return mean(fractions)


def discrimination(
    fractions: Sequence[float], upper: Sequence[float], lower: Sequence[float]
) -> float | None:
    """Facility in the upper group minus facility in the lower group, each a mean of the
    candidates' ``fractions`` weighted by their group weights (None if a group is empty)."""
    return discrimination_from_sums(
        sum(x * w for x, w in zip(fractions, upper, strict=True)),
        sum(upper),
        sum(x * w for x, w in zip(fractions, lower, strict=True)),
        sum(lower),
    )


def discrimination_from_sums(
    upper_sum: float, upper_weight: float, lower_sum: float, lower_weight: float
) -> float | None:
    """``discrimination`` from the groups' weighted sums of fractions and their weights (what
    SQL returns)."""
    if upper_weight <= 1e-9 or lower_weight <= 1e-9:
        return None
    return upper_sum / upper_weight - lower_sum / lower_weight


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


def item_rest(item: Sequence[float], rest: Sequence[float]) -> float | None:
    """The item-rest correlation: r between the item's share of points and the score on the
    rest of the paper."""
    return correlation(sums(item, rest))


def point_biserial(item: Sequence[float], total: Sequence[float]) -> float | None:
    """The textbook point-biserial: r between the item's share of points and the total score
    (the item included)."""
    return correlation(sums(item, total))


def flags(
    facility_index: float | None,
    discrimination_index: float | None,
    item_rest_r: float | None = None,
    candidates: int | None = None,
) -> tuple[str, ...]:
    """The flags an item earns: too easy, too hard, negative discrimination (D below 0, or
    the item-rest r below 0 when there are too few candidates for upper and lower groups);
    none when fewer than ``MIN_CANDIDATES`` sat it."""
    if candidates is not None and candidates < MIN_CANDIDATES:
        return ()
    found = []
    if facility_index is not None and facility_index > TOO_EASY:
        found.append(Flag.TOO_EASY)
    if facility_index is not None and facility_index < TOO_HARD:
        found.append(Flag.TOO_HARD)
    telling = discrimination_index if discrimination_index is not None else item_rest_r
    if telling is not None and telling < -1e-9:
        found.append(Flag.NEGATIVE)
    return tuple(found)
