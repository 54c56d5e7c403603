"""Changes to the question bank. Services flush, never commit."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from exam.audit.labels import lend_values
from exam.audit.services import record
from exam.auth.models import User
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.core.uploads import spreadsheet_error_message
from exam.people.models import Sector
from exam.questions.errors import TransitionError
from exam.questions.models import (
    USAGE_LABELS,
    BankVersion,
    Question,
    QuestionStatus,
    QuestionVersion,
    Topic,
)
from question_bank import formats
from question_bank.model import ParseResult, QuestionData, Usage
from question_bank.problems import N_, Problem
from question_bank.spreadsheets import SpreadsheetError
from question_bank.text import sanitise, strip_controls

# The audit log names a question's status and use by their labels.
lend_values("status", QuestionStatus.LABELS)
lend_values("usage", USAGE_LABELS)

#: The fields of a version: a change to any of them makes a new version.
VERSION_FIELDS = (
    "kind",
    "stem",
    "options",
    "answer",
    "explanation",
    "difficulty",
    "legal_source",
    "roles",
)


def bank_version() -> int:
    """How many times what papers are drawn from has changed (``BankVersion``): read before
    loading the pool, so a pool kept under this number is never older than the number."""
    return db.session.scalar(select(BankVersion.version).where(BankVersion.id == 1)) or 0


def review_required() -> bool:
    return bool(current_app.config["QUESTION_REVIEW"])


def clean(data: QuestionData) -> QuestionData:
    """The data with its rich text reduced to the safe subset."""
    from dataclasses import replace

    return replace(
        data,
        stem=sanitise(data.stem),
        options=tuple(sanitise(o) for o in data.options),
        explanation=sanitise(data.explanation),
        legal_source=strip_controls(data.legal_source).strip(),
        external_key=strip_controls(data.external_key).strip(),
    )


def _version_values(data: QuestionData) -> dict:
    return {
        "kind": data.kind,
        "stem": data.stem,
        "options": list(data.options),
        "answer": data.answer,
        "explanation": data.explanation,
        "difficulty": data.difficulty,
        "legal_source": data.legal_source,
        "roles": list(data.roles),
    }


def _new_version(question: Question, data: QuestionData, author: User | None) -> QuestionVersion:
    number = max((v.number for v in question.versions), default=0) + 1
    version = QuestionVersion(
        number=number, content_hash=data.content_hash(), created_by=author, **_version_values(data)
    )
    question.versions.append(version)
    question.current = version
    return version


def create_question(
    data: QuestionData, topics: list[Topic], sectors: list[Sector], author: User | None
) -> Question:
    """A new draft question with its first version."""
    data = clean(data)
    question = Question(
        status=QuestionStatus.DRAFT,
        usage=data.usage,
        external_key=data.external_key or None,
        topics=topics,
        sectors=sectors,
    )
    db.session.add(question)
    _new_version(question, data, author)
    db.session.flush()
    if question.external_key is None:
        question.external_key = own_key(question.id)
    record("question.create", question, _summary(question))
    return question


def own_key(question_id: int) -> str:
    """The key of a question made in Anpei: exports carry it, so re-imports find the question."""
    return f"anpei-{question_id}"


def update_question(
    question: Question,
    data: QuestionData,
    topics: list[Topic],
    sectors: list[Sector],
    author: User | None,
) -> bool:
    """Change a question. New wording makes a new version (papers keep the old one); an
    active question whose wording changed goes back to review when review is on."""
    data = clean(data)
    current = question.current
    new_values = _version_values(data)
    changes = {
        k: [getattr(current, k), v] for k, v in new_values.items() if getattr(current, k) != v
    }
    if changes:
        _new_version(question, data, author)
        if (
            question.status in (QuestionStatus.ACTIVE, QuestionStatus.REVIEWED)
            and review_required()
        ):
            changes["status"] = [question.status, QuestionStatus.DRAFT]
            question.status = QuestionStatus.DRAFT
    old_topics, new_topics = sorted(t.code for t in question.topics), sorted(t.code for t in topics)
    if old_topics != new_topics:
        changes["topics"] = [old_topics, new_topics]
        question.topics = list(topics)
    old_sectors, new_sectors = (
        sorted(s.code for s in question.sectors),
        sorted(s.code for s in sectors),
    )
    if old_sectors != new_sectors:
        changes["sectors"] = [old_sectors, new_sectors]
        question.sectors = list(sectors)
    if data.usage != question.usage:
        changes["usage"] = [question.usage, data.usage]
        question.usage = data.usage
    if changes:
        db.session.flush()
        record(
            "question.update",
            question,
            _summary(question),
            {k: [_short(v[0]), _short(v[1])] for k, v in changes.items()},
        )
    return bool(changes)


def _short(value):
    text = value if isinstance(value, str | bool | int | type(None)) else str(value)
    return text[:200] + "…" if isinstance(text, str) and len(text) > 200 else text


def _summary(question: Question) -> str:
    from question_bank.text import plain

    return f"#{question.id} v{question.current.number} {plain(question.current.stem)[:80]}"


#: Lifecycle steps: action -> (statuses it may start from, status it leads to).
TRANSITIONS = {
    "approve": ((QuestionStatus.DRAFT,), QuestionStatus.REVIEWED),
    "activate": ((QuestionStatus.REVIEWED, QuestionStatus.DRAFT), QuestionStatus.ACTIVE),
    "retire": (
        (QuestionStatus.DRAFT, QuestionStatus.REVIEWED, QuestionStatus.ACTIVE),
        QuestionStatus.RETIRED,
    ),
    "restore": ((QuestionStatus.RETIRED,), QuestionStatus.DRAFT),
}


def allowed_actions(question: Question, user: User) -> list[str]:
    """The lifecycle steps ``user`` may take on ``question`` now."""
    actions = []
    for action in TRANSITIONS:
        try:
            _check(question, action, user)
        except TransitionError:
            continue
        actions.append(action)
    return actions


def _check(question: Question, action: str, user: User) -> None:
    sources, _target = TRANSITIONS[action]
    if question.status not in sources:
        raise TransitionError("wrong_status")
    if action == "activate" and question.status == QuestionStatus.DRAFT and review_required():
        raise TransitionError("needs_review")
    if action == "approve" and review_required() and question.current.created_by_id == user.id:
        raise TransitionError("own_question")


def transition(
    question: Question, action: str, user: User, now, version: int | None = None
) -> None:
    """Take a lifecycle step (approve, activate, retire, restore) or raise TransitionError.

    ``version`` is the version the user looked at: approving is refused if the question has
    been changed since, so nobody approves wording they have not seen.
    """
    if action not in TRANSITIONS:
        raise TransitionError("unknown")
    if version is not None and version != question.current.number:
        raise TransitionError("changed")
    _check(question, action, user)
    old = question.status
    question.status = TRANSITIONS[action][1]
    if action == "approve":
        question.current.reviewed_by_id, question.current.reviewed_at = user.id, now
    record(f"question.{action}", question, _summary(question), {"status": [old, question.status]})


# --- topics ---


def topic_tree() -> list[tuple[Topic, int]]:
    """Every topic with its depth, areas first, in order."""
    areas = db.session.scalars(
        select(Topic).where(Topic.parent_id.is_(None)).order_by(Topic.sort_order)
    )
    rows, stack = [], [(a, 0) for a in reversed(list(areas))]
    while stack:
        topic, depth = stack.pop()
        rows.append((topic, depth))
        stack.extend((c, depth + 1) for c in reversed(topic.children))
    return rows


# --- import --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportChoices:
    """What the person importing decided: a topic and a sector for the whole file, and the
    topic each of its categories (topic references) stands for."""

    topic: Topic | None = None
    sector: Sector | None = None
    #: A category as the file writes it, lower-case → the topic it is imported under.
    mapping: dict = field(default_factory=dict)


@dataclass
class QuestionImportPlan:
    """A parsed file checked against the bank: what to write, or every reason not to."""

    items: list = field(default_factory=list)  # (position, QuestionData, [Topic], [Sector])
    problems: list = field(default_factory=list)  # (position, Problem)
    #: What will not be imported of a question: position → [Problem].
    warnings: dict = field(default_factory=dict)
    #: Each category (topic reference) of the file, in order → the topic it gets, or None.
    categories: dict = field(default_factory=dict)
    #: How many questions name each category.
    category_counts: Counter = field(default_factory=Counter)
    #: (position, category) of each question naming a category that is no topic.
    unknown: list = field(default_factory=list)
    choices: ImportChoices = field(default_factory=ImportChoices)

    @property
    def unmapped(self) -> list[str]:
        """Categories with no topic yet (none when a topic is chosen for the whole file)."""
        if self.choices.topic is not None:
            return []
        return [ref for ref, topic in self.categories.items() if topic is None]

    @property
    def checked(self) -> bool:
        """The file can be shown for confirmation: every question is readable and sound."""
        return not self.problems and bool(self.items)

    @property
    def ok(self) -> bool:
        return self.checked and not self.unmapped


def topic_lookup() -> dict[str, Topic]:
    """Every spelling a file may use for a topic: code, name, or path, lower-case."""
    lookup: dict[str, Topic] = {}
    for topic in db.session.scalars(select(Topic)):
        for key in (topic.code, topic.name, topic.path, topic.path.replace(" › ", "/")):
            lookup.setdefault(key.lower(), topic)
    return lookup


def sector_lookup() -> dict[str, Sector]:
    lookup: dict[str, Sector] = {}
    for sector in db.session.scalars(select(Sector)):
        for key in (sector.code, sector.name, sector.name_en):
            if key:
                lookup[key.lower()] = sector
    return lookup


def _resolve_tags(
    data, position: str, plan, topics: dict, sectors: dict, problems: list
) -> tuple[list, list]:
    """The file's topics and sectors as rows: a category takes the topic it is mapped to, else
    the one its name or code matches, else the file's topic; an unknown sector is a problem."""
    choices = plan.choices
    chosen_topics, chosen_sectors = [], []
    for ref in dict.fromkeys(r.strip() for r in data.topics if r.strip()):
        topic = choices.mapping.get(ref.lower()) or topics.get(ref.lower())
        plan.categories.setdefault(ref, topic)
        plan.category_counts[ref] += 1
        if topic is None:
            plan.unknown.append((position, ref))
        topic = topic or choices.topic
        if topic is not None and topic not in chosen_topics:
            chosen_topics.append(topic)
    if not chosen_topics and choices.topic is not None:
        chosen_topics.append(choices.topic)
    for ref in data.sectors:
        sector = sectors.get(ref.strip().lower())
        if sector is None:
            problems.append(Problem(N_("unknown sector “%(sector)s”"), {"sector": ref}))
        elif sector not in chosen_sectors:
            chosen_sectors.append(sector)
    if not chosen_sectors and choices.sector is not None:
        chosen_sectors.append(choices.sector)
    return chosen_topics, chosen_sectors


def _check_lengths(data, problems: list) -> None:
    for value, limit, message in (
        (data.legal_source, 300, N_("the legal source is longer than %(limit)s characters")),
        (data.external_key, 120, N_("the number is longer than %(limit)s characters")),
    ):
        if len(value) > limit:
            problems.append(Problem(message, {"limit": limit}))


def _check_repeats(data, position: str, seen_keys: dict, seen_hashes: dict, problems: list):
    """A number used twice in the file, or (without numbers) the same question twice."""
    key, digest = data.external_key, data.content_hash()
    if key and key in seen_keys:
        problems.append(
            Problem(
                N_("number %(key)s is used again (first at %(where)s)"),
                {"key": key, "where": seen_keys[key]},
            )
        )
    elif not key and digest in seen_hashes:
        problems.append(
            Problem(
                N_("the same question appears again (first at %(where)s)"),
                {"where": seen_hashes[digest]},
            )
        )
    if key:
        seen_keys.setdefault(key, position)
    else:
        seen_hashes.setdefault(digest, position)


def plan_import(result: ParseResult, choices: ImportChoices | None = None) -> QuestionImportPlan:
    """Check parsed questions against the topic tree and sectors, and against each other."""
    plan = QuestionImportPlan(choices=choices or ImportChoices())
    plan.problems.extend(("", p) for p in result.problems)
    topics, sectors = topic_lookup(), sector_lookup()
    seen_keys: dict[str, str] = {}
    seen_hashes: dict[str, str] = {}
    for parsed in result.questions:
        problems = list(parsed.problems)
        data = parsed.data
        chosen_topics, chosen_sectors = [], []
        if data is not None:
            chosen_topics, chosen_sectors = _resolve_tags(
                data, parsed.position, plan, topics, sectors, problems
            )
            data = clean(data)
            _check_lengths(data, problems)
            _check_repeats(data, parsed.position, seen_keys, seen_hashes, problems)
        if problems:
            plan.problems.extend((parsed.position, p) for p in problems)
        elif data is not None:
            plan.items.append((parsed.position, data, chosen_topics, chosen_sectors))
            if parsed.warnings:
                plan.warnings[parsed.position] = list(parsed.warnings)
    if plan.problems and plan.unmapped:
        # A file refused anyway names every question to correct, unknown topics included.
        plan.problems.extend(
            (position, Problem(N_("unknown topic “%(topic)s”"), {"topic": ref}))
            for position, ref in plan.unknown
        )
    if not plan.problems and not plan.items:
        plan.problems.append(("", Problem(N_("the file holds no questions"))))
    return plan


@dataclass
class QuestionImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _load_existing(plan: QuestionImportPlan) -> tuple[dict, dict]:
    """Questions the plan may update, by external key and by content hash, in a few queries."""
    eager = (
        selectinload(Question.current),
        selectinload(Question.topics),
        selectinload(Question.sectors),
    )
    keys = list({d.external_key for _p, d, _t, _s in plan.items if d.external_key})
    by_key: dict[str, Question] = {}
    for start in range(0, len(keys), 500):
        by_key.update(
            {
                q.external_key: q
                for q in db.session.scalars(
                    select(Question)
                    .options(*eager)
                    .where(Question.external_key.in_(keys[start : start + 500]))
                )
            }
        )
    hashes = list({d.content_hash() for _p, d, _t, _s in plan.items if not d.external_key})
    by_hash: dict[str, Question] = {}
    for start in range(0, len(hashes), 500):
        rows = db.session.execute(
            select(QuestionVersion.content_hash, Question)
            .options(*eager)
            .join(Question, Question.current_version_id == QuestionVersion.id)
            .where(QuestionVersion.content_hash.in_(hashes[start : start + 500]))
        )
        by_hash.update({digest: question for digest, question in rows})
    return by_key, by_hash


def _bulk_create(
    new: list[tuple[QuestionData, list[Topic], list[Sector]]], author: User | None
) -> None:
    """Insert many new draft questions with a few multi-row statements instead of the
    unit of work's row-by-row inserts and post-updates (10,000 questions in seconds)."""
    from flask import has_request_context
    from sqlalchemy import insert, update

    from exam.audit.models import AuditEntry
    from exam.questions.models import question_sector, question_topic
    from question_bank.text import plain

    now, author_id = utcnow(), getattr(author, "id", None)
    question_ids = db.session.scalars(
        insert(Question).returning(Question.id, sort_by_parameter_order=True),
        [
            {
                "status": QuestionStatus.DRAFT,
                "usage": d.usage,
                "external_key": d.external_key or None,
                "created_at": now,
                "updated_at": now,
            }
            for d, _t, _s in new
        ],
    ).all()
    version_ids = db.session.scalars(
        insert(QuestionVersion).returning(QuestionVersion.id, sort_by_parameter_order=True),
        [
            {
                "question_id": qid,
                "number": 1,
                "content_hash": d.content_hash(),
                "created_at": now,
                "created_by_id": author_id,
                **_version_values(d),
            }
            for qid, (d, _t, _s) in zip(question_ids, new, strict=True)
        ],
    ).all()
    db.session.execute(
        update(Question),
        [
            {"id": qid, "current_version_id": vid, "external_key": d.external_key or own_key(qid)}
            for qid, vid, (d, _t, _s) in zip(question_ids, version_ids, new, strict=True)
        ],
    )
    topic_rows = [
        {"question_id": qid, "topic_id": t.id}
        for qid, (_d, topics, _s) in zip(question_ids, new, strict=True)
        for t in topics
    ]
    sector_rows = [
        {"question_id": qid, "sector_id": s.id}
        for qid, (_d, _t, sectors) in zip(question_ids, new, strict=True)
        for s in sectors
    ]
    if topic_rows:
        db.session.execute(insert(question_topic), topic_rows)
    if sector_rows:
        db.session.execute(insert(question_sector), sector_rows)
    label = (f"{author.name} ({author.username})" if author is not None else "system")[:80]
    address = (request.remote_addr or "")[:64] if has_request_context() else ""
    db.session.execute(
        insert(AuditEntry),
        [
            {
                "at": now,
                "user_id": author_id,
                "user_label": label,
                "address": address,
                "action": "question.create",
                "object_type": "question",
                "object_id": qid,
                "summary": f"#{qid} v1 {plain(d.stem)[:80]}",
            }
            for qid, (d, _t, _s) in zip(question_ids, new, strict=True)
        ],
    )


def apply_import(
    plan: QuestionImportPlan, author: User | None, progress=None
) -> QuestionImportReport:
    """Write a valid plan: match by external key, else by content; new questions are drafts.

    ``progress`` (optional) is called with the number of questions done so far.
    """
    assert plan.ok, "only a plan without problems may be applied"
    report = QuestionImportReport()
    by_key, by_hash = _load_existing(plan)
    new = []
    with db.session.no_autoflush:
        for done, (_position, data, topics, sectors) in enumerate(plan.items, start=1):
            existing = (
                by_key.get(data.external_key)
                if data.external_key
                else by_hash.get(data.content_hash())
            )
            if existing is None:
                new.append((data, topics, sectors))
            elif update_question(existing, data, topics, sectors, author):
                report.updated += 1
            else:
                report.unchanged += 1
            if progress and done % 500 == 0:
                progress(done)
    db.session.flush()
    if new:
        _bulk_create(new, author)
        report.created = len(new)
    if report.created or report.updated:
        record("questions.import", None, f"+{report.created} ~{report.updated} ={report.unchanged}")
    if progress:
        progress(len(plan.items))
    return report


def counts(topic_ids: list[int] | None = None) -> dict:
    """Active questions per (topic id, kind, difficulty), as the paper builder will draw them."""
    from exam.questions.models import question_topic

    query = (
        select(
            question_topic.c.topic_id,
            QuestionVersion.kind,
            QuestionVersion.difficulty,
            func.count(),
        )
        .join(Question, Question.id == question_topic.c.question_id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.status == QuestionStatus.ACTIVE, Question.usage != Usage.PRACTICE)
        .group_by(question_topic.c.topic_id, QuestionVersion.kind, QuestionVersion.difficulty)
    )
    if topic_ids is not None:
        query = query.where(question_topic.c.topic_id.in_(topic_ids))
    return {(t, k, d): n for t, k, d, n in db.session.execute(query)}


_POSITIONS = [
    (re.compile(r"^row (\d+)$"), lambda m: _("row %(n)s", n=m[1])),
    (
        re.compile(r"^question (\d+) \(line (\d+)\)$"),
        lambda m: _("question %(n)s (line %(line)s)", n=m[1], line=m[2]),
    ),
    (
        re.compile(r"^question (\d+) \((.*)\)$"),
        lambda m: _("question %(n)s (%(name)s)", n=m[1], name=m[2]),
    ),
    (re.compile(r"^question (\d+)$"), lambda m: _("question %(n)s", n=m[1])),
]


def where(position: str) -> str:
    """A position in a file ("row 12", "question 3 (line 40)") in the user's language."""
    for pattern, render in _POSITIONS:
        if match := pattern.match(position):
            return render(match)
    return position


def parse_upload(
    filename: str, data: bytes, fmt: str | None, choices: ImportChoices | None = None
) -> QuestionImportPlan:
    """Read an uploaded file and check it against the bank, with the importer's choices."""
    return plan_import(read_upload(filename, data, fmt), choices)


def read_upload(filename: str, data: bytes, fmt: str | None) -> ParseResult:
    """Read an uploaded file (a spreadsheet refused as a whole becomes a file problem)."""
    try:
        return formats.read(filename, data, fmt or None)
    except SpreadsheetError as exc:
        return ParseResult(problems=[Problem(spreadsheet_error_message(exc))])


def unmapped_problem(plan: QuestionImportPlan) -> Problem:
    """Why a file whose categories are not all topics cannot be imported yet."""
    return Problem(
        N_(
            "these categories are not topics of the bank: %(categories)s. Map each to a topic, "
            "or choose a topic for the whole file."
        ),
        {"categories": "、".join(plan.unmapped)},
    )
