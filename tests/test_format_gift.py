"""Moodle GIFT: comments, titles, categories, escapes, the kinds read and the ones reported."""

import re

from question_bank.formats import read
from question_bank.formats.gift import parse_gift

GIFT = r"""// 安培题库 —— GIFT 导出
// 注释行不是题目

$CATEGORY: $course$/top/安培题库/消防安全

::灭火器::[html]<p>干粉灭火器适用于扑救（　）火灾。</p>{
=电气 #正确：干粉\#ABC 可扑救带电设备
~金属\~钠
~油\=水混合
####《消防法》第十六条：单位应配置消防器材
}

::判断1:: 1 \+ 1 \= 2，且集合写作 \{1\, 2\}，时间 12\:30。{T}

// 多选：按权重给分
::三违:: 下列属于“三违”的有（　）。{
~%50%违章指挥
~%50%违章作业
~%-100%加班加点
}

::多个等号:: 以下哪些是应急管理部门？ {=应急管理局 =安委办 ~公安局}

$CATEGORY: $course$/top/安培题库/方针政策
::方针:: 安全生产工作坚持{=安全第一 =安全 第一}、预防为主、综合治理的方针。

::匹配:: 将电话与用途对应。{
=火警 -> 119
=匪警 -> 110
}

::判断2:: 未经培训可以上岗。{FALSE#错误：必须先培训#对}
"""


def test_gift_file_with_comments_escapes_categories_and_kinds():
    result = read("bank.gift", GIFT.encode())
    assert not result.problems
    assert len(result.questions) == 7
    # Titles are not keys (they repeat across files): find the questions by their position.
    assert all(q.data is None or q.data.external_key == "" for q in result.questions)
    titles = re.findall(r"^::(.+?)::", GIFT, flags=re.M)
    by_key = {f"gift:{t}": q for t, q in zip(titles, result.questions, strict=True)}

    fire = by_key["gift:灭火器"].data
    assert fire.kind == "single"
    assert fire.stem == "干粉灭火器适用于扑救（　）火灾。"  # the lone <p> Moodle adds is dropped
    assert fire.options == ("电气", "金属~钠", "油=水混合")
    assert fire.answer == "A"
    assert fire.explanation == "《消防法》第十六条：单位应配置消防器材"  # general feedback first
    assert fire.topics == ("消防安全",)

    true_false = by_key["gift:判断1"].data
    assert (true_false.kind, true_false.answer) == ("truefalse", True)
    assert true_false.stem == r"1 \+ 1 = 2，且集合写作 {1\, 2}，时间 12:30。"

    violations = by_key["gift:三违"].data
    assert (violations.kind, violations.answer) == ("multiple", "AB")
    assert violations.options == ("违章指挥", "违章作业", "加班加点")
    assert by_key["gift:多个等号"].data.answer == "AB"

    policy = by_key["gift:方针"].data
    assert policy.kind == "fill" and policy.answer == [["安全第一", "安全 第一"]]
    assert policy.stem == "安全生产工作坚持（　）、预防为主、综合治理的方针。"
    assert policy.topics == ("方针政策",)

    false = by_key["gift:判断2"].data
    assert false.answer is False and false.explanation == "错误：必须先培训"

    matching = [q for q in result.questions if q.data is None]
    assert len(matching) == 1
    assert matching[0].position == "question 6 (line 27)"
    assert matching[0].problems[0].render() == "unsupported GIFT question type: matching"
    assert all(q.ok for q in result.questions if q.data)


def test_gift_is_recognised_in_a_txt_file_in_gb18030():
    result = read("导出.txt", "::甲:: 安全第一？{TRUE}".encode("gb18030"))
    assert result.ok and result.questions[0].data.answer is True


def test_other_unsupported_types_are_reported_not_dropped():
    text = "数值 {#3:0.5}\n\n论述 {}\n\n仅是一段说明\n\n未闭合 {=甲"
    result = parse_gift(text)
    assert [q.problems[0].params.get("type") for q in result.questions] == [
        "numerical",
        "essay",
        "description",
        None,
    ]
    assert result.questions[3].problems[0].message == "the answer block is not closed with }"
    assert parse_gift("// 只有注释\n").problems[0].message == "no questions were found in the file"


def test_questions_run_together_without_a_blank_line_are_reported():
    result = parse_gift("::一:: 第一题 {T}\n::二:: 第二题 {F}\n")
    assert len(result.questions) == 1 and result.questions[0].data is None
    assert "blank line" in result.questions[0].problems[0].message


PARTIAL = """$CATEGORY: $course$/top/外部题库/法规

::方针:: 安全生产工作应当坚持什么方针？{
=安全第一、预防为主、综合治理
=安全第一，预防为主，综合治理
=%50%安全第一#只答对了一半
}

::三违:: 下列属于“三违”的有（　）。{
~%70%违章指挥
~%30%违章作业
~%-100%加班加点
}

::灭火:: 电气火灾首选（　）。{=干粉灭火器 ~%25%泡沫灭火器 ~水#水导电，危险}
"""


def test_partial_credit_and_answer_feedback_are_warnings_on_their_question():
    fill, multiple, single = parse_gift(PARTIAL).questions
    # Full-credit alternatives of a short answer are all accepted answers.
    assert fill.ok and fill.data.answer == [
        ["安全第一、预防为主、综合治理", "安全第一，预防为主，综合治理"]
    ]
    assert [w.render() for w in fill.warnings] == [
        "partial-credit answer “安全第一” (50%) was not imported",
        "the feedback on answer “安全第一” was not imported",
    ]
    assert fill.data.explanation == ""  # a half-right answer's feedback explains nothing
    assert multiple.data.answer == "AB"
    assert [w.render() for w in multiple.warnings] == [
        "the answer weights (70% / 30%) were not imported: Anpei scores the question by its own rule"
    ]
    # A partial-credit distractor no longer turns a single choice into a multiple choice.
    assert (single.data.kind, single.data.answer) == ("single", "A")
    assert [w.render() for w in single.warnings] == [
        "partial-credit answer “泡沫灭火器” (25%) was not imported",
        "the feedback on answer “水” was not imported",
    ]


def test_only_questions_that_lose_something_have_warnings():
    warnings = [
        [w.render() for w in q.warnings] for q in read("bank.gift", GIFT.encode()).questions
    ]
    # The general feedback is the explanation: the right answer's own feedback has no place;
    # of a true/false question's two feedbacks, the one shown after a right answer is lost.
    assert warnings == [
        ["the feedback on answer “电气” was not imported"],
        *[[]] * 5,
        ["the feedback on answer “FALSE” was not imported"],
    ]
