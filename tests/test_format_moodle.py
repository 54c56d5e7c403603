"""Moodle XML: reading the supported types, reporting the others, the round trip, XML bombs."""

import time

from question_bank.formats import read
from question_bank.formats.moodle import read_moodle, write_moodle
from question_bank.model import QuestionData

MOODLE = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$course$/top/Default for 安全培训/消防安全</text></category>
  </question>
  <question type="multichoice">
    <name><text>灭火器</text></name>
    <questiontext format="html"><text><![CDATA[<p dir="ltr">干粉灭火器<script>x()</script>适用于（　）火灾。</p>]]></text></questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>见《消防法》</p>]]></text></generalfeedback>
    <idnumber>FIRE-1</idnumber>
    <single>true</single>
    <answer fraction="0" format="html"><text>金属</text></answer>
    <answer fraction="100" format="html"><text><![CDATA[<p>电气</p>]]></text></answer>
    <answer fraction="0" format="html"><text>油水</text></answer>
  </question>
  <question type="multichoice">
    <name><text>三违</text></name>
    <questiontext format="moodle_auto_format"><text>下列属于“三违”的有（　）。</text></questiontext>
    <single>false</single>
    <answer fraction="50"><text>违章指挥</text></answer>
    <answer fraction="-100"><text>加班加点</text></answer>
    <answer fraction="50"><text>违章作业</text></answer>
    <tags><tag><text>difficulty:hard</text></tag><tag><text>source:《安全生产法》</text></tag></tags>
  </question>
  <question type="category">
    <category><text>$course$/top/安培题库/方针政策</text></category>
  </question>
  <question type="truefalse">
    <name><text>以人为本</text></name>
    <questiontext format="html"><text>安全生产工作应当以人为本。</text></questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
  <question type="shortanswer">
    <name><text>方针</text></name>
    <questiontext format="html"><text>安全生产工作坚持（　）、预防为主的方针。</text></questiontext>
    <answer fraction="100"><text>安全第一</text></answer>
    <answer fraction="50"><text>安全</text></answer>
  </question>
  <question type="essay">
    <name><text>论述应急预案</text></name>
    <questiontext format="html"><text>论述应急预案的编制。</text></questiontext>
  </question>
  <question type="matching">
    <name><text>电话匹配</text></name>
    <questiontext format="html"><text>匹配。</text></questiontext>
  </question>
</quiz>
"""


def test_moodle_file_with_categories_supported_and_unsupported_types():
    result = read("export.xml", MOODLE.encode())
    assert not result.problems
    fire, violations, people, policy, essay, matching = result.questions
    assert fire.ok and fire.position == "question 1 (灭火器)"
    assert fire.data.kind == "single" and fire.data.answer == "B"
    assert fire.data.stem == "干粉灭火器适用于（　）火灾。"  # sanitised, lone paragraph dropped
    assert fire.data.options == ("金属", "电气", "油水")
    assert fire.data.explanation == "见《消防法》"
    assert fire.data.external_key == "FIRE-1" and fire.data.topics == ("消防安全",)
    assert violations.ok and violations.data.kind == "multiple" and violations.data.answer == "AC"
    assert violations.data.difficulty == "hard" and violations.data.legal_source == "《安全生产法》"
    assert violations.data.external_key == ""  # a name is not a key: found again by content
    assert people.ok and people.data.answer is True and people.data.topics == ("方针政策",)
    assert policy.ok and policy.data.kind == "fill" and policy.data.answer == [["安全第一"]]
    assert essay.data is None and essay.position == "question 5 (论述应急预案)"
    assert essay.problems[0].render() == "unsupported Moodle question type: essay"
    assert matching.position == "question 6 (电话匹配)"
    assert matching.problems[0].render() == "unsupported Moodle question type: matching"


QUESTIONS = [
    QuestionData(
        "single",
        "主要负责人是本单位安全生产的（　）。",
        ("第一责任人", "直接责任人", "监督人"),
        "A",
        "《安全生产法》第五条规定。",
        "easy",
        "《安全生产法》第五条",
        ("安全管理", "法律法规"),
        external_key="Q-1",
    ),
    # The bank keeps safe HTML: "<" and "&" of the text arrive escaped by every reader.
    QuestionData(
        "multiple",
        "浓度 &lt;5% &amp; 通风良好时，下列做法正确的有（　）。",
        ("佩戴防护", "<b>持证</b>作业", "单人作业"),
        "AB",
        difficulty="hard",
        topics=("安全管理",),
    ),
    QuestionData(
        "truefalse",
        "<b>安全第一</b>是方针之一。",
        answer=False,
        explanation="是。",
        sectors=("危险化学品",),
        roles=("principal_leader",),
        usage="exam",
    ),
    QuestionData(
        "fill", "坚持（　　）的方针", answer=[["安全第一", "安全 第一"]], topics=("方针/政策",)
    ),
    QuestionData(
        "fill", "坚持（　）、____、综合治理", answer=[["安全第一"], ["预防为主", "预防~为主}"]]
    ),
]


def test_written_moodle_xml_reads_back_unchanged():
    written = write_moodle(QUESTIONS)
    assert written.startswith(b"<?xml") and "安培题库".encode() in written
    result = read_moodle(written)
    assert result.ok, [(q.position, [str(p) for p in q.problems]) for q in result.questions]
    fields = (
        "kind",
        "stem",
        "options",
        "answer",
        "explanation",
        "difficulty",
        "legal_source",
        "topics",
        "sectors",
        "roles",
        "usage",
    )
    read_back = {q.data.stem: q.data for q in result.questions}
    for original in QUESTIONS:
        again = read_back[original.stem]
        assert {f: getattr(again, f) for f in fields} == {f: getattr(original, f) for f in fields}
    assert read_back[QUESTIONS[0].stem].external_key == "Q-1"
    assert b'fraction="50"' in written and b'fraction="-100"' in written


def test_cloze_with_other_sub_questions_is_unsupported():
    xml = """<quiz><question type="multianswer"><name><text>完形</text></name>
      <questiontext format="html"><text>选{1:MULTICHOICE:=甲~乙}</text></questiontext>
      </question></quiz>"""
    result = read_moodle(xml.encode())
    assert (
        result.questions[0].problems[0].render() == "unsupported Moodle question type: multianswer"
    )


def test_billion_laughs_is_refused_not_expanded():
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY lol0 "lol">{entities}]>'
        '<quiz><question type="truefalse"><name><text>&lol9;</text></name></question></quiz>'
    )
    started = time.monotonic()
    result = read("bomb.xml", bomb.encode())
    assert time.monotonic() - started < 1
    assert not result.questions
    assert result.problems[0].message == (
        "the XML file declares a DTD or entities, which are refused for safety"
    )


def test_broken_and_foreign_xml_are_problems_of_the_file():
    assert (
        read_moodle(b"<quiz><question>").problems[0].message
        == "the file is not valid XML: %(error)s"
    )
    assert (
        read_moodle(b"<html/>").problems[0].message == "the file is not a Moodle XML question file"
    )


PARTIAL = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="shortanswer">
    <name><text>方针</text></name>
    <questiontext format="html"><text>安全生产工作应当坚持什么方针？</text></questiontext>
    <penalty>0.1</penalty>
    <defaultgrade>2.0000000</defaultgrade>
    <answer fraction="100"><text>安全第一、预防为主、综合治理</text><feedback><text></text></feedback></answer>
    <answer fraction="50"><text>安全第一</text><feedback format="html"><text>只答对了一半</text></feedback></answer>
  </question>
  <question type="multichoice">
    <name><text>灭火</text></name>
    <questiontext format="html"><text>电气火灾首选（　）。</text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>干粉灭火器</text></answer>
    <answer fraction="25"><text>泡沫灭火器</text></answer>
    <answer fraction="0"><text>水</text></answer>
  </question>
  <question type="multianswer">
    <name><text>填空</text></name>
    <questiontext format="html"><text>坚持{1:SHORTANSWER:=安全第一~%50%安全}的方针</text></questiontext>
  </question>
</quiz>
"""


def test_partial_credit_penalty_mark_and_feedback_are_warnings_on_their_question():
    short, single, cloze = read_moodle(PARTIAL.encode()).questions
    assert short.ok and short.data.answer == [["安全第一、预防为主、综合治理"]]
    assert [w.render() for w in short.warnings] == [
        "the feedback on answer “安全第一” was not imported",
        "the penalty for another try (0.1) was not imported",
        "the question's own mark (2.0000000) was not imported: the exam sets the marks",
        "partial-credit answer “安全第一” (50%) was not imported",
    ]
    # A partial-credit distractor no longer turns a single choice into a multiple choice.
    assert (single.data.kind, single.data.answer) == ("single", "A")
    assert [w.render() for w in single.warnings] == [
        "partial-credit answer “泡沫灭火器” (25%) was not imported"
    ]
    assert cloze.data.answer == [["安全第一"]]
    assert [w.render() for w in cloze.warnings] == [
        "partial-credit answer “安全” (50%) was not imported"
    ]


def test_a_file_written_by_anpei_reads_back_without_warnings():
    questions = [
        QuestionData(kind="multiple", stem="多选", options=("甲", "乙", "丙"), answer="AB"),
        QuestionData(kind="truefalse", stem="判断", answer=True),
        QuestionData(kind="fill", stem="填空____", answer=[["甲", "乙"]]),
    ]
    assert not any(q.warnings for q in read_moodle(write_moodle(questions)).questions)
