"""Blueprints, drawing papers with a recorded seed, shuffling and grading (no app needed)."""

import pytest

from question_bank.model import QuestionData, ScoringPolicy
from question_bank.papers import (
    Blueprint,
    BlueprintError,
    Coverage,
    Paper,
    PaperItem,
    PoolQuestion,
    Rule,
    TopicTree,
    check_blueprint,
    check_marks,
    draw_paper,
    grade_paper,
    shown_options,
    to_original,
)


def pool():
    questions = []
    for i in range(1, 41):
        kind = ("single", "multiple", "truefalse", "fill")[i % 4]
        questions.append(
            PoolQuestion(
                id=i,
                version_id=100 + i,
                kind=kind,
                difficulty=("easy", "hard")[i % 2],
                topics=frozenset(
                    {"G1" if i <= 20 else "G3", "G1.1"} if i <= 10 else {"G1" if i <= 20 else "G3"}
                ),
                sectors=frozenset({"hazardous_chemicals"} if i % 3 == 0 else set()),
                option_count=4 if kind in ("single", "multiple") else 0,
            )
        )
    return questions


RULES = Blueprint(
    rules=(
        Rule(3, "single", 2),
        Rule(2, "truefalse", 1, topic="G3"),
        Rule(1, "multiple", 4, sector="hazardous_chemicals"),
    )
)


def test_a_sound_blueprint_has_no_problems_and_sums_its_points():
    assert check_blueprint(RULES, pool()) == []
    assert RULES.total_points == 3 * 2 + 2 * 1 + 4 and RULES.question_count == 6


def test_the_rule_that_lacks_questions_is_named_with_the_numbers():
    blueprint = Blueprint(
        rules=(Rule(3, "single", 2), Rule(9, "fill", 1, topic="G1", difficulty="hard"))
    )
    problems = check_blueprint(blueprint, pool())
    assert len(problems) == 1
    assert problems[0].params == {"n": 2, "count": 9, "available": 5}


def test_overlapping_rules_that_cannot_all_be_served_are_reported():
    # Each rule alone fits (10 singles in the pool), together they need 12 distinct ones.
    blueprint = Blueprint(rules=(Rule(6, "single", 1), Rule(6, "single", 1)))
    problems = check_blueprint(blueprint, pool())
    assert problems and "shares questions" in problems[0].message


def test_the_same_seed_draws_the_same_paper_and_another_seed_another():
    first, again = draw_paper(RULES, pool(), seed=42), draw_paper(RULES, pool(), seed=42)
    assert first == again
    assert draw_paper(RULES, pool(), seed=43) != first


def test_a_drawn_paper_follows_every_rule_without_repeats():
    by_id = {q.id: q for q in pool()}
    for seed in range(50):
        paper = draw_paper(RULES, pool(), seed)
        ids = [item.question_id for item in paper.items]
        assert len(ids) == len(set(ids)) == 6 and paper.total_points == 12
        kinds = [by_id[i].kind for i in ids]
        assert kinds.count("single") == 3 and kinds.count("truefalse") == 2
        assert all("G3" in by_id[i].topics for i in ids if by_id[i].kind == "truefalse")
        assert all(
            "hazardous_chemicals" in by_id[i].sectors for i in ids if by_id[i].kind == "multiple"
        )
        assert all(item.version_id == 100 + item.question_id for item in paper.items)


def test_options_are_shuffled_per_candidate_and_mapped_back_for_grading():
    orders = {draw_paper(RULES, pool(), seed).items[0].option_order for seed in range(20)}
    assert len(orders) > 1  # candidates see different orders
    assert shown_options(("甲", "乙", "丙", "丁"), (2, 0, 3, 1)) == ("丙", "甲", "丁", "乙")
    # The candidate chose the first shown option, which is the question's C.
    assert to_original("single", "A", (2, 0, 3, 1)) == "C"
    assert to_original("multiple", "BD", (2, 0, 3, 1)) == "AB"
    assert to_original("truefalse", True, (2, 0)) is True


def test_no_shuffling_keeps_the_order_of_rules_and_options():
    blueprint = Blueprint(
        fixed=((5, 10), (3, 10), (8, 10)), shuffle_questions=False, shuffle_options=False
    )
    paper = draw_paper(blueprint, pool(), seed=1)
    assert [i.question_id for i in paper.items] == [5, 3, 8] and all(
        i.option_order == () for i in paper.items
    )


def test_a_fixed_paper_needs_active_questions_worth_points():
    problems = check_blueprint(Blueprint(fixed=((5, 10), (999, 10), (5, 0))), pool())
    messages = " ".join(p.message for p in problems)
    assert (
        "not active" in messages and "chosen twice" in messages and "more than 0 points" in messages
    )
    with pytest.raises(BlueprintError):
        draw_paper(Blueprint(rules=(Rule(50, "single", 1),)), pool(), seed=1)


QUESTIONS = {
    1: QuestionData("single", "单选", ("甲", "乙", "丙", "丁"), "C", topics=("G1",)),
    2: QuestionData("multiple", "多选", ("甲", "乙", "丙", "丁"), "AB", topics=("G1", "G2")),
    3: QuestionData("truefalse", "判断", (), False, topics=("G2",)),
    4: QuestionData("fill", "填空", (), [["安全第一"]], topics=("G3",)),
}
PAPER = Paper(
    7,
    (
        PaperItem(11, 1, 40, (2, 0, 3, 1)),
        PaperItem(12, 2, 30),
        PaperItem(13, 3, 20),
        PaperItem(14, 4, 10),
    ),
)


def test_grading_a_paper_gives_scores_total_pass_and_topics():
    result = grade_paper(
        PAPER, QUESTIONS, {11: "A", 12: "AB", 13: False, 14: "安全 第一"}, pass_mark=80
    )
    assert [i.score for i in result.items] == [40, 30, 20, 10]
    assert result.score == 100 and result.total_points == 100 and result.passed
    assert result.by_topic == {"G1": (70, 70), "G2": (50, 50), "G3": (10, 10)}


@pytest.mark.parametrize(
    "responses, policy, score, passed",
    [
        (
            {11: "A", 12: "AB", 13: False},
            ScoringPolicy.ALL_OR_NOTHING,
            90,
            True,
        ),  # a blank left empty
        ({11: "A", 12: "A", 13: False, 14: "安全第一"}, ScoringPolicy.ALL_OR_NOTHING, 70, False),
        (
            {11: "A", 12: "A", 13: False, 14: "安全第一"},
            ScoringPolicy.PARTIAL,
            85,
            True,
        ),  # half of 30
        (
            {11: "C", 12: "AB", 13: False, 14: "安全第一"},
            ScoringPolicy.ALL_OR_NOTHING,
            60,
            False,
        ),  # C shown is D
        ({}, ScoringPolicy.ALL_OR_NOTHING, 0, False),
    ],
)
def test_grading_policies_and_the_pass_mark(responses, policy, score, passed):
    result = grade_paper(PAPER, QUESTIONS, responses, pass_mark=80, policy=policy)
    assert result.score == score and result.passed is passed


def test_exactly_the_pass_mark_passes():
    result = grade_paper(PAPER, QUESTIONS, {11: "A", 12: "AB", 14: "安全第一"}, pass_mark=80)
    assert result.score == 80 and result.passed


# --- the coverage rule and the paper's marks (issue 17) -----------------------------------

#: Three areas (grips), a measure under G1 and a point under it.
TREE = TopicTree(
    parents={"G1": None, "G2": None, "G3": None, "G1.1": "G1", "G1.1.1": "G1.1"},
    names={"G1": "抓教育培训", "G2": "抓制度完善", "G3": "抓苗头隐患", "G1.1": "警示教育"},
)


def grip_pool():
    """Ten single-choice questions in each of G1 (under G1.1), G2 and G3."""
    return [
        PoolQuestion(
            id=10 * area + i,
            version_id=1000 + 10 * area + i,
            kind="single",
            difficulty="easy",
            topics=frozenset({"G1", "G1.1"} if area == 1 else {f"G{area}"}),
            option_count=4,
        )
        for area in (1, 2, 3)
        for i in range(10)
    ]


def test_rules_by_topic_that_guarantee_each_area_satisfy_the_coverage_rule():
    blueprint = Blueprint(
        rules=(
            Rule(2, "single", 10, topic="G1.1"),  # a measure counts for its area
            Rule(2, "single", 10, topic="G2"),
            Rule(2, "single", 10, topic="G3"),
            Rule(4, "single", 10),
        ),
        coverage=Coverage(2),
    )
    assert check_blueprint(blueprint, grip_pool(), TREE) == []
    for seed in range(30):
        paper = draw_paper(blueprint, grip_pool(), seed, TREE)
        areas = [item.question_id // 10 for item in paper.items]
        assert all(areas.count(area) >= 2 for area in (1, 2, 3))


def test_a_paper_missing_a_grip_under_a_coverage_rule_is_refused_naming_the_grip():
    # The rule with no topic may happen to draw from G3, but nothing guarantees it.
    blueprint = Blueprint(
        rules=(
            Rule(2, "single", 10, topic="G1"),
            Rule(2, "single", 10, topic="G2"),
            Rule(6, "single", 10),
        ),
        coverage=Coverage(1),
    )
    problems = check_blueprint(blueprint, grip_pool(), TREE)
    assert len(problems) == 1
    assert problems[0].params == {"n": 1, "areas": "抓苗头隐患（0）"}
    # Listed areas: only those are asked for.
    listed = Blueprint(rules=blueprint.rules, coverage=Coverage(2, ("G1", "G2")))
    assert check_blueprint(listed, grip_pool(), TREE) == []
    # Not an area (a measure) cannot be named.
    wrong = Blueprint(rules=blueprint.rules, coverage=Coverage(1, ("G1.1",)))
    assert "G1.1" in str(check_blueprint(wrong, grip_pool(), TREE)[0])


def test_a_drawn_paper_that_misses_an_area_is_no_paper():
    # The tree moved G1.1 under G2 since the rules were checked: the pool still files the
    # questions under G1, so a paper drawn by the rules has nothing from G2.
    moved = TopicTree(parents={"G1": None, "G2": None, "G3": None, "G1.1": "G2"})
    blueprint = Blueprint(
        rules=(Rule(1, "single", 50, topic="G1.1"), Rule(1, "single", 50, topic="G3")),
        coverage=Coverage(1, ("G2", "G3")),
    )
    with pytest.raises(BlueprintError) as refused:
        draw_paper(blueprint, grip_pool(), 1, moved)
    assert refused.value.problems[0].params["areas"] == "G2"


def test_a_50_point_paper_with_pass_mark_80_is_refused_twice_over():
    fifty = Blueprint(rules=(Rule(5, "single", 10),))
    messages = [p.message for p in check_marks(fifty, pass_mark=80)]
    assert len(messages) == 2
    assert "not 100" in messages[0] and "nobody could pass" in messages[1]
    # Confirming 50 points still leaves a pass mark nobody can reach.
    confirmed = Blueprint(rules=fifty.rules, confirmed_total=50)
    assert [p.params for p in check_marks(confirmed, 80)] == [{"mark": "80", "total": "50"}]
    assert check_marks(confirmed, 40) == []


def test_a_total_other_than_100_needs_this_very_total_confirmed():
    paper = Blueprint(rules=(Rule(12, "single", 10),))
    assert check_marks(paper, 80)[0].params == {"total": "120"}
    assert check_marks(Blueprint(rules=paper.rules, confirmed_total=120), 96) == []
    # A confirmation of another total (the rules changed since) confirms nothing.
    assert len(check_marks(Blueprint(rules=paper.rules, confirmed_total=100.5), 96)) == 1
    assert check_marks(Blueprint(rules=(Rule(40, "single", 2.5),)), 80) == []
