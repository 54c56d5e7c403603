"""The requests a sitting candidate makes most: fetching the paper, saving an answer and the
page's heartbeat.

On their usual path each is one SQL statement (and a save's commit). That statement checks
the session's account (still enabled, its login session still on, no password change pending),
that the attempt is theirs and still takes answers, and a save's guarded upsert happens
inside it; so a disabled account or a closed attempt is refused at once. What a paper looks
like never changes once it is drawn, so each process keeps the pages' JSON and the shape of
their questions.

Anything unusual (no session, a paper this process has not seen, no row back, an overdue
attempt, a stale or malformed answer) returns None: the caller then takes the full path,
which loads everything and gives the precise answer or error.
"""

from __future__ import annotations

import json
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from threading import Lock

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import (
    Integer,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    update,
)

from exam.auth.models import LoginSession, User, UserRole
from exam.auth.services import live_session, session_cutoff
from exam.core.database import run_alone
from exam.core.extensions import db, upsert
from exam.exams.models import Attempt, AttemptAnswer, Exam
from exam.exams.services import ExamError, checked_answer, grace
from question_bank.kinds import ResponseShape

#: The cookie naming the browser (device) an attempt is bound to.
DEVICE_COOKIE = "anpei_device"

#: How many attempts' papers each process keeps. A save, a heartbeat and a paper fetch of
#: any attempt may reach any process (several workers, several hosts), so each keeps every
#: attempt of the exam day: only what a save checks is kept (the shape of each answer, shared
#: between papers: about 4 KB for a 40-question paper, so 20,000 papers are some 80 MB); the
#: page itself is read with the saved answers.
CACHED_PAPERS = 20_000

#: (kind, shape) pairs, one object for each: thousands of papers share a few shapes.
_SHAPES: dict[tuple[str, int, int], tuple[str, ResponseShape]] = {}


def _shape(item: dict) -> tuple[str, ResponseShape]:
    key = (item["kind"], item["options"], item["blanks"])
    shape = _SHAPES.get(key)
    if shape is None:
        shape = _SHAPES.setdefault(key, (key[0], ResponseShape(key[1], key[2])))
    return shape


@dataclass(frozen=True)
class CachedPaper:
    user_id: int
    #: The attempt's seed: an attempt id that ever named another attempt does not match.
    seed: int
    #: question id -> the kind of answer it takes and its shape.
    items: dict[int, tuple[str, ResponseShape]]


class PaperCache:
    """Least recently used papers by attempt id, safe to share between threads."""

    def __init__(self, size: int = CACHED_PAPERS):
        self.size, self._entries, self._lock = size, OrderedDict(), Lock()

    def get(self, attempt_id: int) -> CachedPaper | None:
        with self._lock:
            entry = self._entries.get(attempt_id)
            if entry is not None:
                self._entries.move_to_end(attempt_id)
            return entry

    def put(self, attempt: Attempt) -> CachedPaper:
        return self.keep(attempt.id, attempt.user_id, attempt.seed, attempt.paper)

    def keep(self, attempt_id: int, user_id: int, seed: int, paper: list[dict]) -> CachedPaper:
        entry = CachedPaper(user_id, seed, {item["question_id"]: _shape(item) for item in paper})
        with self._lock:
            self._entries[attempt_id] = entry
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return entry


def papers() -> PaperCache:
    return current_app.extensions.setdefault("anpei_papers", PaperCache())


def current_device() -> str:
    """This browser's device id (a random cookie, made on first use and set on the response)."""
    device = request.cookies.get(DEVICE_COOKIE, "")
    if 20 <= len(device) <= 64 and device.isascii():
        return device
    if "new_device" not in g:
        g.new_device = secrets.token_urlsafe(24)
    return g.new_device


def init_app(app: Flask) -> None:
    @app.after_request
    def set_device_cookie(response):
        # A signed-in candidate's browser gets its device id before it starts an exam (at
        # the login's response): a start whose response is lost (a worker killed, a network
        # drop) is then retried from the same device, not refused as another one.
        if DEVICE_COOKIE not in request.cookies and _signed_in_candidate():
            current_device()
        if "new_device" in g:
            response.set_cookie(
                DEVICE_COOKIE,
                g.new_device,
                max_age=400 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=app.config.get("SESSION_COOKIE_SECURE", False),
            )
        return response


def _signed_in_candidate() -> bool:
    return current_user.is_authenticated and current_user.role == UserRole.CANDIDATE


def session_identity() -> tuple[int, str] | None:
    """(user id, login session key) from the signed session, as Flask-Login stored it."""
    user_id, _, token = str(session.get("_user_id") or "").partition(":")
    return (int(user_id), token) if user_id.isdigit() and token else None


def _owned() -> tuple:
    """Conditions: the attempt is this candidate's, whose session is still good, on the device
    it is bound to (if it is bound to one), at an exam open to any network (an exam limited
    to some networks always takes the full path, which checks the address)."""
    return (
        Attempt.id == bindparam("attempt_id"),
        Attempt.user_id == bindparam("owner_id"),
        Attempt.seed == bindparam("paper_seed"),
        User.id == Attempt.user_id,
        *live_session(bindparam("token"), bindparam("since")),
        User.disabled.is_(False),
        User.must_change_password.is_(False),
        User.role == UserRole.CANDIDATE,
        # An attempt not bound to a device yet, at an exam that binds them (switched on while
        # it was under way), takes the full path, which binds it.
        or_(
            Attempt.device_id == bindparam("device"),
            and_(Attempt.device_id.is_(None), Exam.one_device.is_(False)),
        ),
        Exam.id == Attempt.exam_id,
        Exam.allowed_networks.is_(None),
    )


def _answers_json(dialect: str):
    """The attempt's saved answers as the page takes them, ``{"<question id>": {"answer": …,
    "seq": …}}``, built by the database as JSON text: a hundred answers are then one value
    spliced into the response, not a hundred rows to decode and encode again."""
    answer = AttemptAnswer
    if dialect == "postgresql":
        pairs = func.json_object_agg(
            answer.question_id,
            func.json_build_object(
                literal_column("'answer'"), answer.response, literal_column("'seq'"), answer.seq
            ),
        )
    else:
        pairs = func.json_group_object(
            answer.question_id,
            func.json_object(
                literal_column("'answer'"),
                func.json(answer.response),
                literal_column("'seq'"),
                answer.seq,
            ),
        )
    return select(cast(pairs, Text)).where(answer.attempt_id == Attempt.id).scalar_subquery()


@cache
def _sitting_query(dialect: str):
    return (
        select(
            Attempt.paper_json,
            Attempt.deadline,
            Attempt.submitted_at,
            _answers_json(dialect).label("answers"),
        )
        .select_from(Attempt)
        .join(User, User.id == Attempt.user_id)
        .join(LoginSession, LoginSession.user_id == User.id)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(*_owned())
    )


@cache
def _save_statement(dialect: str):
    """The guarded upsert, built once (building it costs more than running it)."""
    source = (
        select(
            Attempt.id,
            bindparam("question_id", type_=Integer),
            bindparam("response", type_=AttemptAnswer.response.type),
            bindparam("seq", type_=Integer),
            bindparam("now", type_=AttemptAnswer.saved_at.type),
        )
        .select_from(Attempt)
        .join(User, User.id == Attempt.user_id)
        .join(LoginSession, LoginSession.user_id == User.id)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(
            *_owned(),
            Attempt.submitted_at.is_(None),
            Attempt.deadline >= bindparam("earliest_deadline", type_=Attempt.deadline.type),
        )
        # A submission under way holds the attempt's row: wait for it, then see it
        # submitted (PostgreSQL; SQLite runs one writer at a time anyway).
        .with_for_update(read=True, of=Attempt)
    )
    statement = upsert(dialect)(AttemptAnswer).from_select(
        ["attempt_id", "question_id", "response", "seq", "saved_at"], source
    )
    return statement.on_conflict_do_update(
        index_elements=[AttemptAnswer.attempt_id, AttemptAnswer.question_id],
        set_={
            "response": statement.excluded.response,
            "seq": statement.excluded.seq,
            "saved_at": statement.excluded.saved_at,
        },
        where=AttemptAnswer.seq < statement.excluded.seq,
    ).returning(AttemptAnswer.id)


@cache
def _beat_statement():
    """The heartbeat: the attempt's last contact, if it is this candidate's and under way."""
    mine = (
        select(Attempt.id)
        .join(User, User.id == Attempt.user_id)
        .join(LoginSession, LoginSession.user_id == User.id)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(
            *_owned(),
            Attempt.submitted_at.is_(None),
            Attempt.deadline >= bindparam("earliest_deadline", type_=Attempt.deadline.type),
        )
        .correlate(None)  # a query of its own, not about the attempt being updated
        .scalar_subquery()
    )
    return (
        update(Attempt)
        .where(Attempt.id == mine)
        .values(last_seen_at=bindparam("now", type_=Attempt.last_seen_at.type))
        .returning(Attempt.deadline, Attempt.focus_losses)
    )


@cache
def _paper_query():
    return select(Attempt.user_id, Attempt.seed, Attempt.paper).where(
        Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("owner_id")
    )


def _load_paper(attempt_id: int, user_id: int) -> CachedPaper | None:
    """A paper this process has not kept yet, if it is this user's: one light statement.
    Every process meets every attempt of the exam day once, most at the opening burst, so this
    is what the burst's first saves and heartbeats cost (whether the session is still good and
    the attempt under way, the quick statement that follows checks as always)."""
    rows = run_alone(_paper_query(), {"attempt_id": attempt_id, "owner_id": user_id})
    if not rows:
        return None
    return papers().keep(attempt_id, rows[0].user_id, rows[0].seed, rows[0].paper)


def _cached(attempt_id: int, now: datetime) -> tuple[dict, CachedPaper] | None:
    """The cached paper of this attempt if it is the session's user's, and the parameters of
    ``_owned`` (None: the full path decides)."""
    identity = session_identity()
    if identity is None:
        return None
    paper = papers().get(attempt_id) or _load_paper(attempt_id, identity[0])
    if paper is None or paper.user_id != identity[0]:
        return None
    owned = {
        "attempt_id": attempt_id,
        "owner_id": identity[0],
        "token": identity[1],
        "since": session_cutoff(now),
        "paper_seed": paper.seed,
        "device": current_device(),
    }
    return owned, paper


@dataclass(frozen=True)
class Sitting:
    page_json: str
    deadline: datetime
    submitted: bool
    #: The saved answers as JSON text (``answers_json``).
    answers_json: str


def answers_json(answers: dict[int, tuple[object, int]]) -> str:
    """Saved answers (question id -> (answer, seq)) as the page takes them, as JSON text."""
    return json.dumps(
        {str(q): {"answer": a, "seq": s} for q, (a, s) in answers.items()},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def quick_sitting(attempt_id: int, now: datetime) -> Sitting | None:
    """The paper, deadline, state and saved answers in one statement, or None."""
    cached = _cached(attempt_id, now)
    if cached is None:
        return None
    owned, _paper = cached
    rows = run_alone(_sitting_query(db.engine.dialect.name), owned)
    if not rows or rows[0].submitted_at is None and now > rows[0].deadline + grace():
        return None  # closing and grading an overdue attempt is the full path's work
    row = rows[0]
    return Sitting(row.paper_json, row.deadline, row.submitted_at is not None, row.answers or "{}")


def quick_save(
    attempt_id: int, question_id: int, response: object, seq: object, now: datetime
) -> bool:
    """Store the answer with one guarded upsert; False when the full path must decide."""
    cached = _cached(attempt_id, now)
    if cached is None:
        return False
    owned, paper = cached
    item = paper.items.get(question_id)
    if item is None or not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**31:
        return False
    try:
        value = checked_answer(*item, response)
    except ExamError:
        return False
    return bool(
        run_alone(
            _save_statement(db.engine.dialect.name),
            {
                **owned,
                "question_id": question_id,
                "response": value,
                "seq": seq,
                "now": now,
                "earliest_deadline": now - grace(),
            },
        )
    )


@dataclass(frozen=True)
class Beat:
    deadline: datetime
    focus_losses: int


def quick_heartbeat(attempt_id: int, now: datetime) -> Beat | None:
    """Record the page's last contact with one statement; None when the full path must
    decide (a paper this process has not seen, an overdue or submitted attempt, a refusal)."""
    cached = _cached(attempt_id, now)
    if cached is None:
        return None
    owned, _paper = cached
    rows = run_alone(_beat_statement(), {**owned, "now": now, "earliest_deadline": now - grace()})
    return Beat(rows[0].deadline, rows[0].focus_losses) if rows else None
