"""Papers drawn ahead: kept, claimed by a start, and discarded once stale.

Drawing a paper (the bank's pool, the blueprint's rules, the page's JSON) is the heaviest part
of a start; at the exam's first minute thousands of starts arrive together. Papers are
therefore drawn beforehand (``services.predraw_papers``: when the exam is published, and by the
scheduler until it closes) and each start claims one in a single statement. Which one two
starts claim at once is settled by the database: ``SKIP LOCKED`` on PostgreSQL (neither waits
for the other), SQLite's one writer. A paper drawn from a bank or exam that has changed since
(``drawn_for`` no longer the exam's ``paper_key``) is never claimed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import aliased

from exam.core.extensions import db
from exam.exams.models import DrawnPaper


@dataclass(frozen=True)
class Claimed:
    seed: int
    paper: list
    paper_json: str


def claim(exam_id: int, key: str) -> Claimed | None:
    """Take one paper drawn for this exam as it is now (deleted within the start's own
    transaction: it is back if the start rolls back); None if there is none."""
    waiting = aliased(DrawnPaper)
    pick = (
        select(waiting.id)
        .where(waiting.exam_id == exam_id, waiting.drawn_for == key)
        .order_by(waiting.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = db.session.execute(
        delete(DrawnPaper)
        .where(DrawnPaper.id == pick)
        .returning(DrawnPaper.seed, DrawnPaper.paper, DrawnPaper.paper_json)
        .execution_options(synchronize_session=False)
    ).first()
    return Claimed(row.seed, row.paper, row.paper_json) if row else None


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
