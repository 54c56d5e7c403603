"""Papers drawn ahead: kept, claimed by a start, and discarded once stale.

Drawing a paper (the bank's pool, the blueprint's rules, the page's JSON) is the heaviest part
of a start; at the exam's first minute thousands of starts arrive together. Papers are
therefore drawn beforehand (``services.predraw_papers``: when the exam is published, and by the
scheduler until it closes) and each start claims one in a single statement — on PostgreSQL the
same statement starts the attempt with it (``start_with_claimed``: the paper goes from one table
to the other without passing through the app). Which one two starts claim at once is settled by
the database: ``SKIP LOCKED`` on PostgreSQL (neither waits for the other), SQLite's one
writer. A paper drawn from a bank or exam that has changed since (``drawn_for`` no longer the
exam's ``paper_key``) is never claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Integer, String, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from exam.core.extensions import db
from exam.exams.models import Attempt, DrawnPaper


@dataclass(frozen=True)
class Claimed:
    seed: int
    paper: list
    paper_json: str


@cache
def _claiming():
    """The statement deleting one paper drawn for an exam as it is now (parameters
    ``claim_exam``, ``claim_key``), returning it; built once (building costs about as much as
    running it)."""
    waiting = aliased(DrawnPaper)
    pick = (
        select(waiting.id)
        .where(
            waiting.exam_id == bindparam("claim_exam", type_=Integer),
            waiting.drawn_for == bindparam("claim_key", type_=String),
        )
        .order_by(waiting.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        delete(DrawnPaper)
        .where(DrawnPaper.id == pick)
        .returning(DrawnPaper.seed, DrawnPaper.paper, DrawnPaper.paper_json)
    )


def claim(exam_id: int, key: str) -> Claimed | None:
    """Take one paper drawn for this exam as it is now (deleted within the start's own
    transaction: it is back if the start rolls back); None if there is none. (SQLite's starts;
    PostgreSQL's take theirs in ``start_with_claimed``.)"""
    row = db.session.execute(
        _claiming(),
        {"claim_exam": exam_id, "claim_key": key},
        execution_options={"synchronize_session": False},
    ).first()
    return Claimed(row.seed, row.paper, row.paper_json) if row else None


def claims_into_attempts() -> bool:
    """Whether a start may claim its paper and make its attempt in one statement
    (PostgreSQL: a data-modifying WITH; SQLite has none)."""
    return db.session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class Started:
    """What ``start_with_claimed`` did: whether a paper was waiting (taken, and spent), and
    the attempt it made with it — none if a start racing this one had made that attempt."""

    claimed: bool
    attempt_id: int | None = None
    seed: int | None = None


@cache
def _starting(names: tuple[str, ...]):
    """``start_with_claimed``'s statement for an attempt given these columns (parameters of
    the same names), built once."""
    claimed = _claiming().cte("claimed")
    columns = Attempt.__table__.c
    inserted = (
        pg_insert(Attempt)
        .from_select(
            [*names, "seed", "paper", "paper_json"],
            select(
                *(bindparam(name, type_=columns[name].type) for name in names),
                claimed.c.seed,
                claimed.c.paper,
                claimed.c.paper_json,
            ),
        )
        .on_conflict_do_nothing(index_elements=["exam_id", "user_id", "number"])
        .returning(Attempt.id, Attempt.seed)
        .cte("inserted")
    )
    return select(
        select(func.count()).select_from(claimed).scalar_subquery(),
        select(inserted.c.id).scalar_subquery(),
        select(inserted.c.seed).scalar_subquery(),
    )


def start_with_claimed(exam_id: int, key: str, attempt: dict) -> Started:
    """PostgreSQL: take one paper drawn for this exam as it is now and insert the attempt
    (``attempt``: its columns but the paper's) with it, in one statement. A paper taken by a
    start that loses the race for its attempt number is spent (a rolled-back start would give
    it back): the scheduler draws another."""
    row = db.session.execute(
        _starting(tuple(attempt)), {**attempt, "claim_exam": exam_id, "claim_key": key}
    ).one()
    return Started(bool(row[0]), row[1], row[2])


def waiting(exam_id: int, key: str) -> int:
    """How many papers drawn for this exam as it is now wait to be claimed."""
    return db.session.scalar(
        select(func.count(DrawnPaper.id)).where(
            DrawnPaper.exam_id == exam_id, DrawnPaper.drawn_for == key
        )
    )


def discard_stale(exam_id: int, key: str) -> int:
    """Delete the exam's papers drawn from an older bank or exam; how many."""
    result = db.session.execute(
        delete(DrawnPaper)
        .where(DrawnPaper.exam_id == exam_id, DrawnPaper.drawn_for != key)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def keep(exam_id: int, key: str, seed: int, paper: list, paper_json: str) -> None:
    """Keep a paper drawn ahead (flushed with the caller's transaction)."""
    db.session.add(
        DrawnPaper(exam_id=exam_id, drawn_for=key, seed=seed, paper=paper, paper_json=paper_json)
    )
