"""Item analysis: how each question of an exam (or one question over all its uses) performed.

Figures come from the database in a fixed number of statements whatever the number of
attempts: how many attempts had each total score (from which ``itemstats.edges`` places the
edges of the upper and lower 27 % groups, ties at an edge shared by weight, never split by
attempt id); one pass over the exam's graded questions (``attempt_item``, which grading keeps
in step with ``result["items"]``: score, points and the answer as the question is written)
grouped by exam, question and answer, which gives both the sums for facility, discrimination,
the item-rest correlation and the point-biserial, and the choices; and the questions. Only submitted attempts whose score was not
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
from sqlalchemy import Float, and_, case, cast, func, literal, select, text
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
    #: Counted attempts whose paper had the question (papers containing it).
    candidates: int
    #: Of those, the attempts that answered it (a response that is not empty).
    answered: int
    facility: float | None
    discrimination: float | None
    #: The corrected item-total correlation: the item against the rest of the paper.
    item_rest: float | None
    #: The textbook point-biserial: the item against the total score (the item included).
    point_biserial: float | None
    #: The weights of the upper and lower 27 % groups among the attempts that had the question
    #: (attempts tied at a group's edge count with a share).
    upper: float
    lower: float
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
    answered: int = 0
    upper_weight: float = 0.0
    upper_sum: float = 0.0
    lower_weight: float = 0.0
    lower_sum: float = 0.0
    #: Item (share of points) against the rest of the paper, and against the total score.
    rest: itemstats.Sums = field(default_factory=itemstats.Sums)
    total: itemstats.Sums = field(default_factory=itemstats.Sums)

    def __iadd__(self, other: _Raw) -> _Raw:
        self.n += other.n
        self.answered += other.answered
        self.upper_weight += other.upper_weight
        self.upper_sum += other.upper_sum
        self.lower_weight += other.lower_weight
        self.lower_sum += other.lower_sum
        self.rest = self.rest + other.rest
        self.total = self.total + other.total
        return self


def counted() -> ColumnElement:
    """Attempts that count in item analysis: submitted, graded, score not cancelled."""
    return and_(Attempt.counts, Attempt.result.is_not(None))


# --- SQL ---------------------------------------------------------------------------------


def _edges(exam_ids: list[int]) -> dict[int, tuple[itemstats.Edge, itemstats.Edge]]:
    """Exam id -> the edges of its upper and lower groups, from how many counted attempts had
    each total score (one statement; a few hundred distinct totals even in a big exam)."""
    counts: dict[int, dict[float, int]] = {}
    for exam_id, score, n in db.session.execute(
        select(Attempt.exam_id, Attempt.score, func.count())
        .where(counted(), Attempt.exam_id.in_(exam_ids), Attempt.score.is_not(None))
        .group_by(Attempt.exam_id, Attempt.score)
    ):
        counts.setdefault(exam_id, {})[float(score)] = n
    found = {exam_id: itemstats.edges(c) for exam_id, c in counts.items()}
    return {exam_id: e for exam_id, e in found.items() if e is not None}


def _weight(edges, upper: bool) -> ColumnElement:
    """An attempt's weight in the upper (or lower) group, from the group edges: 1 beyond the
    cut, the tie weight at it, 0 elsewhere (plain comparisons, no window: PostgreSQL can then
    read the attempts in parallel)."""
    whens = []
    for exam_id, (upper_edge, lower_edge) in edges.items():
        edge = upper_edge if upper else lower_edge
        beyond = Attempt.score > edge.score if upper else Attempt.score < edge.score
        this_exam = Attempt.exam_id == exam_id
        whens.append((and_(this_exam, beyond), literal(1.0, Float)))
        whens.append(
            (and_(this_exam, Attempt.score == edge.score), literal(edge.tie_weight, Float))
        )
    return case(*whens, else_=literal(0.0, Float)) if whens else literal(0.0, Float)


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
    statements (the score counts that place the group edges, then one pass over the rows
    grouped by exam, question and answer: a few groups a question, added up here)."""
    edges = _edges(exam_ids)
    upper, lower = _weight(edges, upper=True), _weight(edges, upper=False)
    x = AttemptItem.score / func.nullif(
        AttemptItem.points, 0.0, type_=Float
    )  # the share of the points earned
    t = cast(Attempt.score, Float)  # the total score
    y = t - AttemptItem.score  # the score on the rest of the paper
    joined, conditions = _item_rows(exam_ids, question_id)
    statement = (
        select(
            Attempt.exam_id,
            AttemptItem.question_id,
            AttemptItem.answer,
            func.count(),
            func.sum(x),
            func.sum(x * x),
            func.sum(y),
            func.sum(y * y),
            func.sum(x * y),
            func.sum(t),
            func.sum(t * t),
            func.sum(x * t),
            func.sum(upper),
            func.sum(upper * x),
            func.sum(lower),
            func.sum(lower * x),
        )
        .select_from(joined)
        .where(*conditions)
        .group_by(Attempt.exam_id, AttemptItem.question_id, AttemptItem.answer)
    )
    found: dict[tuple[int, int], _Raw] = {}
    choices: list[tuple[int, str, int]] = []
    for row in db.session.execute(statement):
        exam_id, question, answer, n = row[:4]
        sx, sxx, sy, syy, sxy, st, stt, sxt, uw, us, lw, ls = (float(v or 0) for v in row[4:])
        raw = found.setdefault((exam_id, question), _Raw())
        raw += _Raw(
            n,
            n if answer is not None else 0,  # a cleared response is kept as none
            uw,
            us,
            lw,
            ls,
            itemstats.Sums(n, sx, sy, sxx, syy, sxy),
            itemstats.Sums(n, sx, st, sxx, stt, sxt),
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
) -> dict[int, dict]:
    """Question id -> {the kind's choice (an option index as written, or True/False): times
    chosen}."""
    result: dict[int, dict] = {}
    for question, answer, count in groups:
        counts = result.setdefault(question, {})
        version = versions.get(question)
        for option in kinds.get(version.kind).chosen(answer) if version is not None else ():
            counts[option] = counts.get(option, 0) + count
    return result


def _options(version: QuestionVersion | None, counts: dict) -> tuple[OptionCount, ...]:
    if version is None:
        return ()
    return tuple(
        OptionCount(c.label, plain(c.text), counts.get(c.value, 0), c.is_key)
        for c in kinds.get(version.kind).choices(version.content())
    )


def _stats(question_id: int, raw: _Raw, version: QuestionVersion | None, counts: dict) -> ItemStats:
    facility = raw.rest.x / raw.n if raw.n else None
    discrimination = itemstats.discrimination_from_sums(
        raw.upper_sum, raw.upper_weight, raw.lower_sum, raw.lower_weight
    )
    item_rest = itemstats.correlation(raw.rest)
    stem = plain(version.stem) if version is not None else ""
    return ItemStats(
        question_id,
        version.kind if version is not None else "",
        stem,
        raw.n,
        raw.answered,
        facility,
        discrimination,
        item_rest,
        itemstats.correlation(raw.total),
        raw.upper_weight,
        raw.lower_weight,
        _options(version, counts),
        itemstats.flags(facility, discrimination, item_rest, raw.n),
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
        _stats(q, raw, versions.get(q), chosen.get(q, {})) for (_e, q), raw in sorted(sums.items())
    ]


def counted_attempts(exam_id: int) -> int:
    """How many of the exam's attempts count (submitted, graded, not cancelled)."""
    return db.session.scalar(
        select(func.count(Attempt.id)).where(counted(), Attempt.exam_id == exam_id)
    )


def question_items(user: User, question_id: int) -> QuestionReport:
    """One question over every exam (that the user manages) it was answered in: the figures
    per exam and over all of them (upper and lower groups are formed within each exam, whose
    totals are comparable; the overall correlations are the means of the exams' weighted by
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
    for (exam_id, _q), raw in sorted(sums.items(), key=lambda kv: exams[kv[0][0]].opens_at):
        stats = _stats(question_id, raw, version, {})
        uses.append(ItemUse(exam_id, exams[exam_id].title, exams[exam_id].opens_at, stats))
        total += raw
    overall = _stats(question_id, total, version, chosen.get(question_id, {}))
    # Totals of different exams are not comparable: the overall correlations are the exams'
    # weighted by the attempts that had the question (flags follow the item-rest one).
    item_rest = _weighted_mean([(u.stats.item_rest, u.stats.candidates) for u in uses])
    overall = replace(
        overall,
        item_rest=item_rest,
        point_biserial=_weighted_mean([(u.stats.point_biserial, u.stats.candidates) for u in uses]),
        flags=itemstats.flags(overall.facility, overall.discrimination, item_rest, total.n),
    )
    return QuestionReport(question_id, overall, tuple(uses))


def _weighted_mean(values: list[tuple[float | None, int]]) -> float | None:
    """The mean of the values that exist, weighted by their counts."""
    present = [(v, n) for v, n in values if v is not None]
    weight = sum(n for _v, n in present)
    return sum(v * n for v, n in present) / weight if weight else None


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
