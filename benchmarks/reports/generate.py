"""Generate the province-sized data set into a migrated, empty PostgreSQL database."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import psycopg

from benchmarks.reports import activity, attempts, register
from benchmarks.reports.copying import copy_rows, put_back_keys, reset_sequences, take_off_keys

#: Tables whose keys and indexes are taken off while loading (put back, by name, afterwards).
BIG_TABLES = [
    "attempt",
    "attempt_answer",
    "attempt_item",
    "certificate",
    "enrolment",
    "screening_attendance",
    "person",
    "user",
    "employment",
    "enterprise",
    "enterprise_sector",
    "question",
    "question_version",
]


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def generate(
    url: str, *, people: int, enterprises: int, attempts_target: int, seed: int = 2026, log=print
) -> dict:
    """Fill the database; returns row counts and the seconds each phase took."""
    url = libpq_url(url)
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    reg = register.Register(now=now)
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        restore = take_off_keys(conn, BIG_TABLES)
        conn.commit()
        mark = time.perf_counter()
        counts.update(
            register.load_register(
                conn, reg, rng, people=people, enterprises=enterprises, towns=120, questions=1000
            )
        )
        exams = attempts.plan_exams(reg)
        counts["exam"] = copy_rows(
            conn, "exam", attempts.EXAM_COLUMNS, attempts.exam_rows(reg, exams)
        )
        conn.commit()
        timings["register, bank and exams"] = time.perf_counter() - mark
        log(
            f"  register: {counts['person']:,} people, {counts['enterprise']:,} enterprises, "
            f"{counts['question']:,} questions, {counts['exam']} exams ({timings['register, bank and exams']:.1f} s)"
        )
        mark = time.perf_counter()
        with psycopg.connect(url) as answer_conn:
            outcome = attempts.load_attempts(conn, answer_conn, reg, rng, exams, attempts_target)
            answer_conn.commit()
        conn.commit()
        counts["attempt"], counts["attempt_answer"] = outcome.attempts, outcome.answers
        timings["attempts and answers"] = time.perf_counter() - mark
        log(
            f"  {outcome.attempts:,} attempts ({outcome.cancelled:,} cancelled), {outcome.answers:,} answers "
            f"({timings['attempts and answers']:.1f} s)"
        )
        mark = time.perf_counter()
        counts["attempt_item"] = fill_attempt_items(url)
        timings["attempt items"] = time.perf_counter() - mark
        log(
            f"  {counts['attempt_item']:,} attempt items, from the results and answers by migration 0012's "
            f"backfill ({timings['attempt items']:.1f} s)"
        )
        mark = time.perf_counter()
        counts["certificate"] = activity.load_certificates(conn, reg, rng, outcome)
        counts.update(activity.load_training(conn, reg, rng, sessions=2400, per_session=120))
        counts.update(activity.load_screenings(conn, reg, rng, screenings=1200, named=150))
        reset_sequences(conn)
        conn.commit()
        timings["certificates, training, screenings"] = time.perf_counter() - mark
        log(
            f"  {counts['certificate']:,} certificates, {counts['enrolment']:,} enrolments, "
            f"{counts['screening_attendance']:,} named screening attendances "
            f"({timings['certificates, training, screenings']:.1f} s)"
        )
    timings["keys and indexes"] = put_back_keys(url, restore)
    log(f"  keys and indexes put back ({timings['keys and indexes']:.1f} s)")
    mark = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    timings["vacuum analyze"] = time.perf_counter() - mark
    log(f"  VACUUM ANALYZE ({timings['vacuum analyze']:.1f} s)")
    timings["total"] = time.perf_counter() - started
    return {"counts": counts, "timings": timings}


def fill_attempt_items(url: str) -> int:
    """``attempt_item`` from the attempts' results, papers and answers, by the same set-based
    SQL as migration 0012 (its keys are off while it runs, put back with the others)."""
    from sqlalchemy import create_engine, text

    from exam.exams.attempt_items import backfill

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL work_mem = '256MB'"))
            conn.execute(text("SET LOCAL jit = off"))
            return backfill(conn)
    finally:
        engine.dispose()


def database_size(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The database's size and its largest tables (with their indexes and TOAST)."""
    with psycopg.connect(libpq_url(url)) as conn:
        total = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]
        tables = conn.execute("""
            SELECT relname, pg_size_pretty(pg_total_relation_size(c.oid)) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r'
            ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 6""").fetchall()
    return total, tables
