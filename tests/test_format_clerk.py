"""The clerks' Word and plain-text layout: sections, options on one line, answers, problems."""

import io

import docx

from question_bank.formats import read
from question_bank.formats.clerk import parse_lines, read_docx, read_text

#: The layout as clerks type it: full-width punctuation and spaces, blank lines, a title,
#: options sharing a line, and question 7 without its 答案.
CLERK = [
    "2026年安全生产知识考试题库",
    "",
    "一、单选题",
    "1．生产经营单位的主要负责人是本单位安全生产的（　）。",
    "A．第一责任人　　B．直接责任人",
    "C、主要责任人",
    "D. 监督人",
    "答案：A",
    "解析：《安全生产法》第五条规定，主要负责人是第一责任人。",
    "难度：易",
    "依据：《中华人民共和国安全生产法》第五条",
    "知识点：安全生产责任制、主要负责人",
    "",
    "2、从业人员发现直接危及人身安全的紧急情况时，有权（　）。",
    "　　Ａ．停止作业　　Ｂ．继续作业　　Ｃ．请示领导　　Ｄ．离开现场不报告　",
    "【答案】A",
    "",
    "二、多项选择题（每题2分）",
    "3. 下列属于“三违”的有（　）。",
    "A：违章指挥",
    "B：违章作业",
    "C：违反劳动纪律",
    "D：加班加点",
    "参考答案：A、B、C　　难度：难",
    "【解析】三违即违章指挥、违章作业、违反劳动纪律。",
    "1. 违章指挥是管理者的违章；",
    "2. 违章作业是作业者的违章。",
    "",
    "三、判断题",
    "4、安全生产工作应当以人为本。（　）",
    "答案：对",
    "5、特种作业人员未经培训可以上岗作业。（　）",
    "答案：×",
    "6）企业可以不为从业人员提供劳动防护用品。（　）",
    "A．正确　B．错误",
    "答案：B",
    "7、从业人员有权拒绝违章指挥和强令冒险作业。（　）",
    "",
    "四、填空题",
    "8．安全生产工作坚持（　　）、预防为主、综合治理的方针。",
    "答案：安全第一",
    "9．“三同时”是指同时设计、同时（　　）、同时投入生产和使用。",
    "答案：施工｜建设",
    "法律依据：《安全生产法》第三十一条",
]


def _docx(lines: list[str]) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _check_clerk_result(result, unit: str) -> None:
    assert not result.problems
    numbers = [q.position.split(" (")[0] for q in result.questions]
    assert numbers == [f"question {n}" for n in range(1, 10)]
    broken = [q for q in result.questions if not q.ok]
    assert len(broken) == 1
    assert broken[0].position == f"question 7 ({unit} 37)"
    assert broken[0].data is None
    assert [p.message for p in broken[0].problems] == ["the answer (答案：) is missing"]

    q1, q2, q3, q4, q5, q6, _q7, q8, q9 = (q.data for q in result.questions)
    assert q1.kind == "single" and q1.answer == "A"
    assert q1.stem == "生产经营单位的主要负责人是本单位安全生产的（　）。"
    assert q1.options == ("第一责任人", "直接责任人", "主要责任人", "监督人")
    assert q1.explanation.startswith("《安全生产法》第五条")
    assert q1.difficulty == "easy"
    assert q1.legal_source == "《中华人民共和国安全生产法》第五条"
    assert q1.topics == ("安全生产责任制", "主要负责人")
    assert q2.options == ("停止作业", "继续作业", "请示领导", "离开现场不报告")
    assert q2.answer == "A" and q2.difficulty == "medium"
    assert q3.kind == "multiple" and q3.answer == "ABC" and q3.difficulty == "hard"
    assert q3.options[3] == "加班加点"
    # The numbered list continues the explanation rather than starting questions 1 and 2.
    assert q3.explanation.endswith("2. 违章作业是作业者的违章。")
    assert (q4.kind, q4.answer, q5.answer) == ("truefalse", True, False)
    assert q6.kind == "truefalse" and q6.answer is False and q6.options == ()
    assert q8.kind == "fill" and q8.answer == [["安全第一"]]
    assert q8.stem == "安全生产工作坚持（　　）、预防为主、综合治理的方针。"
    assert q9.answer == [["施工", "建设"]] and q9.legal_source == "《安全生产法》第三十一条"


def test_word_file_in_the_clerks_layout():
    result = read_docx(_docx(CLERK))
    _check_clerk_result(result, "line")  # a paragraph counts as a line


def test_gb18030_text_file_reads_like_the_word_file():
    data = "\r\n".join(CLERK).encode("gb18030")
    result = read("题库.txt", data)
    _check_clerk_result(result, "line")
    assert [q.data for q in result.questions] == [q.data for q in read_docx(_docx(CLERK)).questions]


def test_utf8_with_bom_and_kinds_inferred_without_sections():
    text = "\n".join(
        [
            "1. 单选题干（　）",
            "A. 甲 B. 乙",
            "答案：B",
            "2. 多选题干（　）",
            "A. 甲 B. 乙 C. 丙",
            "答案：AC",
            "3. 判断题干",
            "答案：√",
            "4. 填空题干（　）和（　）",
            "答案：甲；乙|丙",
        ]
    )
    result = read_text("\ufeff".encode() + text.encode())
    assert result.ok
    assert [(q.data.kind, q.data.answer) for q in result.questions] == [
        ("single", "B"),
        ("multiple", "AC"),
        ("truefalse", True),
        ("fill", [["甲"], ["乙", "丙"]]),
    ]


def test_text_becomes_safe_html_with_its_line_breaks():
    lines = [
        "1. 可燃气体浓度<5% & 通风良好时，下列说法正确的是（　）。",
        "①持证作业",
        "②单人作业",
        "A. ① B. ② C. ①② D. 都不对",
        "答案：A",
        "解析：<script>x()</script>见规程。",
    ]
    data = parse_lines(enumerate(lines, start=1)).questions[0].data
    assert (
        data.stem
        == "可燃气体浓度&lt;5% &amp; 通风良好时，下列说法正确的是（　）。<br>①持证作业<br>②单人作业"
    )
    assert data.options == ("①", "②", "①②", "都不对")
    assert data.explanation == "见规程。"


def test_problems_are_reported_on_their_question():
    lines = [
        "1. 题干一（　）",
        "A. 甲 B. 乙",
        "答案：E",
        "2. 题干二（　）",
        "A. 甲 B. 乙",
        "答案：K",
        "3. 题干三（　）",
        "A. 甲 B. 乙",
        "答案：A",
        "难度：很难",
        "五、简答题",
        "4. 简述安全生产方针。",
        "答案：略",
    ]
    result = parse_lines(enumerate(lines, start=1))
    messages = {q.position: [p.message for p in q.problems] for q in result.questions}
    assert messages["question 1 (line 1)"] == [
        "the answer %(answer)s names an option that does not exist"
    ]
    assert messages["question 2 (line 4)"] == [
        "the answer “%(answer)s” cannot be read as the answer of a %(kind)s"
    ]
    assert messages["question 3 (line 7)"] == ["unknown difficulty “%(value)s” (use 易, 中 or 难)"]
    unsupported = result.questions[3]
    assert unsupported.problems[0].render() == "unsupported question type: 简答题"


def test_tables_and_soft_line_breaks_in_word():
    document = docx.Document()
    document.add_paragraph("一、单选题")
    document.add_paragraph("1．题干（　）").add_run().add_break()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "A．甲"
    table.cell(0, 1).text = "B．乙"
    document.add_paragraph("答案：B")
    buffer = io.BytesIO()
    document.save(buffer)
    result = read("x.docx", buffer.getvalue())
    assert result.ok
    assert result.questions[0].data.options == ("甲", "乙")


def test_unreadable_files_are_problems_of_the_file():
    assert read_docx(b"not a zip").problems[0].message == "the Word file cannot be read: %(error)s"
    assert (
        read_text("只有标题".encode()).problems[0].message == "no questions were found in the file"
    )
    assert read("x.pdf", b"%PDF").problems[0].params == {"name": "x.pdf"}


def test_a_numbered_list_inside_a_stem_stays_in_the_stem():
    from question_bank.formats.clerk import read_text

    text = "一、单选题\n3．下列情形属于违法行为的有（　）。\n1.未培训上岗；\n2.未组织演练。\nA．只有1\nB．只有2\nC．1和2\nD．都不是\n答案：C\n"
    result = read_text(text.encode())
    assert result.ok, [(q.position, [str(p) for p in q.problems]) for q in result.questions]
    assert len(result.questions) == 1 and "未组织演练" in result.questions[0].data.stem


def test_a_word_zip_bomb_is_refused_without_unpacking():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * (300 * 1024 * 1024))
    result = read("bomb.docx", out.getvalue())
    assert result.problems and "unpack" in result.problems[0].message
