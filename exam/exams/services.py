"""Exam services: publishing, starting attempts, saving answers, submitting and grading.

Written for many candidates at the same minute: a start is one insert guarded by a unique
constraint, a save is one guarded upsert (a stale sequence number never overwrites a newer
answer), a submission is one guarded update (ten submits give one result). Services flush;
the request or job commits.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached, selectinload

from exam.audit.services import record
from exam.auth.models import User
from exam.core.extensions import db, upsert
from exam.core.timeutil import utcnow
from exam.exams import attempt_items, news, predrawn
from exam.exams.eligibility import candidate_count, is_eligible, person_is_eligible
from exam.exams.errors import ExamError
from exam.exams.models import Attempt, AttemptAnswer, AttemptItem, Exam, ExamStatus
from exam.people.models import Person
from exam.questions.models import Question, QuestionStatus, QuestionVersion, Topic
from exam.questions.services import bank_version
from question_bank import kinds
from question_bank.model import LETTERS, QuestionData, Usage
from question_bank.papers import (
    Blueprint,
    BlueprintError,
    Coverage,
    Paper,
    PaperItem,
    PoolQuestion,
    Rule,
    TopicTree,
    check_blueprint,
    check_marks,
    draw_paper,
    grade_paper,
    shown_options,
)
from question_bank.problems import N_, Problem
from question_bank.text import sanitise


def grace() -> timedelta:
    """How long after the deadline answers still in flight are accepted."""
    return timedelta(seconds=current_app.config["ANSWER_GRACE_SECONDS"])


# --- blueprints and publishing ---------------------------------------------------------


def blueprint_of(exam: Exam) -> Blueprint:
    """The exam's stored blueprint as the pure paper code takes it (``Exam.blueprint``)."""
    data = exam.blueprint or {}
    coverage = data.get("coverage")
    confirmed = data.get("confirmed_total")
    return Blueprint(
        rules=tuple(Rule(**rule) for rule in data.get("rules", ())),
        fixed=tuple((int(q), float(p)) for q, p in data.get("fixed", ())),
        shuffle_questions=data.get("shuffle_questions", True),
        shuffle_options=data.get("shuffle_options", True),
        coverage=Coverage(int(coverage["per_area"]), tuple(coverage.get("areas") or ()))
        if coverage
        else None,
        confirmed_total=round(float(confirmed), 2) if confirmed is not None else None,
    )


def question_pool() -> list[PoolQuestion]:
    """Active questions that may appear in exams, as drawing needs them. Kept per process
    while the bank's version does not change: loading it is most of what starting costs."""
    return _bank()[0]


def topic_tree() -> TopicTree:
    """The topic tree as coverage rules read it (areas in the tree's order), kept with the pool."""
    return _bank()[1]


def _kept_while_the_bank_stands(name: str) -> dict:
    """This process's store ``name`` of what it has read from the bank, emptied whenever the
    bank's version moves. A counter the database moves with every change (not a clock, not an
    aggregate): a change committed through any app host is seen by the next request on every
    other. What is read into a store must be read afresh from the database, not taken from
    objects the session already holds (``populate_existing``): those may predate the change."""
    key = bank_version()
    kept = current_app.extensions.get(name)
    if kept is None or kept[0] != key:
        kept = (key, {})
        current_app.extensions[name] = kept
    return kept[1]


def _bank() -> tuple[list[PoolQuestion], TopicTree]:
    kept = _kept_while_the_bank_stands("anpei_pool")
    if "pool" in kept:
        return kept["pool"]
    topics = db.session.scalars(
        select(Topic)
        .order_by(Topic.sort_order, Topic.code)
        .execution_options(populate_existing=True)
    ).all()
    by_id = {t.id: t for t in topics}
    pool = _load_pool(by_id)
    tree = TopicTree(
        parents={t.code: by_id[t.parent_id].code if t.parent_id else None for t in topics},
        names={t.code: t.name for t in topics},
    )
    kept["pool"] = (pool, tree)
    return pool, tree


def _load_pool(topics: dict[int, Topic]) -> list[PoolQuestion]:
    def with_ancestors(topic_ids) -> frozenset[str]:
        codes = set()
        for topic_id in topic_ids:
            node = topics.get(topic_id)
            while node is not None:
                codes.add(node.code)
                node = topics.get(node.parent_id)
        return frozenset(codes)

    from sqlalchemy.orm import selectinload

    questions = db.session.scalars(
        select(Question)
        .options(
            selectinload(Question.current),
            selectinload(Question.topics),
            selectinload(Question.sectors),
        )
        .where(Question.status == QuestionStatus.ACTIVE, Question.usage != Usage.PRACTICE)
        .execution_options(populate_existing=True)
    )
    return [
        PoolQuestion(
            q.id,
            q.current_version_id,
            q.current.kind,
            q.current.difficulty,
            with_ancestors(t.id for t in q.topics),
            frozenset(s.code for s in q.sectors),
            len(q.current.options or ()),
        )
        for q in questions
    ]


def check_bank(exam: Exam, pool: list[PoolQuestion] | None = None) -> list[Problem]:
    """What would stop papers being drawn for this exam now (an empty list: nothing): rules
    the active bank cannot serve, a coverage rule the rules do not guarantee, the window.

    The one home of "the bank can serve this exam": the organisers' warnings that candidates
    cannot start, and a refused start, read it; ``check`` adds the paper's marks.
    """
    pool, tree = _bank() if pool is None else (pool, topic_tree())
    problems = check_blueprint(blueprint_of(exam), pool, tree)
    if exam.closes_at <= exam.opens_at:
        problems.append(Problem(N_("the exam closes before it opens")))
    return problems


def check(exam: Exam, pool: list[PoolQuestion] | None = None) -> list[Problem]:
    """What stops this exam being published as it is (an empty list: nothing): what stops
    papers being drawn (``check_bank``), and a total not 100 and not confirmed, or a pass
    mark above the total.

    The one home of the publishing rules: publishing, editing a published exam and the
    exam's page read it.
    """
    # An exam not flushed yet has no pass mark of its own: the column's default is its.
    pass_mark = exam.pass_mark
    if pass_mark is None:
        pass_mark = Exam.__table__.c.pass_mark.default.arg
    return check_bank(exam, pool) + check_marks(blueprint_of(exam), pass_mark)


def publish(exam: Exam, now: datetime) -> list[Problem]:
    """Publish an exam whose paper the active bank can serve and whose marks add up; else
    say what stops it."""
    problems = check(exam)
    if not problems:
        exam.published_at = now
        news.exam_changed(exam)
        record("exam.publish", exam, exam.title)
        predraw_papers(exam, now, limit=PREDRAW_ON_PUBLISH)
    return problems


# --- papers drawn ahead ----------------------------------------------------------------

#: Papers drawn as an exam is published (the scheduler draws the rest within minutes).
PREDRAW_ON_PUBLISH = 100
#: At most so many papers the scheduler draws in one run (every 15 s), over all exams ...
PREDRAW_PER_RUN = 1000
#: ... and for at most so long: a third of one core, so that a province's exam (3,000 papers,
#: about 8 ms each on a small server) is drawn within two minutes of its publishing, in
#: transactions short enough not to hold SQLite's one writer for long.
PREDRAW_SECONDS = 5.0
#: Exams opening within this time get their papers drawn.
PREDRAW_AHEAD = timedelta(days=1)


def paper_key(exam: Exam) -> str:
    """What a paper drawn for this exam now depends on, hashed: the bank's fingerprint and
    the exam's blueprint, title and layout. A paper drawn under another key is stale."""
    shape = [
        exam.id,
        bank_version(),
        exam.blueprint,
        exam.title,
        exam.one_question_per_page,
    ]
    return hashlib.sha256(json.dumps(shape, default=str, sort_keys=True).encode()).hexdigest()


def predraw_papers(
    exam: Exam, now: datetime, limit: int | None = None, until: float | None = None
) -> int:
    """Draw papers ahead for the exam's candidates who have not started it (at most
    ``limit``, and none after ``until`` on the ``time.monotonic`` clock), discarding those
    drawn from an older bank or exam; how many were drawn."""
    if exam.published_at is None or exam.closes_at <= now:
        return 0
    db.session.flush()
    key = paper_key(exam)
    predrawn.discard_stale(exam.id, key)
    started = db.session.scalar(
        select(func.count(func.distinct(Attempt.user_id))).where(Attempt.exam_id == exam.id)
    )
    wanted = candidate_count(exam) - started - predrawn.waiting(exam.id, key)
    drawn = 0
    for _ in range(max(0, min(wanted, limit if limit is not None else wanted))):
        if until is not None and time.monotonic() >= until:
            break
        seed = secrets.randbits(31)
        try:
            paper = _draw(exam, seed)
        except ExamError:
            break  # the bank cannot serve it: the exam's page says why
        predrawn.keep(exam.id, key, seed, *_candidate_paper(exam, paper))
        drawn += 1
    return drawn


def predraw_exam_papers(now: datetime | None = None) -> int:
    """Draw papers ahead for the exams open or opening within a day (a scheduler job)."""
    now = now or utcnow()
    exams = db.session.scalars(
        select(Exam)
        .where(Exam.is_published, Exam.closes_at > now, Exam.opens_at <= now + PREDRAW_AHEAD)
        .order_by(Exam.opens_at)
    )
    budget, until = PREDRAW_PER_RUN, time.monotonic() + PREDRAW_SECONDS
    for exam in exams:
        budget -= predraw_papers(exam, now, limit=budget, until=until)
        if budget <= 0 or time.monotonic() >= until:
            break
    return PREDRAW_PER_RUN - budget


def unfinished_prerequisite(exam: Exam, person):
    """The candidate's progress in the course the exam asks for, if not complete yet."""
    if exam.prerequisite_course is None or exam.prerequisite_course.published_at is None:
        return None
    from exam.learning.services import course_progress

    state = course_progress(person, [exam.prerequisite_course])[exam.prerequisite_course.id]
    return None if state.complete else state


# --- attempts ----------------------------------------------------------------------------


def _candidate_paper(exam: Exam, paper: Paper) -> tuple[list[dict], str]:
    """The stored paper (with what grading needs) and the page's JSON (no answer key)."""
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(QuestionVersion).where(
                QuestionVersion.id.in_([i.version_id for i in paper.items])
            )
        )
    }
    stored, shown = [], []
    for number, item in enumerate(paper.items, start=1):
        version = versions[item.version_id]
        shape = kinds.get(version.kind).shape(version.content())
        stored.append(
            {
                "question_id": item.question_id,
                "version_id": item.version_id,
                "points": item.points,
                "option_order": list(item.option_order),
                "kind": version.kind,
                "options": shape.options,
                "blanks": shape.blanks,
            }
        )
        # Sanitised again on the way out: the page puts these into the document as HTML.
        shown.append(
            {
                "number": number,
                "question_id": item.question_id,
                "kind": version.kind,
                "stem": sanitise(version.stem),
                "points": item.points,
                "blanks": shape.blanks,
                "options": [
                    {"letter": LETTERS[i], "text": sanitise(text)}
                    for i, text in enumerate(
                        shown_options(tuple(version.options or ()), item.option_order)
                    )
                ],
            }
        )
    page = {
        "exam_id": exam.id,
        "title": exam.title,
        "total_points": paper.total_points,
        "one_question_per_page": exam.one_question_per_page,
        "questions": shown,
    }
    return stored, json.dumps(page, ensure_ascii=False, separators=(",", ":"))


def _attempts_so_far(exam: Exam, user: User) -> tuple[int, Attempt | None]:
    """How many attempts the candidate has made at the exam, and the one under way if any:
    one light statement (a first start, the start burst's rule, loads no attempt)."""
    count, open_id = db.session.execute(
        select(
            func.count(Attempt.id),
            func.max(case((Attempt.submitted_at.is_(None), Attempt.id))),
        ).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id)
    ).one()
    return count, db.session.get(Attempt, open_id) if open_id is not None else None


def start_attempt(
    exam: Exam,
    user: User,
    now: datetime,
    *,
    device: str | None = None,
    address: str | None = None,
    access_code: str | None = None,
    paper_seed: int | None = None,
) -> Attempt:
    """Start (or, if one is under way, return) the candidate's attempt at an exam.

    The candidate's own terms apply (an override may give another window, more time or
    more attempts); the exam's network ranges and access code are checked here. The paper
    is drawn from a fresh random seed unless ``paper_seed`` is given (the demo's, which is
    built the same from the same seed).
    """
    from exam.exams.examday import check_access_code, check_device, check_network, terms_for

    terms = terms_for(exam, user)
    if terms.status(exam, now) != ExamStatus.OPEN:
        raise ExamError("not_open")
    if not is_eligible(exam, user):
        raise ExamError("not_eligible")
    check_network(exam, address)
    if exam.requires_training:
        from exam.core.timeutil import local_today
        from exam.training.services import meets_requirement

        short = meets_requirement(user.person, local_today())
        if short is not None:
            raise ExamError("training_required", done=short.total, required=short.requirement.hours)
    count, current = _attempts_so_far(exam, user)
    if current is not None and not close_if_overdue(current, now):
        if device is not None:
            check_device(current, device, now)
        return current  # an attempt under way goes on, whatever was added to the exam since
    unfinished = unfinished_prerequisite(exam, user.person)
    if unfinished is not None:
        raise ExamError(
            "course_required",
            course=unfinished.course.title,
            done=unfinished.lessons_done,
            lessons=unfinished.lessons,
        )
    check_access_code(exam, access_code)
    if count >= terms.attempts_allowed:
        # A start racing this one may have just made the attempt: that one is ours too.
        _count, current = _attempts_so_far(exam, user)
        if current is not None and not close_if_overdue(current, now):
            return current
        raise ExamError("no_attempts_left", allowed=terms.attempts_allowed)
    values = {
        "exam_id": exam.id,
        "user_id": user.id,
        "number": count + 1,
        "started_at": now,
        "device_id": device if exam.one_device else None,
        "deadline": min(now + timedelta(minutes=terms.duration_minutes), terms.closes_at),
    }
    return _new_attempt(exam, values, paper_seed)


def _new_attempt(exam: Exam, values: dict, paper_seed: int | None) -> Attempt:
    """The attempt ``values`` describe, with a paper drawn ahead if one is waiting (on
    PostgreSQL in the statement that inserts it), else drawn now; or, if a start by the same
    candidate racing this one made that attempt first, that one."""
    attempt, claim = None, paper_seed is None
    if claim and predrawn.claims_into_attempts():
        claim = False  # no second try below: none is waiting, or it is spent
        started = predrawn.start_with_claimed(exam.id, paper_key(exam), values)
        if started.attempt_id is not None:
            attempt = Attempt(id=started.attempt_id, seed=started.seed, **values)
            # Known as stored: the paper and what the defaults filled load only if asked for.
            make_transient_to_detached(attempt)
            db.session.add(attempt)
        elif started.claimed:  # a start racing this one made the attempt
            winner = _numbered_attempt(values)
            if winner is not None:
                return winner
    if attempt is None:
        seed, stored, page = _paper_for_start(exam, paper_seed, claim=claim)
        attempt = Attempt(seed=seed, paper=stored, paper_json=page, **values)
        try:
            with db.session.begin_nested():  # a concurrent start by the same candidate may win
                db.session.add(attempt)
        except IntegrityError:
            winner = _numbered_attempt(values)
            if winner is None:
                raise
            return winner
    news.attempts_changed([attempt])
    return attempt


def _numbered_attempt(values: dict) -> Attempt | None:
    """The candidate's attempt of the number in ``values``, if one was made."""
    return db.session.scalar(
        select(Attempt).where(
            Attempt.exam_id == values["exam_id"],
            Attempt.user_id == values["user_id"],
            Attempt.number == values["number"],
        )
    )


def _paper_for_start(
    exam: Exam, seed: int | None = None, claim: bool = True
) -> tuple[int, list[dict], str]:
    """A paper drawn ahead for the exam as it is now (if ``claim``), or, if none is left, one
    drawn now; with ``seed`` (a reproducible demo), always the one that seed draws."""
    if seed is None:
        claimed = predrawn.claim(exam.id, paper_key(exam)) if claim else None
        if claimed is not None:
            return claimed.seed, claimed.paper, claimed.paper_json
        seed = secrets.randbits(31)
    return seed, *_candidate_paper(exam, _draw(exam, seed))


def _draw(exam: Exam, seed: int) -> Paper:
    """The candidate's paper, or ExamError("unservable") when the bank no longer serves the
    exam (questions retired since it was published); its organisers' pages say which rule."""
    blueprint, (pool, tree) = blueprint_of(exam), _bank()
    try:
        paper = draw_paper(blueprint, pool, seed, tree)
    except BlueprintError:
        paper = None
    # A fixed question no longer active is left out of the draw: a shorter paper is no paper.
    if paper is None or len(paper.items) < blueprint.question_count:
        current_app.logger.warning(
            "exam %s cannot be drawn: %s", exam.id, "; ".join(map(str, check_bank(exam, pool)))
        )
        raise ExamError("unservable")
    return paper


def checked_response(item: dict, response: object) -> object:
    """The answer to a paper's item in the kind's form, or ExamError("bad_answer") if it has
    the wrong shape."""
    shape = kinds.ResponseShape(options=item["options"], blanks=item["blanks"])
    return checked_answer(item["kind"], shape, response)


def checked_answer(kind: str, shape: kinds.ResponseShape, response: object) -> object:
    """The answer in the kind's form, or ExamError("bad_answer") if it has the wrong shape."""
    try:
        return kinds.get(kind).check_response(response, shape)
    except kinds.BadResponse:
        raise ExamError("bad_answer", field="answer") from None


def save_answer(
    attempt: Attempt, question_id: int, response: object, seq: int, now: datetime
) -> bool:
    """Store an answer unless a newer one (higher ``seq``) is already stored.

    One guarded upsert whatever the paper's length. Returns False for a stale save (the
    newer answer stays); raises ExamError when the attempt no longer takes answers.
    """
    # Read the attempt's state under a shared lock: a submission under way is waited for.
    submitted_at, deadline = db.session.execute(
        select(Attempt.submitted_at, Attempt.deadline)
        .where(Attempt.id == attempt.id)
        .with_for_update(read=True)
    ).one()
    if submitted_at is not None:
        raise ExamError("submitted")
    if now > deadline + grace():
        raise ExamError("too_late")
    item = next((i for i in attempt.paper if i["question_id"] == question_id), None)
    if item is None:
        raise ExamError("unknown_question")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**31:
        raise ExamError("bad_sequence", field="seq")
    value = checked_response(item, response)
    statement = upsert()(AttemptAnswer).values(
        attempt_id=attempt.id, question_id=question_id, response=value, seq=seq, saved_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[AttemptAnswer.attempt_id, AttemptAnswer.question_id],
        set_={
            "response": statement.excluded.response,
            "seq": statement.excluded.seq,
            "saved_at": statement.excluded.saved_at,
        },
        where=AttemptAnswer.seq < statement.excluded.seq,
    ).returning(AttemptAnswer.id)
    # A row comes back when the answer was inserted or replaced, none for a stale save.
    return db.session.execute(statement).first() is not None


def saved_answers(attempt: Attempt) -> dict[int, tuple[object, int]]:
    """Question id -> (answer, sequence number) as stored."""
    return {
        a.question_id: (a.response, a.seq)
        for a in db.session.scalars(
            select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
        )
    }


def _grading_versions(ids: list[int]) -> dict[int, QuestionData]:
    """The versions a paper is graded by, as the domain sees them, kept by this process while
    the bank's version stands: a version's fields never change (an edit makes a new one), and
    its question's topics, sectors and usage move the bank's version when they do (its
    external key does not: grading reads none of it). Kept, a submission's grading reads one
    number instead of four tables."""
    kept: dict[int, QuestionData] = _kept_while_the_bank_stands("anpei_graded")
    missing = set(ids) - kept.keys()
    if missing:
        # With their questions' topics and sectors in a few queries, not a few per question.
        for version in db.session.scalars(
            select(QuestionVersion)
            .where(QuestionVersion.id.in_(missing))
            .options(
                selectinload(QuestionVersion.question).options(
                    selectinload(Question.topics), selectinload(Question.sectors)
                )
            )
            .execution_options(populate_existing=True)
        ):
            kept[version.id] = version.data()
    return {i: kept[i] for i in ids if i in kept}


def grade(attempt: Attempt) -> None:
    """Score the attempt's paper from its stored answers and keep the result with it."""
    # A question regraded after a correction is graded by its corrected version.
    graded_by = [i.get("graded_version_id", i["version_id"]) for i in attempt.paper]
    versions = _grading_versions(graded_by)
    paper = Paper(
        attempt.seed,
        tuple(
            PaperItem(i["question_id"], version_id, i["points"], tuple(i["option_order"]))
            for i, version_id in zip(attempt.paper, graded_by, strict=True)
        ),
    )
    responses = {qid: answer for qid, (answer, _seq) in saved_answers(attempt).items()}
    exam = attempt.exam
    result = grade_paper(paper, versions, responses, exam.pass_mark, exam.scoring_policy)
    attempt.score, attempt.total_points, attempt.passed = (
        result.score,
        result.total_points,
        result.passed,
    )
    attempt.result = {
        "items": [
            {
                "question_id": i.question_id,
                "points": i.points,
                "score": i.score,
                "correct": i.correct,
            }
            for i in result.items
        ],
        "by_topic": {topic: list(values) for topic, values in result.by_topic.items()},
    }
    # The same items as rows for item analysis (one DELETE, one INSERT), answers as written.
    kinds = {item.question_id: versions[item.version_id].kind for item in paper.items}
    attempt_items.write(
        db.session.connection(),
        attempt.id,
        attempt_items.rows_for(
            attempt.id, attempt.paper, attempt.result["items"], responses, kinds
        ),
    )


@functools.cache
def _attempt_state() -> list[str]:
    """An attempt's columns but its paper."""
    return [
        column.key
        for column in Attempt.__mapper__.column_attrs
        if column.key not in ("paper", "paper_json")
    ]


def submit(
    attempt: Attempt, now: datetime, auto: bool = False, overdue_only: bool = False
) -> Attempt:
    """Submit and grade once: of concurrent submissions only the first one grades.

    ``overdue_only``: close it only if it is still past its deadline and grace (an organiser
    may have just given more time).

    A submission that arrives after the deadline and grace is recorded as the deadline closing
    the attempt (``auto_submitted``), as the scheduler or the next request would have: the
    record does not depend on which came first. Its answers count as for any closed attempt:
    those saved by then, which is all there are (a later save is refused, ``too_late``).
    """
    overdue = Attempt.deadline < now - grace()  # read in the update: a deadline just extended
    guard = [Attempt.id == attempt.id, Attempt.submitted_at.is_(None)]
    if overdue_only:
        guard.append(overdue)
    claimed = (
        db.session.execute(
            update(Attempt)
            .where(*guard)
            .values(submitted_at=now, auto_submitted=true() if auto else overdue)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    # All the update or a concurrent submission may have changed; not the paper (a few tens
    # of KB to decode again), which only a regrade rewrites, and only once it is submitted.
    db.session.refresh(attempt, _attempt_state())
    if claimed:
        grade(attempt)
        news.attempts_changed([attempt])
    return attempt


def close_if_overdue(attempt: Attempt, now: datetime) -> bool:
    """Close and grade an attempt past its deadline and grace; True if it is closed now."""
    if attempt.submitted_at is None and now > attempt.deadline + grace():
        submit(attempt, now, auto=True, overdue_only=True)
    return attempt.submitted_at is not None


def close_overdue_attempts(now: datetime | None = None) -> int:
    """Close and grade every attempt past its deadline (a scheduler job; idempotent)."""
    now = now or utcnow()
    # In the order the reports' kept rows are locked (original exam, account): two such
    # transactions, or one and a roster being taken, never wait on each other in a circle.
    overdue = db.session.scalars(
        select(Attempt)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(Attempt.submitted_at.is_(None), Attempt.deadline < now - grace())
        .order_by(func.coalesce(Exam.makeup_of_id, Exam.id), Attempt.user_id, Attempt.id)
    ).all()
    closed = 0
    for attempt in overdue:
        before = attempt.submitted_at
        submit(attempt, now, auto=True, overdue_only=True)
        closed += before is None and attempt.auto_submitted
    return closed


def regrade_question(question: Question, actor: User) -> list[tuple[int, float, float]]:
    """Grade again, by the question's current (corrected) version, every submitted attempt
    whose paper has it; returns (attempt id, old score, new score). An explicit, logged step.

    Only a correction that keeps the number of options can be applied: a paper shows the
    options it was drawn with.
    """
    current = question.current
    changed, outcome_changed = [], []
    # Only the attempts graded with the question (its rows, by the question_id index).
    had_it = select(AttemptItem.attempt_id).where(AttemptItem.question_id == question.id)
    for attempt in db.session.scalars(
        select(Attempt)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(
            Attempt.submitted_at.is_not(None), Attempt.id.in_(had_it)
        )  # in lock order, as close_overdue_attempts
        .order_by(func.coalesce(Exam.makeup_of_id, Exam.id), Attempt.user_id, Attempt.id)
    ):
        items = [i for i in attempt.paper if i["question_id"] == question.id]
        if not items or items[0].get("graded_version_id", items[0]["version_id"]) == current.id:
            continue
        if items[0]["kind"] != current.kind or items[0]["options"] != len(current.options or ()):
            continue
        attempt.paper = [
            dict(i, graded_version_id=current.id) if i["question_id"] == question.id else i
            for i in attempt.paper
        ]
        before, passed = attempt.score, attempt.passed
        grade(attempt)
        changed.append((attempt.id, before, attempt.score))
        if attempt.passed != passed:
            outcome_changed.append(attempt)
    news.attempts_changed(outcome_changed)
    record(
        "exam.regrade",
        question,
        f"#{question.id} v{current.number}: {len(changed)} attempts",
        {"attempts": [[a, old, new] for a, old, new in changed]},
        actor=actor,
    )
    return changed


def prerequisite_courses(person: Person) -> set[int]:
    """``learning.signals.required_courses``: the courses the published exams the person may
    sit ask for first."""
    exams = db.session.scalars(
        select(Exam).where(Exam.prerequisite_course_id.is_not(None), Exam.is_published)
    )
    return {e.prerequisite_course_id for e in exams if person_is_eligible(e, person)}
