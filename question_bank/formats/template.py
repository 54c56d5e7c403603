"""The bureau's own spreadsheet template: one row per question, Chinese headers.

Answers as clerks write them: ``A``, ``ABD``, ``对``/``错``, fill-in answers as
``安全第一|安全 第一; 预防为主`` (blanks split by ';', accepted variants by '|').
"""

from __future__ import annotations

from dataclasses import dataclass

from question_bank import kinds
from question_bank.model import (
    LETTERS,
    Difficulty,
    ParsedQuestion,
    ParseResult,
    QuestionData,
    Usage,
)
from question_bank.problems import N_, Problem
from question_bank.spreadsheets import Sheet, Table, read_spreadsheet, write_csv, write_xlsx
from question_bank.text import sanitise

LIST_SEPARATORS = ("、", ",", "，", ";", "；", "|")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...]
    required: bool = False
    width: int = 14


COLUMNS = (
    Column("kind", "题型", ("kind", "type", "类型"), True, 10),
    Column("stem", "题干", ("stem", "question", "题目", "试题"), True, 60),
    *(
        Column(
            f"option_{letter}",
            f"选项{letter}",
            (f"option{letter.lower()}", letter.lower()),
            False,
            24,
        )
        for letter in LETTERS
    ),
    Column("answer", "答案", ("answer", "正确答案", "参考答案"), True, 10),
    Column("explanation", "解析", ("explanation", "答案解析", "feedback"), False, 40),
    Column("difficulty", "难度", ("difficulty",), False, 8),
    Column("topics", "专题", ("topics", "topic", "知识点", "考点"), False, 20),
    Column("sectors", "行业领域", ("sectors", "sector", "行业"), False, 16),
    Column("legal_source", "法律依据", ("source", "legalsource", "依据"), False, 30),
    Column("roles", "适用岗位", ("roles", "岗位"), False, 16),
    Column("usage", "用途", ("usage",), False, 10),
    Column("external_key", "编号", ("externalkey", "key", "id", "外部编号", "试题编号"), False, 12),
)
DIFFICULTY_WORDS = {
    "易": Difficulty.EASY,
    "简单": Difficulty.EASY,
    "easy": Difficulty.EASY,
    "中": Difficulty.MEDIUM,
    "中等": Difficulty.MEDIUM,
    "medium": Difficulty.MEDIUM,
    "难": Difficulty.HARD,
    "困难": Difficulty.HARD,
    "hard": Difficulty.HARD,
}
USAGE_WORDS = {
    **{v: k for k, v in Usage.CHINESE.items()},
    **{u: u for u in Usage.ALL},
    "练习": Usage.PRACTICE,
    "考试": Usage.EXAM,
    "全部": Usage.BOTH,
}
ROLE_WORDS = {
    "主要负责人": "principal_leader",
    "安全总监": "safety_director",
    "安全生产管理人员": "safety_manager",
    "principal_leader": "principal_leader",
    "safety_director": "safety_director",
    "safety_manager": "safety_manager",
}


def _fold(text: str) -> str:
    return "".join(c for c in text if c not in " *＊_-:：\t").lower()


def _columns(headers: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = _fold(header.split("（")[0].split("(")[0])
        for column in COLUMNS:
            if column.key not in found and key in {_fold(column.header), *column.aliases}:
                found[column.key] = index
    return found


def split_list(text: str) -> tuple[str, ...]:
    parts = [text]
    for separator in LIST_SEPARATORS:
        parts = [p for part in parts for p in part.split(separator)]
    return tuple(p.strip() for p in parts if p.strip())


def _row(number: int, cells: dict[str, str]) -> ParsedQuestion:
    parsed = ParsedQuestion(N_("row %(row)s") % {"row": number})
    problems = parsed.problems
    kind = kinds.by_name(cells.get("kind", ""))
    if kind is None:
        problems.append(
            Problem(N_("unknown question kind “%(kind)s”"), {"kind": cells.get("kind", "")})
        )
        return parsed
    options = tuple(
        sanitise(cells[f"option_{letter}"]) for letter in LETTERS if cells.get(f"option_{letter}")
    )
    try:
        answer = kind.parse_answer(cells.get("answer", ""))
    except ValueError:
        problems.append(
            Problem(
                N_("the answer “%(answer)s” cannot be read for a %(kind)s"),
                {"answer": cells.get("answer", ""), "kind": kind.chinese},
            )
        )
        answer = None
    difficulty = DIFFICULTY_WORDS.get(cells.get("difficulty", "").strip().lower() or "中")
    if difficulty is None:
        problems.append(
            Problem(
                N_("unknown difficulty “%(value)s” (use 易, 中 or 难)"),
                {"value": cells["difficulty"]},
            )
        )
    usage = USAGE_WORDS.get(cells.get("usage", "").strip() or Usage.BOTH)
    if usage is None:
        problems.append(
            Problem(
                N_("unknown usage “%(value)s” (use 练习和考试, 仅练习 or 仅考试)"),
                {"value": cells["usage"]},
            )
        )
    roles = split_list(cells.get("roles", ""))
    unknown_roles = [r for r in roles if r not in ROLE_WORDS]
    if unknown_roles:
        problems.append(Problem(N_("unknown post “%(value)s”"), {"value": unknown_roles[0]}))
    data = QuestionData(
        kind=kind.code,
        stem=sanitise(cells.get("stem", "")),
        options=options,
        answer=answer,
        explanation=sanitise(cells.get("explanation", "")),
        difficulty=difficulty or Difficulty.MEDIUM,
        legal_source=cells.get("legal_source", "").strip(),
        topics=split_list(cells.get("topics", "")),
        sectors=split_list(cells.get("sectors", "")),
        roles=tuple(ROLE_WORDS[r] for r in roles if r in ROLE_WORDS),
        usage=usage or Usage.BOTH,
        external_key=cells.get("external_key", "").strip(),
    )
    if answer is not None:
        problems.extend(kinds.validate(data))
    parsed.data = data
    return parsed


def parse_sheets(sheets: list[Sheet]) -> ParseResult:
    """Read the question rows of the first visible sheet that has the template's headers."""
    result = ParseResult()
    for sheet in sheets:
        if sheet.hidden or not sheet.rows:
            continue
        columns = _columns(sheet.rows[0][1])
        if not {"kind", "stem", "answer"} <= columns.keys():
            continue
        if sheet.merged:
            result.problems.append(
                Problem(
                    N_(
                        "sheet “%(sheet)s” has merged cells (%(ranges)s); unmerge them so that every "
                        "row has its own values"
                    ),
                    {"sheet": sheet.title, "ranges": ", ".join(sheet.merged[:3])},
                )
            )
            return result
        for number, values in sheet.rows[1:]:
            cells = {k: values[i] if i < len(values) else "" for k, i in columns.items()}
            result.questions.append(_row(number, cells))
        if not result.questions:
            result.problems.append(Problem(N_("the sheet has a header row but no questions")))
        return result
    result.problems.append(
        Problem(
            N_(
                "no sheet has the template's header row (题型, 题干, 答案); "
                "download the template and keep its first row"
            )
        )
    )
    return result


def read_template(filename: str, data: bytes) -> ParseResult:
    """Read an .xlsx or .csv file made from the template (SpreadsheetError if unreadable)."""
    return parse_sheets(read_spreadsheet(filename, data, max_rows=50_000))


def template_row(q: QuestionData) -> list:
    """A question as one template row (what ``_row`` reads back); empty cells stay empty."""
    kind = kinds.get(q.kind)
    options = list(q.options) + [None] * (len(LETTERS) - len(q.options))
    roles = {v: k for k, v in ROLE_WORDS.items() if not k.isascii()}
    row = [
        kind.chinese,
        q.stem,
        *options,
        kind.format_answer(q.answer),
        q.explanation,
        Difficulty.CHINESE[q.difficulty],
        "、".join(q.topics),
        "、".join(q.sectors),
        q.legal_source,
        "、".join(roles[r] for r in q.roles),
        Usage.CHINESE[q.usage],
        q.external_key,
    ]
    return [value if value != "" else None for value in row]


def template_table(questions: list[QuestionData]) -> Table:
    return Table(
        "题库",
        [c.header + ("*" if c.required else "") for c in COLUMNS],
        [template_row(q) for q in questions],
        [c.width for c in COLUMNS],
    )


def write_template(questions: list[QuestionData], notes: list[str] | None = None) -> bytes:
    """The template as .xlsx, filled with ``questions`` (empty for a blank template)."""
    tables = [template_table(questions)]
    if notes:
        tables.append(Table("说明", [], [], notes=notes))
    return write_xlsx(tables)


def write_template_csv(questions: list[QuestionData]) -> bytes:
    return write_csv(template_table(questions))
