"""The graded questions of each attempt as rows (``attempt_item``), kept in step with the result.

``result["items"]`` holds each question's score inside the attempt's JSON; item analysis needs
them across thousands of attempts, with what each candidate answered as the question is
written (a shuffled paper's letters mapped back through its option order). ``grade()`` writes
them here as well (``write``); migration 0012 and the benchmark's generator fill them for
attempts graded before (``backfill``): set-based SQL on PostgreSQL, the same Python as grading
on SQLite.

Answers are kept in a form to group by (``answer_text``, the question kind's ``tally``): for
the built-in kinds the letters as written, sorted ("B", "ACD"), "true" / "false", "" for a
fill-in answer (its text is not kept) or an answer of no usable shape, None when the question
was not answered.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    Column,
    Double,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    insert,
    text,
)
from sqlalchemy.engine import Connection

from question_bank import kinds
from question_bank.model import LETTERS

#: The table as this module writes it (not the ORM model: the migration uses it too, and its
#: code must not change with later models).
TABLE = Table(
    "attempt_item",
    MetaData(),
    Column("attempt_id", Integer, primary_key=True),
    Column("question_id", Integer, primary_key=True),
    Column("score", Double),
    Column("points", Double),
    Column("answer", String(20)),
)


def answer_text(kind: str, response: object, option_order) -> str | None:
    """What the candidate answered, as the question is written, in the form kept in the table."""
    if response is None:
        return None
    behaviour = kinds.KINDS.get(kind)
    if behaviour is None:
        return ""
    return behaviour.tally(behaviour.to_original(response, tuple(option_order or ())))


def chosen_options(answer: str) -> list[int | bool]:
    """The options an ``answer_text`` of the built-in kinds chose: option indexes as written,
    or True / False (item analysis asks the question's kind, ``Kind.chosen``)."""
    if answer == "true":
        return [True]
    if answer == "false":
        return [False]
    return [LETTERS.index(letter) for letter in answer if letter in LETTERS]


def rows_for(
    attempt_id: int,
    paper: list[dict],
    items: Iterable[dict],
    responses: dict[int, object],
    kinds: dict[int, str] | None = None,
) -> list[dict]:
    """The rows of one graded attempt: one per item of its result, with the answer mapped
    back through the option order its paper showed. ``kinds`` (question id -> kind) defaults
    to the kinds the paper records."""
    shown = {i["question_id"]: i for i in paper}
    rows = []
    for item in items:
        question_id = item["question_id"]
        on_paper = shown.get(question_id, {})
        kind = (kinds or {}).get(question_id) or on_paper.get("kind", "")
        rows.append(
            {
                "attempt_id": attempt_id,
                "question_id": question_id,
                "score": item["score"],
                "points": item["points"],
                "answer": answer_text(
                    kind, responses.get(question_id), on_paper.get("option_order")
                ),
            }
        )
    return rows


#: PostgreSQL: the rows as five arrays, one statement of fixed text (compiling a multi-row
#: VALUES of 40 rows took 7 ms, more than running it).
_INSERT_ARRAYS = text(
    "INSERT INTO attempt_item (attempt_id, question_id, score, points, answer) "
    "SELECT * FROM unnest(CAST(:attempt_id AS integer[]), CAST(:question_id AS integer[]), "
    "CAST(:score AS double precision[]), CAST(:points AS double precision[]), CAST(:answer AS varchar[]))"
)


def write(connection: Connection, attempt_id: int, rows: list[dict]) -> None:
    """Replace the attempt's rows: one DELETE and (if there are rows) one multi-row INSERT."""
    connection.execute(delete(TABLE).where(TABLE.c.attempt_id == attempt_id))
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(
            _INSERT_ARRAYS,
            {
                name: [row[name] for row in rows]
                for name in ("attempt_id", "question_id", "score", "points", "answer")
            },
        )
    else:
        connection.execute(insert(TABLE).values(rows))


# --- filling the table for attempts graded before it existed ----------------------------------

#: PostgreSQL: every item of every graded attempt in one INSERT … SELECT. A result's items are
#: in its paper's order (``grade_paper`` walks the paper), so the two arrays are read side by
#: side (``ROWS FROM``; the column lists name the JSON keys, the alias renames them); an item
#: whose paper entry is elsewhere is looked up (never, as written by the app). The option order's JSON text ("[2, 0, 3, 1]") becomes the letters the shown
#: positions stand for ("CADB") with ``translate``, and the answer's letters are mapped with
#: that, once per row (``OFFSET 0`` keeps the subquery from being inlined into every use); a
#: choice of several letters is then put in order (and any other character dropped).
_SORTED = (
    "concat("
    + ", ".join(f"CASE WHEN strpos(o.mapped, '{c}') > 0 THEN '{c}' END" for c in LETTERS)
    + ")"
)


def _sql_list(tally_form: str) -> str:
    """The codes of the kinds whose answers are kept in this form, as an SQL list (the kinds
    registered when this module is loaded: the attempts to fill were graded with them)."""
    return ", ".join(f"'{code}'" for code in kinds.codes(tally_form)) or "NULL"


POSTGRES_BACKFILL = f"""
INSERT INTO attempt_item (attempt_id, question_id, score, points, answer)
SELECT x.attempt_id, x.question_id, x.score, x.points,
       CASE WHEN x.kind IN ({_sql_list("letters")}) AND (length(o.mapped) > 1 OR strpos('{LETTERS}', o.mapped) = 0)
            THEN {_SORTED}
            ELSE o.mapped END
FROM (
    SELECT a.id AS attempt_id, i.question_id, i.score, i.points,
           coalesce(f.kind, i.kind) AS kind, coalesce(f.option_order, i.option_order) AS option_order
    FROM attempt a
    CROSS JOIN LATERAL ROWS FROM (
        json_to_recordset(a.result -> 'items') AS (question_id integer, score double precision,
                                                   points double precision),
        json_to_recordset(a.paper) AS (question_id integer, kind text, option_order text)
    ) AS i (question_id, score, points, paper_question_id, kind, option_order)
    LEFT JOIN LATERAL (
        SELECT p.kind, p.option_order FROM json_to_recordset(a.paper)
            AS p (question_id integer, kind text, option_order text)
        WHERE i.paper_question_id IS DISTINCT FROM i.question_id AND p.question_id = i.question_id
        LIMIT 1
    ) AS f ON true
    WHERE a.submitted_at IS NOT NULL AND a.result IS NOT NULL AND i.question_id IS NOT NULL /* where */
) AS x
LEFT JOIN attempt_answer r ON r.attempt_id = x.attempt_id AND r.question_id = x.question_id
CROSS JOIN LATERAL (SELECT CASE
    WHEN r.response IS NULL OR json_typeof(r.response) = 'null' THEN NULL
    WHEN x.kind IN ({_sql_list("letters")}) AND json_typeof(r.response) = 'string' THEN
        CASE WHEN translate(coalesce(x.option_order, ''), '0123456789[], ', 'ABCDEFGHIJ') = ''
             THEN upper(r.response #>> '{{}}')
             ELSE translate(upper(r.response #>> '{{}}'), '{LETTERS}',
                            translate(x.option_order, '0123456789[], ', 'ABCDEFGHIJ')) END
    WHEN x.kind IN ({_sql_list("truth")}) AND json_typeof(r.response) = 'boolean' THEN r.response #>> '{{}}'
    ELSE '' END AS mapped OFFSET 0) AS o
"""  # noqa: S608 - built from constants only
# Note on the option order: its JSON text holds digits, brackets, commas and spaces only;
# ``translate`` maps the digits to letters and drops the rest (characters of the second
# argument beyond the third's length are removed). Option indexes are below 8 (LETTERS).


def backfill(
    connection: Connection, attempt_ids: list[int] | None = None, *, batch: int = 500
) -> int:
    """Write the rows of every submitted, graded attempt (or of those of ``attempt_ids``); the
    table must hold none of theirs yet (a new table, or their rows deleted first). Returns the
    number of rows written."""
    if connection.dialect.name == "postgresql":
        where, params = "", {}
        if attempt_ids is not None:
            where, params = "AND a.id = ANY(:ids)", {"ids": list(attempt_ids)}
        return connection.execute(
            text(POSTGRES_BACKFILL.replace("/* where */", where)), params
        ).rowcount
    return _backfill_python(connection, attempt_ids, batch)


def _backfill_python(connection: Connection, attempt_ids: list[int] | None, batch: int) -> int:
    """Any other database: the attempts in batches, through the same Python as grading."""
    import json

    def loaded(value):
        return json.loads(value) if isinstance(value, str) else value

    query = (
        "SELECT id FROM attempt WHERE submitted_at IS NOT NULL AND result IS NOT NULL ORDER BY id"
    )
    ids = [i for (i,) in connection.execute(text(query))]
    if attempt_ids is not None:
        wanted = set(attempt_ids)
        ids = [i for i in ids if i in wanted]
    answers = text(
        "SELECT attempt_id, question_id, response FROM attempt_answer WHERE attempt_id IN :ids"
    )
    attempts = text("SELECT id, paper, result FROM attempt WHERE id IN :ids")
    answers = answers.bindparams(bindparam("ids", expanding=True))
    attempts = attempts.bindparams(bindparam("ids", expanding=True))
    written = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        responses: dict[int, dict[int, object]] = {}
        for attempt_id, question_id, response in connection.execute(answers, {"ids": chunk}):
            responses.setdefault(attempt_id, {})[question_id] = loaded(response)
        rows = []
        for attempt_id, paper, result in connection.execute(attempts, {"ids": chunk}):
            paper, result = loaded(paper) or [], loaded(result) or {}
            rows += rows_for(
                attempt_id, paper, result.get("items", ()), responses.get(attempt_id, {})
            )
        if rows:
            connection.execute(insert(TABLE), rows)
        written += len(rows)
    return written
