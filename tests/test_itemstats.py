"""Item-analysis arithmetic (pure, no app): facility, 27 % groups, discrimination, point-biserial, flags."""

from __future__ import annotations

import statistics

import pytest

from question_bank import itemstats
from question_bank.itemstats import Flag


@pytest.mark.parametrize(
    ("n", "size"),
    [(0, 0), (1, 0), (2, 1), (3, 1), (10, 3), (11, 3), (13, 4), (100, 27), (150, 41), (1000, 270)],
)
def test_group_size_is_27_percent_rounded_half_up(n, size):
    assert itemstats.group_size(n) == size


def test_upper_and_lower_groups_rank_by_total_and_break_ties_by_key():
    totals = {1: 90, 2: 90, 3: 50, 4: 100, 5: 70, 6: 30, 7: 30, 8: 60, 9: 70, 10: 30}
    upper, lower = itemstats.upper_lower(totals)
    assert upper == [4, 1, 2]
    assert lower == [6, 7, 10]


def test_facility_is_the_mean_share_of_points():
    assert itemstats.facility([1, 0, 0.5, 1]) == pytest.approx(0.625)
    assert itemstats.facility([]) is None


def test_discrimination_is_upper_minus_lower_facility():
    assert itemstats.discrimination([1, 1, 0], [0, 0, 1]) == pytest.approx(1 / 3)
    assert itemstats.discrimination([0, 0, 1], [1, 1, 1]) == pytest.approx(-2 / 3)
    assert itemstats.discrimination([], [1]) is None
    assert itemstats.discrimination_from_sums(2.0, 3, 1.0, 3) == pytest.approx(1 / 3)
    assert itemstats.discrimination_from_sums(0.0, 0, 0.0, 0) is None


def test_point_biserial_is_pearson_between_item_and_rest_of_paper():
    item = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    rest = [90, 90, 50, 100, 60, 20, 20, 50, 60, 20]
    assert itemstats.point_biserial(item, rest) == pytest.approx(statistics.correlation(item, rest))
    assert itemstats.point_biserial(item, rest) < 0


def test_sums_add_up_and_give_the_same_correlation():
    a = itemstats.sums([1, 0, 1], [10, 5, 7])
    b = itemstats.sums([0, 1], [3, 9])
    assert itemstats.correlation(a + b) == pytest.approx(
        statistics.correlation([1, 0, 1, 0, 1], [10, 5, 7, 3, 9])
    )


def test_no_correlation_without_variation_or_candidates():
    assert itemstats.point_biserial([1, 1, 1], [10, 20, 30]) is None  # everyone right
    assert itemstats.point_biserial([1, 0, 1], [10, 10, 10]) is None  # same rest score
    assert itemstats.point_biserial([1], [10]) is None


@pytest.mark.parametrize(
    ("facility", "d", "r", "expected"),
    [
        (0.95, 0.1, 0.2, (Flag.TOO_EASY,)),
        (0.9, 0.1, 0.2, ()),  # the threshold itself is not "too easy"
        (0.1, 0.3, 0.2, (Flag.TOO_HARD,)),
        (0.2, 0.3, 0.2, ()),
        (0.5, -0.2, 0.3, (Flag.NEGATIVE,)),  # D decides when there are groups
        (0.5, 0.0, 0.0, ()),
        (0.5, None, -0.4, (Flag.NEGATIVE,)),  # too few candidates for groups: r_pb decides
        (0.15, -0.5, -0.5, (Flag.TOO_HARD, Flag.NEGATIVE)),
        (None, None, None, ()),
    ],
)
def test_flags(facility, d, r, expected):
    assert itemstats.flags(facility, d, r) == expected


def test_no_flags_from_too_few_candidates():
    assert itemstats.flags(0.05, -0.5, -0.5, candidates=itemstats.MIN_CANDIDATES - 1) == ()
    assert itemstats.flags(0.05, -0.5, -0.5, candidates=itemstats.MIN_CANDIDATES) == (
        Flag.TOO_HARD,
        Flag.NEGATIVE,
    )
