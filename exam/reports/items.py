"""Item analysis: how each question of an exam (or one question over all its uses) performed.

Figures come from the database in a fixed number of statements whatever the number of
attempts: the edges of the upper and lower 27 % groups (a window over the attempts' totals);
the sums per question for facility, discrimination and the point-biserial (each attempt's
graded ``result["items"]``, read with ``json_to_recordset`` and aggregated in SQL); the choices
(answers joined with the attempt's paper, grouped by the option order the candidate saw and
the answer: a few hundred groups a question, mapped back to the options as written here); and
the questions. Only submitted attempts whose score was not cancelled count. On PostgreSQL the
statements are tuned for the transaction (``tune_for_reports``): no JIT, in-memory grouping,
parallel workers.

Organisers see the exams they manage (``manage_exams.can_manage``); within such an exam every
candidate's answers count, since the figures describe questions, not people.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime

from flask import abort
from sqlalchemy import Float, Text, and_, case, cast, func, literal, or_, select, true
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from exam.auth.models import User
from exam.exams.manage import can_manage
from exam.exams.models import Attempt, AttemptAnswer, Exam
from exam.extensions import db
from exam.questions.models import Question, QuestionVersion
from exam.reports.jsonsql import json_text, records, tune_for_reports
from question_bank import itemstats
from question_bank.model import LETTERS
from question_bank.text import plain


@dataclass(frozen=True)
class OptionCount:
    """How often an option (as the question is written, not as a shuffled paper showed it)
    was chosen; for true/false the two answers are the options."""

    label: str
    text: str
    count: int
    is_key: bool

    def share(self, answered: int) -> float | None:
        return self.count / answered if answered else None


@dataclass(frozen=True)
class ItemStats:
    """One question's figures over a set of attempts."""

    question_id: int
    kind: str
    stem: str
    #: Attempts whose paper had the question, and how many of them answered it.
    candidates: int
    answered: int
    facility: float | None
    discrimination: float | None
    point_biserial: float | None
    upper: int
    lower: int
    options: tuple[OptionCount, ...] = ()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemUse:
    """One exam the question was sat in, with its figures there."""

    exam_id: int
    title: str
    opens_at: datetime
    stats: ItemStats


@dataclass(frozen=True)
class QuestionReport:
    """A question over all the exams (that the user manages) it was sat in."""

    question_id: int
    overall: ItemStats
    uses: tuple[ItemUse, ...] = field(default_factory=tuple)


@dataclass
class _Raw:
    """Sums of one question (in one exam) as the score statement returns them."""

    n: int = 0
    upper_n: int = 0
    upper_sum: float = 0.0
    lower_n: int = 0
    lower_sum: float = 0.0
    moments: itemstats.Sums = field(default_factory=itemstats.Sums)

    def __iadd__(self, other: _Raw) -> _Raw:
        self.n += other.n
        self.upper_n += other.upper_n
        self.upper_sum += other.upper_sum
        self.lower_n += other.lower_n
        self.lower_sum += other.lower_sum
        self.moments = self.moments + other.moments
        return self


#: Bands of the ranking: the upper and lower 27 % (the rest is 0).
UPPER, LOWER = 1, -1


def counted() -> ColumnElement:
    """Attempts that count in item analysis: submitted, graded, score not cancelled."""
    return and_(Attempt.submitted_at.is_not(None), Attempt.cancelled_at.is_(None),
                Attempt.result.is_not(None))


# --- SQL ---------------------------------------------------------------------------------


def _edges(exam_ids: list[int]) -> dict[int, tuple[tuple[float, int], tuple[float, int]]]:
    """Exam id -> the (score, id) of the last attempt of the upper group and of the first of
    the lower group, attempts ranked by score (high first) then id; in one statement."""
    ranked = (select(Attempt.exam_id, Attempt.score, Attempt.id,
                     func.row_number().over(partition_by=Attempt.exam_id,
                                            order_by=(Attempt.score.desc(), Attempt.id)).label("r"),
                     func.count().over(partition_by=Attempt.exam_id).label("n"))
              .where(counted(), Attempt.exam_id.in_(exam_ids)).subquery("ranked"))
    k = (itemstats.GROUP_SHARE_PERCENT * ranked.c.n + 50) // 100  # itemstats.group_size
    rows = db.session.execute(select(ranked.c.exam_id, ranked.c.r, ranked.c.n, ranked.c.score, ranked.c.id)
                              .where(k > 0, or_(ranked.c.r == k, ranked.c.r == ranked.c.n - k + 1))).all()
    edges: dict[int, list] = {}
    for exam_id, r, n, score, attempt_id in rows:
        found = edges.setdefault(exam_id, [None, None])
        if r == itemstats.group_size(n):
            found[0] = (score, attempt_id)
        if r == n - itemstats.group_size(n) + 1:
            found[1] = (score, attempt_id)
    return {exam_id: (upper, lower) for exam_id, (upper, lower) in edges.items()}


def _band(edges) -> ColumnElement:
    """UPPER, LOWER or 0 for an attempt, from the group edges (plain comparisons, no window:
    PostgreSQL can then read the attempts in parallel)."""
    whens = []
    for exam_id, ((upper_score, upper_id), (lower_score, lower_id)) in edges.items():
        this_exam = Attempt.exam_id == exam_id
        whens.append((and_(this_exam, or_(Attempt.score > upper_score,
                                          and_(Attempt.score == upper_score, Attempt.id <= upper_id))), UPPER))
        whens.append((and_(this_exam, or_(Attempt.score < lower_score,
                                          and_(Attempt.score == lower_score, Attempt.id >= lower_id))), LOWER))
    return case(*whens, else_=0) if whens else literal(0)


def _score_sums(exam_ids: list[int], question_id: int | None = None) -> dict[tuple[int, int], _Raw]:
    """(exam id, question id) -> the sums of its item scores, in two statements."""
    band = _band(_edges(exam_ids))
    source, item = records(Attempt.result, "items", {"question_id": "int", "score": "float", "points": "float"})
    x = item["score"] / func.nullif(item["points"], 0.0, type_=Float)  # the share of the points earned
    y = cast(Attempt.score, Float) - item["score"]  # the score on the rest of the paper
    upper, lower = band == UPPER, band == LOWER
    # One grouping key of the exam and the question (not the attempt): PostgreSQL then expects
    # few groups and hashes them in memory.
    key = cast(Attempt.exam_id, Text) + "|" + cast(item["question_id"], Text)
    statement = (select(key, func.count(), func.sum(x), func.sum(y), func.sum(x * x), func.sum(y * y),
                        func.sum(x * y), func.count(case((upper, 1))), func.sum(case((upper, x))),
                        func.count(case((lower, 1))), func.sum(case((lower, x))))
                 .select_from(Attempt).join(source, true())
                 .where(counted(), Attempt.exam_id.in_(exam_ids)).group_by(key))
    if question_id is not None:
        statement = statement.where(item["question_id"] == question_id)
    found: dict[tuple[int, int], _Raw] = {}
    for group_key, n, sx, sy, sxx, syy, sxy, un, us, ln, ls in db.session.execute(statement):
        exam_id, question = (int(part) for part in group_key.split("|"))
        found[exam_id, question] = _Raw(n, un, float(us or 0), ln, float(ls or 0), itemstats.Sums(
            n, float(sx or 0), float(sy or 0), float(sxx or 0), float(syy or 0), float(sxy or 0)))
    return found


def _choice_groups(exam_ids: list[int], question_id: int | None = None) -> list[tuple[str, int]]:
    """Answers grouped by question, kind, the option order the candidate saw and the answer
    (JSON texts), in one statement: "question|kind|order|answer" and how many gave it. At most
    a few hundred groups a question; the text of a fill-in answer is not kept."""
    # The option order is read as JSON text: it is only compared here, and mapped in Python.
    source, element = records(Attempt.paper, None, {"question_id": "int", "kind": "text", "option_order": "text"})
    shown = (select(Attempt.id.label("attempt_id"), element["question_id"].label("question_id"),
                    element["kind"].label("kind"), element["option_order"].label("option_order"))
             .select_from(Attempt).join(source, true())
             .where(counted(), Attempt.exam_id.in_(exam_ids)).subquery("shown"))
    response = json_text(AttemptAnswer.response)
    answer = case((shown.c.kind == "fill", literal("")), else_=response)
    # One grouping key, not four: PostgreSQL then expects few groups and hashes them in
    # memory instead of sorting every answer.
    key = (cast(shown.c.question_id, Text) + "|" + shown.c.kind + "|" + shown.c.option_order + "|" + answer)
    statement = (select(key, func.count())
                 .select_from(shown)
                 .join(AttemptAnswer, and_(AttemptAnswer.attempt_id == shown.c.attempt_id,
                                           AttemptAnswer.question_id == shown.c.question_id))
                 .where(response != "null")
                 .group_by(key))
    if question_id is not None:
        statement = statement.where(AttemptAnswer.question_id == question_id)
    return [(k, int(n)) for k, n in db.session.execute(statement)]


def _versions(question_ids) -> dict[int, QuestionVersion]:
    """Each question's current version, in one statement."""
    return {v.question_id: v for v in db.session.scalars(
        select(QuestionVersion).join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.id.in_(list(question_ids))))}


# --- from sums to figures ------------------------------------------------------------------


def _chosen(groups: list[tuple[str, int]]) -> dict[int, tuple[int, dict]]:
    """Question id -> (answers given, {option index as written, or True/False: times chosen})."""
    result: dict[int, tuple[int, dict]] = {}
    for key, count in groups:
        question, kind, order_text, answer_text = key.split("|", 3)
        answered, counts = result.get(int(question), (0, {}))
        answered += count
        answer = json.loads(answer_text) if answer_text else None
        if kind in ("single", "multiple") and isinstance(answer, str):
            order = json.loads(order_text) if order_text else []
            for letter in set(answer.upper()):
                shown = LETTERS.find(letter)
                if shown >= 0:
                    # The paper showed the options shuffled: letter B may be option D as written.
                    option = order[shown] if shown < len(order) else shown
                    counts[option] = counts.get(option, 0) + count
        elif kind == "truefalse" and isinstance(answer, bool):
            counts[answer] = counts.get(answer, 0) + count
        result[int(question)] = (answered, counts)
    return result


def _options(version: QuestionVersion | None, counts: dict) -> tuple[OptionCount, ...]:
    if version is None:
        return ()
    if version.kind in ("single", "multiple"):
        key = str(version.answer or "")
        return tuple(OptionCount(LETTERS[i], plain(text), counts.get(i, 0), LETTERS[i] in key)
                     for i, text in enumerate(version.options or ()))
    if version.kind == "truefalse":
        return (OptionCount("对", "", counts.get(True, 0), version.answer is True),
                OptionCount("错", "", counts.get(False, 0), version.answer is False))
    return ()


def _stats(question_id: int, raw: _Raw, version: QuestionVersion | None, chosen: tuple[int, dict]) -> ItemStats:
    answered, counts = chosen
    facility = raw.moments.x / raw.n if raw.n else None
    discrimination = itemstats.discrimination_from_sums(raw.upper_sum, raw.upper_n, raw.lower_sum, raw.lower_n)
    r_pb = itemstats.correlation(raw.moments)
    stem = plain(version.stem) if version is not None else ""
    return ItemStats(question_id, version.kind if version is not None else "", stem, raw.n, answered,
                     facility, discrimination, r_pb, raw.upper_n, raw.lower_n,
                     _options(version, counts), itemstats.flags(facility, discrimination, r_pb, raw.n))


# --- the reports -----------------------------------------------------------------------------


def exam_or_404(user: User, exam_id: int) -> Exam:
    """An exam the user may analyse (an admin: any; an organiser: one they manage)."""
    exam = db.session.get(Exam, exam_id)
    if exam is None or not can_manage(user, exam):
        abort(404)
    return exam


def exam_items(user: User, exam_id: int) -> list[ItemStats]:
    """Every question sat in the exam, in question-id order, with its figures."""
    exam_or_404(user, exam_id)
    tune_for_reports()
    sums = _score_sums([exam_id])
    chosen = _chosen(_choice_groups([exam_id]))
    versions = _versions({q for _e, q in sums})
    return [_stats(q, raw, versions.get(q), chosen.get(q, (0, {})))
            for (_e, q), raw in sorted(sums.items())]


def counted_attempts(exam_id: int) -> int:
    """How many of the exam's attempts count (submitted, graded, not cancelled)."""
    return db.session.scalar(select(func.count(Attempt.id)).where(counted(), Attempt.exam_id == exam_id))


def question_items(user: User, question_id: int) -> QuestionReport:
    """One question over every exam (that the user manages) it was answered in: the figures
    per exam and over all of them (upper and lower groups are formed within each exam, whose
    totals are comparable; the overall point-biserial is the mean of the exams' weighted by
    candidates)."""
    exams = {e.id: e for e in db.session.scalars(select(Exam).where(Exam.id.in_(
        select(Attempt.exam_id).join(AttemptAnswer, AttemptAnswer.attempt_id == Attempt.id)
        .where(AttemptAnswer.question_id == question_id).distinct())).options(selectinload(Exam.makeup_of)))
        if can_manage(user, e)}
    tune_for_reports()
    sums = _score_sums(list(exams), question_id) if exams else {}
    chosen = _chosen(_choice_groups(list(exams), question_id)) if exams else {}
    version = _versions([question_id]).get(question_id)
    uses, total = [], _Raw()
    weighted, weight = 0.0, 0
    for (exam_id, _q), raw in sorted(sums.items(), key=lambda kv: exams[kv[0][0]].opens_at):
        stats = _stats(question_id, raw, version, (0, {}))
        uses.append(ItemUse(exam_id, exams[exam_id].title, exams[exam_id].opens_at, stats))
        total += raw
        if stats.point_biserial is not None:
            weighted, weight = weighted + stats.point_biserial * raw.n, weight + raw.n
    overall = _stats(question_id, total, version, chosen.get(question_id, (0, {})))
    r_pb = weighted / weight if weight else None
    overall = replace(overall, point_biserial=r_pb,
                      flags=itemstats.flags(overall.facility, overall.discrimination, r_pb, total.n))
    return QuestionReport(question_id, overall, tuple(uses))


def exams_analysable(user: User) -> list[tuple[Exam, int]]:
    """Exams with counted attempts that the user manages, newest first, with the number counted."""
    rows = db.session.execute(select(Exam, func.count(Attempt.id)).join(Attempt, Attempt.exam_id == Exam.id)
                              .where(counted()).group_by(Exam.id).order_by(Exam.opens_at.desc())
                              .options(selectinload(Exam.makeup_of))).all()
    return [(exam, n) for exam, n in rows if can_manage(user, exam)]
