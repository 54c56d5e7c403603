"""Importing and exporting questions: every format through the app, all-or-nothing,
no duplicates on re-import, hostile spreadsheets refused with a clear message."""

import io
import re
import zipfile
from dataclasses import replace

import pytest
from openpyxl import Workbook

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.questions.models import Question, QuestionStatus, QuestionVersion
from question_bank.formats.moodle import write_moodle
from question_bank.formats.template import read_template, write_template
from question_bank.model import QuestionData

KINDS = ("single", "multiple", "truefalse", "fill")


def bank(n: int) -> list[QuestionData]:
    questions = []
    for i in range(n):
        kind = KINDS[i % 4]
        options = tuple(f"第{i}题选项{c}" for c in "ABCD") if kind in ("single", "multiple") else ()
        answer = {
            "single": "C",
            "multiple": "ABD",
            "truefalse": i % 8 == 2,
            "fill": [[f"答案{i}"]],
        }[kind]
        questions.append(
            QuestionData(
                kind=kind,
                stem=f"第{i}题：关于安全生产的题目____",
                options=options,
                answer=answer,
                explanation=f"解析{i}",
                difficulty="medium",
                legal_source="《中华人民共和国安全生产法》第四条",
                topics=(f"G{i % 8 + 1}",),
                sectors=("hazardous_chemicals",) if i % 5 == 0 else (),
            )
        )
    return questions


def _upload(client, data: bytes, filename="bank.xlsx", fmt=""):
    return client.post(
        "/questions/import",
        data={"file": (io.BytesIO(data), filename), "format": fmt},
        content_type="multipart/form-data",
    )


def _confirm(client, response):
    token = re.search(
        r'name="token" type="hidden" value="([0-9a-f]+)"', response.get_data(as_text=True)
    ).group(1)
    return client.post("/questions/import/confirm", data={"token": token})


def _count(model=Question):
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_a_thousand_question_workbook_imports_once(client, login_as):
    login_as(UserRole.ORGANISER)
    data = write_template(bank(1000))
    preview = _upload(client, data)
    assert preview.status_code == 200 and "1000" in preview.get_data(as_text=True)
    assert _count() == 0  # nothing before the confirmation
    done = _confirm(client, preview)
    assert done.status_code == 200
    assert _count() == 1000
    assert (
        db.session.scalar(
            db.select(db.func.count(Question.id)).where(Question.status == QuestionStatus.DRAFT)
        )
        == 1000
    )
    again = _confirm(client, _upload(client, data))
    assert _count() == 1000 and _count(QuestionVersion) == 1000  # no duplicates, no new versions
    client.post("/language/en")
    assert "0 added, 0 updated, 1000 unchanged" in _confirm(client, _upload(client, data)).get_data(
        as_text=True
    )
    assert again.status_code == 200


def test_a_bad_row_is_named_and_nothing_is_written(client, login_as):
    login_as(UserRole.ORGANISER)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["题型", "题干", "选项A", "选项B", "答案", "专题"])
    sheet.append(["单选题", "好题", "甲", "乙", "A", "G1"])
    sheet.append(["单选题", "坏题", "甲", "乙", "E", "G1"])
    sheet.append(["判断题", "未知专题", "", "", "对", "G99"])
    out = io.BytesIO()
    workbook.save(out)
    response = _upload(client, out.getvalue())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 3 行" in page and "第 4 行" in page and "G99" in page
    assert "第 2 行" not in page
    assert _count() == 0


def test_a_changed_question_with_the_same_number_gets_a_new_version(client, login_as):
    login_as(UserRole.ORGANISER)
    original = QuestionData(
        kind="single", stem="原题", options=("甲", "乙"), answer="A", external_key="Q-1"
    )
    _confirm(client, _upload(client, write_template([original])))
    changed = QuestionData(
        kind="single", stem="改过的题", options=("甲", "乙"), answer="B", external_key="Q-1"
    )
    _confirm(client, _upload(client, write_template([changed])))
    question = db.session.scalar(db.select(Question))
    assert _count() == 1 and [v.number for v in question.versions] == [2, 1]
    assert question.current.answer == "B"


def test_export_then_import_round_trip_loses_nothing(client, login_as):
    login_as(UserRole.ORGANISER)
    questions = bank(12)
    _confirm(client, _upload(client, write_template(questions)))
    exported = client.get("/questions/export.xlsx").data
    back = [q.data for q in read_template("x.xlsx", exported).questions]
    assert all(q.external_key.startswith("anpei-") for q in back)  # every question has a key
    assert [replace(q, external_key="") for q in back] == questions
    client.post("/language/en")
    report = _confirm(client, _upload(client, exported)).get_data(as_text=True)
    assert "0 added, 0 updated, 12 unchanged" in report
    moodle = client.get("/questions/export.xml")
    assert moodle.status_code == 200 and b"<quiz>" in moodle.data
    from question_bank.formats.moodle import read_moodle

    back = [replace(q.data, external_key="") for q in read_moodle(moodle.data).questions]
    assert sorted(back, key=repr) == sorted(questions, key=repr)  # every field, sectors included
    report = _confirm(client, _upload(client, moodle.data, "bank.xml")).get_data(as_text=True)
    assert "0 added, 0 updated, 12 unchanged" in report
    assert _count() == 12 and _count(QuestionVersion) == 12


def test_moodle_and_word_files_import_through_the_app(client, login_as):
    from docx import Document

    login_as(UserRole.ORGANISER)
    moodle = write_moodle(bank(4)[:2])
    preview = _upload(client, moodle, "from-moodle.xml")
    assert preview.status_code == 200
    _confirm(client, preview)
    assert _count() == 2
    document = Document()
    for line in [
        "一、单选题",
        "1．主要负责人是本单位安全生产（　）。",
        "A．第一责任人",
        "B．监督人",
        "答案：A",
        "解析：第五条。",
    ]:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    preview = _upload(client, out.getvalue(), "题库.docx")
    assert preview.status_code == 200, preview.get_data(as_text=True)
    _confirm(client, preview)
    assert (
        db.session.scalar(db.select(QuestionVersion).order_by(QuestionVersion.id.desc())).answer
        == "A"
    )
    assert _count() == 3


def _xlsx_bytes(fill) -> bytes:
    workbook = Workbook()
    fill(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _header(ws):
    ws.append(["题型", "题干", "选项A", "选项B", "答案"])


def _formula(wb):
    _header(wb.active)
    wb.active.append(["单选题", "=1+1", "甲", "乙", "A"])


def _merged(wb):
    _header(wb.active)
    wb.active.append(["单选题", "题", "甲", "乙", "A"])
    wb.active.append(["单选题", "", "甲", "乙", "B"])
    wb.active.merge_cells("B2:B3")


def _huge_cell(wb):
    _header(wb.active)
    wb.active.append(["单选题", "长" * 1_000_000, "甲", "乙", "A"])


def _only_hidden(wb):
    _header(wb.active)
    wb.active.append(["单选题", "题", "甲", "乙", "A"])
    wb.active.sheet_state = "hidden"
    wb.create_sheet("空白")


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: _xlsx_bytes(_formula), "公式"),
        (lambda: _xlsx_bytes(_merged), "合并"),
        (lambda: _xlsx_bytes(_huge_cell), "20000"),
        (lambda: _xlsx_bytes(_only_hidden), "表头"),
        (_zip_bomb, "解压"),
    ],
)
def test_hostile_spreadsheets_are_refused_with_a_clear_message(client, login_as, make, expected):
    login_as(UserRole.ORGANISER)
    response = _upload(client, make())
    assert response.status_code == 422
    assert expected in response.get_data(as_text=True)
    assert _count() == 0


def test_cli_import_dry_run_progress_and_real_run(runner, tmp_path, make_user):
    editor = make_user(UserRole.ORGANISER)
    path = tmp_path / "bank.xlsx"
    path.write_bytes(write_template(bank(40)))
    args = ["questions", "import", str(path), "--author", editor.username]
    result = runner.invoke(args=[*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "40 added" in result.output and _count() == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 0 and _count() == 40
    assert "100%" in result.output  # the progress bar
    assert {v.created_by_id for v in db.session.scalars(db.select(QuestionVersion))} == {editor.id}
    assert "0 added, 0 updated, 40 unchanged" in runner.invoke(args=args).output
    assert runner.invoke(args=[*args[:3], "--author", "nobody"]).exit_code != 0


def test_cli_import_names_the_bad_question(runner, tmp_path, make_user):
    path = tmp_path / "bad.txt"
    path.write_text(
        "一、单选题\n1. 好题（　）\nA. 甲\nB. 乙\n答案：A\n\n2. 没有答案的题（　）\nA. 甲\nB. 乙\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        args=[
            "questions",
            "import",
            str(path),
            "--format",
            "text",
            "--author",
            make_user(UserRole.ORGANISER).username,
        ]
    )
    assert result.exit_code == 1
    assert "第 2 题（第 7 行）" in result.output and _count() == 0


FOREIGN_MOODLE = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/外部题库/化学品</text></category></question>
  <question type="truefalse">
    <name><text>储存</text></name>
    <questiontext format="html"><text>危险化学品应当储存在专用仓库内。</text></questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
  <question type="category"><category><text>$course$/top/外部题库/应急</text></category></question>
  <question type="truefalse">
    <name><text>预案</text></name>
    <questiontext format="html"><text>生产经营单位应当制定应急预案。</text></questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
  <question type="truefalse">
    <name><text>演练</text></name>
    <questiontext format="html"><text>应急预案无需演练。</text></questiontext>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
</quiz>
""".encode()


def _topic(code):
    from exam.questions.models import Topic

    return db.session.scalar(db.select(Topic).where(Topic.code == code))


def _token(response):
    return re.search(
        r'name="token" type="hidden" value="([0-9a-f]+)"', response.get_data(as_text=True)
    ).group(1)


def _topics_of(stem):
    version = db.session.scalar(db.select(QuestionVersion).where(QuestionVersion.stem == stem))
    return sorted(t.code for t in version.question.topics)


def test_moodle_categories_unknown_to_anpei_are_mapped_to_topics_in_the_preview(client, login_as):
    from exam.core.uploads import PendingImport

    login_as(UserRole.ORGANISER)
    preview = _upload(client, FOREIGN_MOODLE, "external.xml")
    page = preview.get_data(as_text=True)
    # Not refused: the preview lists each category with a select of topics to map it to.
    assert preview.status_code == 200
    assert 'id="import-unmapped"' in page and "化学品、应急" in page
    assert re.search(r'<label for="category_0">化学品</label>.*?<td>1</td>', page, re.S)
    assert re.search(r'<label for="category_1">应急</label>.*?<td>2</td>', page, re.S)
    assert "化学品（未对应）" in page  # the 专题 column says what is still open
    token = _token(preview)
    g1, g3 = _topic("G1"), _topic("G3")

    # Importing with a category left open is refused, and nothing is written.
    refused = client.post(
        "/questions/import/confirm",
        data={"token": token, "category_0": g1.id, "category_1": 0, "submit": "导入"},
    )
    assert refused.status_code == 422 and _count() == 0
    assert "应急" in refused.get_data(as_text=True)

    # Mapping both updates the preview (the 专题 column) and is kept with the pending upload.
    mapped = client.post(
        "/questions/import/confirm",
        data={"token": token, "category_0": g1.id, "category_1": g3.id, "apply": "1"},
    )
    page = mapped.get_data(as_text=True)
    assert mapped.status_code == 200 and 'id="import-ok"' in page
    assert re.findall(r'<td class="import-topics">([^<]*)</td>', page) == [
        g1.name,
        g3.name,
        g3.name,
    ]
    kept = db.session.scalar(db.select(PendingImport).where(PendingImport.token == token))
    assert kept.choices["map"] == {"化学品": g1.id, "应急": g3.id}
    assert _count() == 0

    done = client.post(
        "/questions/import/confirm",
        data={"token": token, "category_0": g1.id, "category_1": g3.id, "submit": "导入"},
    )
    assert done.status_code == 200 and _count() == 3
    assert _topics_of("危险化学品应当储存在专用仓库内。") == ["G1"]
    assert _topics_of("生产经营单位应当制定应急预案。") == ["G3"]
    assert _topics_of("应急预案无需演练。") == ["G3"]


def test_a_whole_file_topic_and_sector_stand_in_for_unmapped_categories(client, login_as):
    from exam.people.models import Sector

    login_as(UserRole.ORGANISER)
    token = _token(_upload(client, FOREIGN_MOODLE, "external.xml"))
    g2 = _topic("G2")
    sector = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
    done = client.post(
        "/questions/import/confirm",
        data={"token": token, "topic": g2.id, "sector": sector.id, "category_0": _topic("G1").id},
    )
    assert done.status_code == 200 and _count() == 3
    assert _topics_of("危险化学品应当储存在专用仓库内。") == ["G1"]
    assert _topics_of("应急预案无需演练。") == ["G2"]
    question = db.session.scalar(db.select(Question))
    assert [s.code for s in question.sectors] == ["hazardous_chemicals"]


def test_the_cli_maps_categories_with_map_and_topic(runner, tmp_path, make_user):
    path = tmp_path / "external.xml"
    path.write_bytes(FOREIGN_MOODLE)
    args = ["questions", "import", str(path), "--author", make_user(UserRole.ORGANISER).username]
    refused = runner.invoke(args=args)
    assert refused.exit_code == 1 and "化学品、应急" in refused.output and _count() == 0
    result = runner.invoke(args=[*args, "--map", "化学品=G1", "--map", "应急=G3"])
    assert result.exit_code == 0, result.output
    assert _topics_of("危险化学品应当储存在专用仓库内。") == ["G1"]
    assert _topics_of("应急预案无需演练。") == ["G3"]
    path.write_bytes(FOREIGN_MOODLE.replace("应急预案无需演练".encode(), "预案应当演练".encode()))
    result = runner.invoke(args=[*args, "--topic", "G2", "--map", "化学品=G1"])
    assert result.exit_code == 0, result.output
    assert _topics_of("预案应当演练。") == ["G2"]
    assert runner.invoke(args=[*args, "--map", "化学品=G404"]).exit_code != 0


PARTIAL_GIFT = """::方针:: 安全生产工作应当坚持什么方针？{
=安全第一、预防为主、综合治理
=安全第一，预防为主，综合治理
=%50%安全第一
}

::判断:: 安全生产人人有责。{T}
""".encode()


def test_gift_partial_credit_is_reported_on_its_question(
    client, login_as, runner, make_user, tmp_path
):
    login_as(UserRole.ORGANISER)
    preview = _upload(client, PARTIAL_GIFT, "外部.gift")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "第 1 题（第 1 行）：部分得分答案“安全第一”（50%）未导入" in page
    assert page.count('class="import-question-warning"') == 1
    done = _confirm(client, preview)
    assert "部分得分答案“安全第一”（50%）未导入" in done.get_data(as_text=True)
    version = db.session.scalar(db.select(QuestionVersion).where(QuestionVersion.kind == "fill"))
    assert version.answer == [["安全第一、预防为主、综合治理", "安全第一，预防为主，综合治理"]]
    path = tmp_path / "partial.gift"
    path.write_bytes(PARTIAL_GIFT)
    result = runner.invoke(
        args=["questions", "import", str(path), "--author", make_user(UserRole.ORGANISER).username]
    )
    assert result.exit_code == 0
    assert "partial-credit answer “安全第一” (50%) was not imported" in result.output
