"""Item analysis: how each question of an exam (or one question over all its uses) performed.

Figures come from the database in a fixed number of statements whatever the number of
attempts: the edges of the upper and lower 27 % groups (a window over the attempts' totals);
one pass over the exam's graded questions (``attempt_item``, which grading keeps in step with
``result["items"]``: score, points and the answer as the question is written) grouped by exam,
question and answer, which gives both the sums for facility, discrimination and the
point-biserial and the choices; and the questions. Only submitted attempts whose score was not
cancelled count. On PostgreSQL the statements are tuned for the transaction
(``tune_for_reports``, and index probes priced as cached reads): no JIT, in-memory grouping,
parallel workers, an exam's rows read through the key of ``attempt_item``.

Organisers see the exams they manage (``manage_exams.can_manage``); within such an exam every
candidate's answers count, since the figures describe questions, not people.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from flask import abort
from sqlalchemy import Float, and_, case, cast, func, literal, or_, select, text
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from exam.auth.models import User
from exam.core.extensions import db
from exam.exams.access import can_manage
from exam.exams.models import Attempt, AttemptItem, Exam
from exam.questions.models import Question, QuestionVersion
from exam.reports.sql.jsonsql import postgres, tune_for_reports
from question_bank import itemstats, kinds
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
    return and_(Attempt.counts, Attempt.result.is_not(None))


# --- SQL ---------------------------------------------------------------------------------


def _edges(exam_ids: list[int]) -> dict[int, tuple[tuple[float, int], tuple[float, int]]]:
    """Exam id -> the (score, id) of the last attempt of the upper group and of the first of
    the lower group, attempts ranked by score (high first) then id; in one statement."""
    ranked = (
        select(
            Attempt.exam_id,
            Attempt.score,
            Attempt.id,
            func.row_number()
            .over(partition_by=Attempt.exam_id, order_by=(Attempt.score.desc(), Attempt.id))
            .label("r"),
            func.count().over(partition_by=Attempt.exam_id).label("n"),
        )
        .where(counted(), Attempt.exam_id.in_(exam_ids))
        .subquery("ranked")
    )
    k = (itemstats.GROUP_SHARE_PERCENT * ranked.c.n + 50) // 100  # itemstats.group_size
    rows = db.session.execute(
        select(ranked.c.exam_id, ranked.c.r, ranked.c.n, ranked.c.score, ranked.c.id).where(
            k > 0, or_(ranked.c.r == k, ranked.c.r == ranked.c.n - k + 1)
        )
    ).all()
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
        whens.append(
            (
                and_(
                    this_exam,
                    or_(
                        Attempt.score > upper_score,
                        and_(Attempt.score == upper_score, Attempt.id <= upper_id),
                    ),
                ),
                UPPER,
            )
        )
        whens.append(
            (
                and_(
                    this_exam,
                    or_(
                        Attempt.score < lower_score,
                        and_(Attempt.score == lower_score, Attempt.id >= lower_id),
                    ),
                ),
                LOWER,
            )
        )
    return case(*whens, else_=0) if whens else literal(0)


def _tune() -> None:
    """``tune_for_reports``, and on PostgreSQL index probes priced as the cached reads they
    are (``random_page_cost`` 1.1 for the transaction, not the default 4 of a spinning disk):
    an exam's rows are then read through the key of ``attempt_item``, 40 rows an attempt
    (0.9 s on the benchmark's biggest exam), not by reading all 20 million (5 s)."""
    tune_for_reports()
    if postgres():
        db.session.execute(text("SELECT set_config('random_page_cost', '1.1', true)"))


def _item_rows(exam_ids: list[int], question_id: int | None):
    """The graded questions (``attempt_item``) of the exams' counted attempts: a join to
    select from, and its conditions."""
    joined = AttemptItem.__table__.join(Attempt.__table__, Attempt.id == AttemptItem.attempt_id)
    # Rows exist only for graded attempts (grade() writes them): no need to look at the result.
    conditions = [Attempt.counts, Attempt.exam_id.in_(exam_ids)]
    if question_id is not None:
        conditions.append(AttemptItem.question_id == question_id)
    return joined, conditions


def _sums(
    exam_ids: list[int], question_id: int | None = None
) -> tuple[dict[tuple[int, int], _Raw], list[tuple[int, str, int]]]:
    """(exam id, question id) -> the sums of its item scores, and the choices: (question id,
    answer as the question is written, how many gave it), unanswered left out. In two
    statements (the group edges, then one pass over the rows grouped by exam, question and
    answer: a few groups a question, added up here)."""
    band = _band(_edges(exam_ids))
    x = AttemptItem.score / func.nullif(
        AttemptItem.points, 0.0, type_=Float
    )  # the share of the points earned
    y = cast(Attempt.score, Float) - AttemptItem.score  # the score on the rest of the paper
    upper, lower = band == UPPER, band == LOWER
    joined, conditions = _item_rows(exam_ids, question_id)
    statement = (
        select(
            Attempt.exam_id,
            AttemptItem.question_id,
            AttemptItem.answer,
            func.count(),
            func.sum(x),
            func.sum(y),
            func.sum(x * x),
            func.sum(y * y),
            func.sum(x * y),
            func.count(case((upper, 1))),
            func.sum(case((upper, x))),
            func.count(case((lower, 1))),
            func.sum(case((lower, x))),
        )
        .select_from(joined)
        .where(*conditions)
        .group_by(Attempt.exam_id, AttemptItem.question_id, AttemptItem.answer)
    )
    found: dict[tuple[int, int], _Raw] = {}
    choices: list[tuple[int, str, int]] = []
    for exam_id, question, answer, n, sx, sy, sxx, syy, sxy, un, us, ln, ls in db.session.execute(
        statement
    ):
        raw = found.setdefault((exam_id, question), _Raw())
        raw += _Raw(
            n,
            un,
            float(us or 0),
            ln,
            float(ls or 0),
            itemstats.Sums(
                n, float(sx or 0), float(sy or 0), float(sxx or 0), float(syy or 0), float(sxy or 0)
            ),
        )
        if answer is not None:
            choices.append((question, answer, n))
    return found, choices


def _versions(question_ids) -> dict[int, QuestionVersion]:
    """Each question's current version, in one statement."""
    return {
        v.question_id: v
        for v in db.session.scalars(
            select(QuestionVersion)
            .join(Question, Question.current_version_id == QuestionVersion.id)
            .where(Question.id.in_(list(question_ids)))
        )
    }


# --- from sums to figures ------------------------------------------------------------------


def _chosen(
    groups: list[tuple[int, str, int]], versions: dict[int, QuestionVersion]
) -> dict[int, tuple[int, dict]]:
    """Question id -> (answers given, {the kind's choice (an option index as written, or
    True/False): times chosen})."""
    result: dict[int, tuple[int, dict]] = {}
    for question, answer, count in groups:
        answered, counts = result.get(question, (0, {}))
        version = versions.get(question)
        for option in kinds.get(version.kind).chosen(answer) if version is not None else ():
            counts[option] = counts.get(option, 0) + count
        result[question] = (answered + count, counts)
    return result


def _options(version: QuestionVersion | None, counts: dict) -> tuple[OptionCount, ...]:
    if version is None:
        return ()
    return tuple(
        OptionCount(c.label, plain(c.text), counts.get(c.value, 0), c.is_key)
        for c in kinds.get(version.kind).choices(version.content())
    )


def _stats(
    question_id: int, raw: _Raw, version: QuestionVersion | None, chosen: tuple[int, dict]
) -> ItemStats:
    answered, counts = chosen
    facility = raw.moments.x / raw.n if raw.n else None
    discrimination = itemstats.discrimination_from_sums(
        raw.upper_sum, raw.upper_n, raw.lower_sum, raw.lower_n
    )
    r_pb = itemstats.correlation(raw.moments)
    stem = plain(version.stem) if version is not None else ""
    return ItemStats(
        question_id,
        version.kind if version is not None else "",
        stem,
        raw.n,
        answered,
        facility,
        discrimination,
        r_pb,
        raw.upper_n,
        raw.lower_n,
        _options(version, counts),
        itemstats.flags(facility, discrimination, r_pb, raw.n),
    )


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
    _tune()
    sums, choices = _sums([exam_id])
    versions = _versions({q for _e, q in sums})
    chosen = _chosen(choices, versions)
    return [
        _stats(q, raw, versions.get(q), chosen.get(q, (0, {})))
        for (_e, q), raw in sorted(sums.items())
    ]


def counted_attempts(exam_id: int) -> int:
    """How many of the exam's attempts count (submitted, graded, not cancelled)."""
    return db.session.scalar(
        select(func.count(Attempt.id)).where(counted(), Attempt.exam_id == exam_id)
    )


def question_items(user: User, question_id: int) -> QuestionReport:
    """One question over every exam (that the user manages) it was answered in: the figures
    per exam and over all of them (upper and lower groups are formed within each exam, whose
    totals are comparable; the overall point-biserial is the mean of the exams' weighted by
    candidates)."""
    _tune()
    exams = {
        e.id: e
        for e in db.session.scalars(
            select(Exam)
            .where(
                Exam.id.in_(
                    select(Attempt.exam_id)
                    .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
                    .where(AttemptItem.question_id == question_id)
                    .distinct()
                )
            )
            .options(selectinload(Exam.makeup_of))
        )
        if can_manage(user, e)
    }
    sums, choices = _sums(list(exams), question_id) if exams else ({}, [])
    versions = _versions([question_id])
    chosen = _chosen(choices, versions)
    version = versions.get(question_id)
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
    overall = replace(
        overall,
        point_biserial=r_pb,
        flags=itemstats.flags(overall.facility, overall.discrimination, r_pb, total.n),
    )
    return QuestionReport(question_id, overall, tuple(uses))


def exams_analysable(user: User) -> list[tuple[Exam, int]]:
    """Exams with counted attempts that the user manages, newest first, with the number counted."""
    rows = db.session.execute(
        select(Exam, func.count(Attempt.id))
        .join(Attempt, Attempt.exam_id == Exam.id)
        .where(counted())
        .group_by(Exam.id)
        .order_by(Exam.opens_at.desc())
        .options(selectinload(Exam.makeup_of))
    ).all()
    return [(exam, n) for exam, n in rows if can_manage(user, exam)]
