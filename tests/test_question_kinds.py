"""Question kinds: validation and grading in question_bank, without an app."""

import pytest

from question_bank import kinds
from question_bank.model import QuestionData, ScoringPolicy
from question_bank.text import normalise_answer, sanitise

CHOICES = ("第一责任人", "直接责任人", "主要责任人", "监督人")


def single(answer="A", options=CHOICES, stem="主要负责人是本单位安全生产的（　）。"):
    return QuestionData("single", stem, options, answer)


def multiple(answer="ABD"):
    return QuestionData("multiple", "下列属于主要负责人职责的有（　）。", CHOICES, answer)


def problems(q):
    return [p.message for p in kinds.validate(q)]


def test_a_sound_question_of_each_kind_validates():
    assert problems(single()) == []
    assert problems(multiple()) == []
    assert problems(QuestionData("truefalse", "安全生产工作应当以人为本。", (), True)) == []
    assert problems(QuestionData("fill", "坚持____、预防为主。", (), [["安全第一"]])) == []


@pytest.mark.parametrize(
    "question, expected",
    [
        (single(answer="E"), "names an option that does not exist"),
        (single(answer="AB"), "exactly one right option"),
        (single(answer=""), "the answer is missing"),
        (single(options=("只有一个",)), "needs %(min)s to %(max)s options"),
        (single(options=("同", "同", "异")), "two options are the same"),
        (single(options=("甲", "  ", "丙")), "an option is empty"),
        (single(stem="  "), "the question text is empty"),
        (multiple(answer="A"), "at least two right options"),
        (QuestionData("truefalse", "对吗", ("对", "错"), True), "has no options"),
        (QuestionData("truefalse", "对吗", (), "对"), "must be 对 or 错"),
        (QuestionData("fill", "____", (), [["  "]]), "at least one accepted answer"),
        (QuestionData("essay", "论述", (), None), "unknown question kind"),
    ],
)
def test_invalid_definitions_are_reported(question, expected):
    assert any(expected in message for message in problems(question)), problems(question)


def test_single_choice_grading():
    assert kinds.grade(single(), "A").correct
    assert kinds.grade(single(), "a").fraction == 1.0
    assert kinds.grade(single(), "B").fraction == 0.0
    assert kinds.grade(single(), "").fraction == 0.0


@pytest.mark.parametrize(
    "response, policy, fraction",
    [
        ("ABD", ScoringPolicy.ALL_OR_NOTHING, 1.0),
        ("DBA", ScoringPolicy.ALL_OR_NOTHING, 1.0),
        ("AB", ScoringPolicy.ALL_OR_NOTHING, 0.0),  # a correct subset earns nothing by default
        ("AB", ScoringPolicy.PARTIAL, 2 / 3),  # ... and its share under partial credit
        ("A", ScoringPolicy.PARTIAL, 1 / 3),
        ("ABC", ScoringPolicy.PARTIAL, 0.0),  # anything wrong earns nothing
        ("C", ScoringPolicy.PARTIAL, 0.0),
        ("", ScoringPolicy.PARTIAL, 0.0),  # nothing chosen is not a subset worth credit
        ("ABCD", ScoringPolicy.PARTIAL, 0.0),
    ],
)
def test_multiple_choice_scoring_policies(response, policy, fraction):
    grade = kinds.grade(multiple(), response, policy)
    assert grade.fraction == pytest.approx(fraction)
    assert grade.correct is (fraction == 1.0)


def test_true_false_grading_accepts_booleans_and_words():
    q = QuestionData("truefalse", "对吗", (), False)
    assert (
        kinds.grade(q, False).correct
        and kinds.grade(q, "错").correct
        and kinds.grade(q, "×").correct
    )
    assert not kinds.grade(q, True).correct and not kinds.grade(q, "maybe").correct


def test_fill_in_the_blank_normalises_width_spaces_and_case():
    q = QuestionData(
        "fill", "坚持____、____、综合治理的方针", (), [["安全第一"], ["预防为主", "预防 为主"]]
    )
    assert kinds.grade(q, ["安全第一", "预防为主"]).correct
    assert kinds.grade(q, [" 安全 第一。", "预防为主"]).correct  # spaces and a full stop
    assert kinds.grade(q, ["安全第一", "预防为主"]).correct
    assert not kinds.grade(q, ["安全第一", "综合治理"]).correct
    assert kinds.grade(q, ["安全第一", "综合治理"], ScoringPolicy.PARTIAL).fraction == 0.5
    assert kinds.grade(q, ["安全第一"]).fraction == 0.0  # a blank left out


def test_normalise_answer_folds_full_width_and_case():
    assert normalise_answer("ＡＢＣ　１２３") == "abc123"
    assert normalise_answer("PPE。") == normalise_answer("ppe")


@pytest.mark.parametrize(
    "kind, text, answer",
    [
        ("single", " b ", "B"),
        ("multiple", "D、B,A", "ABD"),
        ("multiple", "ａｂｄ", "ABD"),
        ("truefalse", "正确", True),
        ("truefalse", "√", True),
        ("truefalse", "错误", False),
        ("fill", "安全第一|安全 第一；预防为主", [["安全第一", "安全 第一"], ["预防为主"]]),
    ],
)
def test_answers_as_clerks_write_them_are_parsed_and_formatted_back(kind, text, answer):
    k = kinds.get(kind)
    assert k.parse_answer(text) == answer
    assert k.parse_answer(k.format_answer(answer)) == answer


@pytest.mark.parametrize("kind, text", [("single", "Z"), ("truefalse", "也许"), ("fill", " ; ")])
def test_unreadable_answers_raise(kind, text):
    with pytest.raises(ValueError):
        kinds.get(kind).parse_answer(text)


def test_kinds_are_found_by_the_names_files_use():
    assert kinds.by_name("单项选择题").code == "single"
    assert kinds.by_name("多选题").code == "multiple"
    assert kinds.by_name("判断").code == "truefalse"
    assert kinds.by_name("填空题").code == "fill"
    assert kinds.by_name("论述题") is None


@pytest.mark.parametrize(
    "dirty, clean",
    [
        ("<script>alert(1)</script>安全", "安全"),
        ('<b onclick="x()">粗</b>', "<b>粗</b>"),
        ('<a href="javascript:alert(1)">链接</a>', "链接"),
        ('<img src="http://evil.example/x.png" onerror="x()">', ""),
        ('<img src="/questions/media/a.png" onerror="x()">', '<img src="/questions/media/a.png">'),
        ("<ul><li>一</li></ul>第一行<br>第二行", "<ul><li>一</li></ul>第一行<br>第二行"),
        ('<p style="color:red">段</p>', "<p>段</p>"),
    ],
)
def test_rich_text_is_reduced_to_the_safe_subset(dirty, clean):
    assert sanitise(dirty) == clean


def test_content_hash_ignores_spacing_but_not_the_answer():
    a = single()
    assert a.content_hash() == single(stem="主要负责人是本单位安全生产的（　）。 ").content_hash()
    assert a.content_hash() != single(answer="B").content_hash()


def test_a_slash_inside_a_fill_answer_is_part_of_it():
    assert kinds.get("fill").parse_answer("10m/s|10 m/s") == [["10m/s", "10 m/s"]]


def test_control_characters_are_removed_from_rich_text():
    assert sanitise("题\x01干\x1f") == "题干"


def test_pictures_must_be_plain_names_in_the_banks_storage():
    assert sanitise('<img src="/questions/media/../../logout">') == ""
    assert sanitise('<img src="/questions/media/a/b.png">') == ""
