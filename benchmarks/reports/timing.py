"""Time every report on the generated database, as the bureau's administrator.

Each report runs once to warm up, then ``runs`` times; the median is shown with the number of
SQL statements one run issued. A report whose function is not there (yet) shows "missing".
With ``explain``, the slowest statement of every report over its target is run again under
EXPLAIN (ANALYZE, BUFFERS) and its plan printed.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import event, select, text

MISSING = "missing"
#: A report whose warm-up takes longer than this is timed once, not ``runs`` times.
SLOW = 20.0


@dataclass
class Result:
    name: str
    target: float | None
    median: float | None = None
    statements: int | None = None
    note: str = ""
    slowest: tuple[float, str, object] | None = None

    @property
    def met(self) -> str:
        if self.median is None or self.target is None:
            return "—"
        return "yes" if self.median <= self.target else "**no**"


def _function(module: str, name: str) -> Callable:
    """The report function, looked up when called (its module may still be being written)."""
    return getattr(importlib.import_module(f"exam.reports.{module}"), name)


class _Recorder:
    """Counts the statements of a run and remembers the slowest one (for EXPLAIN)."""

    def __init__(self, engine):
        self.engine, self.count, self.slowest, self._started = engine, 0, None, None

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - self._started
        self.count += 1
        if self.slowest is None or took > self.slowest[0]:
            self.slowest = (took, statement, parameters)


def reports(
    admin, organiser, now: datetime, exam_id: int, question_id: int, person, enterprise
) -> list:
    """(name, target in seconds or None, call) for every report."""
    year = now.year
    first, last = date(year, 1, 1), date(year, 12, 31)
    entries = [
        (
            "dashboard (admin, this year)",
            1.0,
            lambda: _function("figures", "dashboard")(admin, year, now),
        ),
        (
            "dashboard (organiser, 5 towns)",
            1.0,
            lambda: _function("figures", "dashboard")(organiser, year, now),
        ),
    ]
    for group_by in ("exam", "sector", "role", "enterprise", "town", "month"):
        entries.append(
            (
                f"pass rates by {group_by} (this year)",
                1.0,
                lambda g=group_by: _function("figures", "pass_rates")(
                    admin, group_by=g, date_from=first, date_to=last, now=now
                ),
            )
        )
    entries += [
        (
            "pass rates by sector (two years)",
            1.0,
            lambda: _function("figures", "pass_rates")(
                admin, group_by="sector", date_from=date(year - 2, 1, 1), date_to=last, now=now
            ),
        ),
        (
            "100% tracker, first page",
            1.0,
            lambda: _function("tracker", "page")(admin, page=1, now=now),
        ),
        (
            "100% tracker, first page of not passed",
            1.0,
            lambda: _function("tracker", "page")(admin, status="not_passed", page=1, now=now),
        ),
        (
            "100% tracker, first page (organiser)",
            1.0,
            lambda: _function("tracker", "page")(organiser, page=1, now=now),
        ),
        (
            "item analysis of the biggest exam",
            2.0,
            lambda: _function("items", "exam_items")(admin, exam_id),
        ),
        (
            "one question over all its uses",
            None,
            lambda: _function("items", "question_items")(admin, question_id),
        ),
        (
            "topic weaknesses by sector (this year)",
            None,
            lambda: _function("weakness", "heat")(
                admin, by="sector", date_from=first, date_to=last
            ),
        ),
        (
            "topic weaknesses by role (this year)",
            None,
            lambda: _function("weakness", "heat")(admin, by="role", date_from=first, date_to=last),
        ),
        (
            "file of one person (page data)",
            None,
            lambda: _function("files", "person_file_data")(person),
        ),
        (
            "file of one person as PDF",
            None,
            lambda: _function("files", "file_pdf")(_function("files", "person_file_data")(person)),
        ),
        (
            f"file of the largest enterprise ({len(enterprise.people)} people, page data)",
            None,
            lambda: _function("files", "enterprise_file_data")(enterprise),
        ),
        (
            "file of the largest enterprise as PDF",
            None,
            lambda: _function("files", "file_pdf")(
                _function("files", "enterprise_file_data")(enterprise)
            ),
        ),
        (
            "file of the largest enterprise as .xlsx",
            None,
            lambda: _function("files", "file_xlsx")(
                _function("files", "enterprise_file_data")(enterprise)
            ),
        ),
    ]
    return entries


def _measure(app, db, name, target, call, runs: int) -> Result:
    result = Result(name, target)
    times = []
    try:
        number, planned = 0, runs
        while number <= planned:
            db.session.expire_all()
            with _Recorder(db.engine) as recorder:
                started = time.perf_counter()
                call()
                took = time.perf_counter() - started
            db.session.rollback()
            if number:  # the first run warms up
                times.append(took)
                if result.slowest is None or recorder.slowest[0] > result.slowest[0]:
                    result.slowest = recorder.slowest
            elif took > SLOW:
                planned = 1  # far over any target: one timed run says enough
                result.note = "1 run"
            result.statements = recorder.count
            number += 1
    except (ImportError, AttributeError) as error:
        result.note = (
            MISSING
            if "exam.reports" in str(error) or "has no attribute" in str(error)
            else repr(error)
        )
        db.session.rollback()
        return result
    except Exception as error:  # noqa: BLE001 - a broken report is reported, the rest still run
        result.note = f"error: {error!r}"[:200]
        db.session.rollback()
        return result
    result.median = statistics.median(times)
    return result


def _explain(db, result: Result) -> None:
    took, statement, parameters = result.slowest
    print(f"\n### {result.name}: slowest statement {took:.3f} s\n")
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            for (line,) in cursor.fetchall():
                print(line)
        conn.rollback()


def check_shapes(app, db, sample: int = 20) -> None:
    """Re-grade a few generated attempts with the app's own ``grade()``: the stored score and
    result must come back unchanged (the generator writes the app's exact JSON shapes), and so
    must their ``attempt_item`` rows (filled by the backfill's SQL, rewritten by ``grade()``)."""
    import json

    from exam.exams.models import Attempt, AttemptItem
    from exam.exams.services import grade

    def item_rows(attempt_id):
        return sorted(
            db.session.execute(
                select(
                    AttemptItem.question_id,
                    AttemptItem.score,
                    AttemptItem.points,
                    AttemptItem.answer,
                ).where(AttemptItem.attempt_id == attempt_id)
            ).all()
        )

    ids = db.session.scalars(
        text("SELECT id FROM attempt TABLESAMPLE SYSTEM (1) LIMIT :n"), {"n": sample}
    ).all()
    for attempt_id in ids:
        attempt = db.session.get(Attempt, attempt_id)
        stored = (attempt.score, attempt.passed, json.dumps(attempt.result, sort_keys=True))
        filled = item_rows(attempt_id)
        json.loads(attempt.paper_json)
        grade(attempt)
        if (attempt.score, attempt.passed, json.dumps(attempt.result, sort_keys=True)) != stored:
            raise SystemExit(
                f"attempt {attempt_id}: the app grades it differently from the generator"
            )
        if attempt.submitted_at is not None and item_rows(attempt_id) != filled:
            raise SystemExit(
                f"attempt {attempt_id}: its attempt_item rows differ from what grade() writes"
            )
    db.session.rollback()
    print(
        f"Checked: the app's grade() gives back the stored result and attempt_item rows of {len(ids)} "
        "sampled attempts"
    )


def run_all(
    url: str, *, runs: int = 5, explain: bool = False, only: str | None = None
) -> list[Result]:
    """Time every report on the database at ``url`` and print the table."""
    from flask_login import login_user

    from exam import create_app
    from exam.auth.models import User, UserRole
    from exam.core.extensions import db
    from exam.exams.models import Attempt
    from exam.people.models import Enterprise, Person

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    now = datetime.now(UTC).replace(microsecond=0)
    results = []
    with app.test_request_context("/"):
        admin = db.session.scalar(select(User).where(User.role == UserRole.ADMIN).order_by(User.id))
        organiser = db.session.scalar(select(User).where(User.username == "organiser1"))
        exam_id, sat = db.session.execute(
            select(Attempt.exam_id, text("count(*)"))
            .group_by(Attempt.exam_id)
            .order_by(text("2 DESC"))
            .limit(1)
        ).one()
        question_id = db.session.scalar(
            text(
                "SELECT question_id FROM attempt_answer WHERE attempt_id = "
                "(SELECT min(id) FROM attempt WHERE exam_id = :e) LIMIT 1"
            ),
            {"e": exam_id},
        )
        person_id = db.session.scalar(
            text(
                'SELECT u.person_id FROM attempt a JOIN "user" u ON u.id = a.user_id JOIN person p ON p.id = u.person_id '
                "WHERE p.enterprise_id IS NOT NULL ORDER BY a.id LIMIT 1"
            )
        )
        person = db.session.get(Person, person_id)
        enterprise = db.session.get(
            Enterprise,
            db.session.scalar(
                text(
                    "SELECT enterprise_id FROM person WHERE enterprise_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
                )
            ),
        )
        check_shapes(app, db)
        login_user(admin)  # the files show full ID numbers to the bureau's administrators
        print(
            f"Biggest exam: #{exam_id} ({sat:,} attempts); question #{question_id}; person #{person.id}; "
            f"largest enterprise #{enterprise.id} ({len(enterprise.people)} people)\n"
        )
        for name, target, call in reports(
            admin, organiser, now, exam_id, question_id, person, enterprise
        ):
            if only and not any(part.strip() in name for part in only.split(",")):
                continue
            result = _measure(app, db, name, target, call, runs)
            results.append(result)
            shown = f"{result.median:.3f}" if result.median is not None else result.note
            print(f"  {name}: {shown}", flush=True)
        print_table(results)
        if explain:
            for result in results:
                if result.met == "**no**" and result.slowest:
                    _explain(db, result)
    return results


def print_table(results: list[Result]) -> None:
    print("\n| report | median s | statements | target | met? |")
    print("|---|---|---|---|---|")
    for r in results:
        median = (
            (f"{r.median:.3f}" + (f" ({r.note})" if r.note else ""))
            if r.median is not None
            else r.note
        )
        target = f"< {r.target:g} s" if r.target else "—"
        print(
            f"| {r.name} | {median} | {r.statements if r.median is not None else '—'} | {target} | {r.met} |"
        )
