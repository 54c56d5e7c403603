"""Item-analysis arithmetic (pure, no app): facility, 27 % groups (ties shared by weight),
discrimination, item-rest correlation, point-biserial, flags."""

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


def test_groups_without_ties_at_the_edges_take_whole_candidates():
    totals = {1: 90, 2: 80, 3: 50, 4: 100, 5: 70, 6: 30, 7: 20, 8: 60, 9: 70, 10: 10}
    weights = itemstats.group_weights(totals)
    assert {k for k, (u, _l) in weights.items() if u} == {4, 1, 2}
    assert {k for k, (_u, low) in weights.items() if low} == {6, 7, 10}
    assert all(w in (0.0, 1.0) for pair in weights.values() for w in pair)


def test_candidates_tied_at_an_edge_share_the_places_left_whatever_their_keys():
    # Ten candidates, groups of three. Upper: 100 takes a place, the three at 90 share the
    # two left (2/3 each). Lower: 10 and 20 take two places, the four at 30 share one (1/4).
    totals = {1: 90, 2: 90, 3: 50, 4: 100, 5: 70, 6: 30, 7: 30, 8: 30, 9: 90, 10: 30}
    totals[3], totals[5] = 20, 10
    weights = itemstats.group_weights(totals)
    assert weights[4] == (1.0, 0.0)
    assert [weights[k][0] for k in (1, 2, 9)] == pytest.approx([2 / 3] * 3)
    assert [weights[k][1] for k in (6, 7, 8, 10)] == pytest.approx([1 / 4] * 4)
    assert weights[3] == (0.0, 1.0) and weights[5] == (0.0, 1.0)
    assert sum(u for u, _l in weights.values()) == pytest.approx(3)
    assert sum(low for _u, low in weights.values()) == pytest.approx(3)
    # The same scores under other keys (another order of attempts): the same weights.
    renamed = {100 - k: t for k, t in totals.items()}
    assert itemstats.group_weights(renamed) == {100 - k: w for k, w in weights.items()}


def test_everybody_tied_splits_both_groups_evenly_and_discriminates_nothing():
    weights = itemstats.group_weights({k: 60 for k in range(10)})
    assert all(w == pytest.approx((0.3, 0.3)) for w in weights.values())
    fractions = [1, 0, 1, 0, 1, 0, 1, 0, 1, 1]
    upper = [weights[k][0] for k in range(10)]
    lower = [weights[k][1] for k in range(10)]
    assert itemstats.discrimination(fractions, upper, lower) == pytest.approx(0.0)
    assert itemstats.group_weights({1: 50}) == {1: (0.0, 0.0)}


def test_facility_is_the_mean_share_of_points():
    assert itemstats.facility([1, 0, 0.5, 1]) == pytest.approx(0.625)
    assert itemstats.facility([]) is None


def test_discrimination_is_upper_minus_lower_facility():
    fractions = [1, 1, 0, 0, 0, 1]
    assert itemstats.discrimination(fractions, [1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]) == (
        pytest.approx(1 / 3)
    )
    # Weighted: the upper group is 1 + 0.5 + 0.5 (the mean 1.5 / 2), the lower 1 + 1.
    assert itemstats.discrimination(fractions, [1, 0.5, 0.5, 0, 0, 0], [0, 0, 0, 0, 1, 1]) == (
        pytest.approx(0.75 - 0.5)
    )
    assert itemstats.discrimination([1], [0], [1]) is None
    assert itemstats.discrimination_from_sums(2.0, 3, 1.0, 3) == pytest.approx(1 / 3)
    assert itemstats.discrimination_from_sums(0.0, 0, 0.0, 0) is None


def test_item_rest_is_pearson_between_item_and_rest_of_paper():
    item = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    rest = [90, 90, 50, 100, 60, 20, 20, 50, 60, 20]
    assert itemstats.item_rest(item, rest) == pytest.approx(statistics.correlation(item, rest))
    assert itemstats.item_rest(item, rest) < 0


def test_point_biserial_is_the_textbook_formula_and_can_differ_in_sign_from_item_rest():
    # Four candidates, a question worth 50 of 100: those who got it right did worse on the
    # rest of the paper (item-rest below 0) but better in total (point-biserial above 0).
    item = [1, 1, 0, 0]
    rest = [0, 10, 40, 30]
    total = [r + 50 * x for r, x in zip(rest, item, strict=True)]
    assert total == [50, 60, 40, 30]
    m1, m0 = (50 + 60) / 2, (40 + 30) / 2  # mean totals of those right and those wrong
    p = q = 0.5
    textbook = (m1 - m0) / statistics.pstdev(total) * (p * q) ** 0.5
    assert itemstats.point_biserial(item, total) == pytest.approx(textbook)
    assert itemstats.point_biserial(item, total) > 0 > itemstats.item_rest(item, rest)


def test_sums_add_up_and_give_the_same_correlation():
    a = itemstats.sums([1, 0, 1], [10, 5, 7])
    b = itemstats.sums([0, 1], [3, 9])
    assert itemstats.correlation(a + b) == pytest.approx(
        statistics.correlation([1, 0, 1, 0, 1], [10, 5, 7, 3, 9])
    )


def test_no_correlation_without_variation_or_candidates():
    assert itemstats.item_rest([1, 1, 1], [10, 20, 30]) is None  # everyone right
    assert itemstats.item_rest([1, 0, 1], [10, 10, 10]) is None  # same rest score
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
