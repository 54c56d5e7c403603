"""Reading a run's request log and ledger, and checking the database against the ledger."""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from pathlib import Path

#: A request log row: (start, seconds, ok, HTTP status, outcome); outcome is "ok", "retried"
#: (an error the device sent again), "failed" (one it could not get past) or "offline" (held
#: on the device during a network drop, never sent: status -1, no latency).
Row = tuple[float, float, bool, int, str]


def pick(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, int(-(-fraction * len(values) // 1)) - 1))]


def densest(times: list[float], seconds: float) -> tuple[int, float]:
    """The largest number of sorted times within any window of ``seconds``, and its start."""
    best, best_start = 0, times[0] if times else 0.0
    for i, moment in enumerate(times):
        count = bisect.bisect_right(times, moment + seconds) - i
        if count > best:
            best, best_start = count, moment
    return best, best_start


def read_timings(folder: Path) -> dict[str, list[Row]]:
    requests = defaultdict(list)
    for path in folder.glob("requests-*.csv"):
        for line in path.read_text().splitlines():
            name, start, seconds, status, outcome = line.rsplit(",", 4)
            requests[name].append(
                (float(start), float(seconds), outcome == "ok", int(status), outcome)
            )
    for rows in requests.values():
        rows.sort()
    return requests


def read_ledger(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in folder.glob("ledger-*.jsonl")
        for line in path.read_text().splitlines()
    ]


def endpoint_stats(rows: list[Row]) -> dict:
    """Requests sent, their outcomes and latency (the ones held offline are only counted)."""
    sent = [r for r in rows if r[4] != "offline"]
    latencies = sorted(r[1] for r in sent) or [0.0]
    first = sent[0][0] if sent else 0.0
    last = max((r[0] + r[1] for r in sent), default=first)
    peak, _ = densest([r[0] for r in sent], 10)
    return {
        "requests": len(sent),
        "failures": sum(1 for r in sent if r[4] == "failed"),
        "retried": sum(1 for r in sent if r[4] == "retried"),
        "offline": len(rows) - len(sent),
        "rate": len(sent) / max(last - first, 1e-9),
        "peak_10s_rate": peak / 10,
        "p50": pick(latencies, 0.50),
        "p95": pick(latencies, 0.95),
        "p99": pick(latencies, 0.99),
        "max": latencies[-1],
    }


def asking(moment: float, first: float, period: float, first_on: bool = True) -> bool:
    """Whether the organiser asks for the reports at ``moment`` (``--reports-turns``): turns of
    ``period`` seconds from ``first``, alternating, the first one asking unless ``first_on`` is
    false. The Locust file's organiser and the reading of the run share this rule."""
    return (int((moment - first) // period) % 2 == 0) == first_on


def by_turns(
    rows: list[Row], first: float, period: float, first_on: bool = True
) -> dict[str, list[Row]]:
    """Rows split by when they were sent into the turns with the reports ("on") and without
    ("off"), as ``asking`` says. Rows sent before ``first`` belong to neither; so do the ones
    held offline."""
    turns: dict[str, list[Row]] = {"on": [], "off": []}
    for row in rows:
        if row[4] != "offline" and row[0] >= first:
            turns["on" if asking(row[0], first, period, first_on) else "off"].append(row)
    return turns


#: Fewer requests than this in either kind of turn: too few to read a p95 from.
TURN_MIN_REQUESTS = 200


def turns_table(runs: list[tuple[dict, dict]], names) -> dict:
    """The candidates' p95 with the reports and without, over the turns of one or more runs
    (each a ``(timings, plan)``; a plan holds ``reports_from``, ``reports_turns`` and
    ``reports_first_on``), the requests of all of them pooled. Two runs with their turns the
    other way round give every moment of the exam a run with the reports and one without,
    so that the busy moments (the opening, the submissions) weigh alike on both sides."""
    result = {}
    for name in names:
        pooled: dict[str, list[float]] = {"on": [], "off": []}
        for timings, plan in runs:
            turns = by_turns(
                timings.get(name, []),
                plan["reports_from"],
                plan["reports_turns"],
                plan.get("reports_first_on", True),
            )
            for kind in pooled:
                pooled[kind] += [r[1] for r in turns[kind]]
        on, off = sorted(pooled["on"]), sorted(pooled["off"])
        if not on and not off:
            continue
        entry = result[name] = {
            "requests_on": len(on),
            "requests_off": len(off),
            "p95_on": pick(on, 0.95) if on else None,
            "p95_off": pick(off, 0.95) if off else None,
            "growth": None,
        }
        if min(len(on), len(off)) >= TURN_MIN_REQUESTS and entry["p95_off"] > 0:
            entry["growth"] = entry["p95_on"] / entry["p95_off"] - 1
        print(
            f"  {name:<40}without {len(off):>7} requests p95 "
            + (f"{entry['p95_off'] * 1000:>6.1f} ms" if off else "     -   ")
            + f", with {len(on):>7} p95 "
            + (f"{entry['p95_on'] * 1000:>6.1f} ms" if on else "     -   ")
            + (f"  ({entry['growth']:+.0%})" if entry["growth"] is not None else "  (too few)")
        )
    return result


def window_stats(rows: list[Row], seconds: float) -> dict:
    rows = [r for r in rows if r[4] != "offline"]
    if not rows:
        return {"count": 0}
    count, begin = densest([r[0] for r in rows], seconds)
    inside = [r for r in rows if begin <= r[0] <= begin + seconds]
    latencies = sorted(r[1] for r in inside)
    return {
        "count": count,
        "failures": sum(1 for r in inside if not r[2]),
        "p50": pick(latencies, 0.5),
        "p95": pick(latencies, 0.95),
        "p99": pick(latencies, 0.99),
        "max": latencies[-1],
        "span_all": rows[-1][0] - rows[0][0],
    }


def _acknowledged(ledger: list[dict]) -> dict[tuple[int, int], tuple[int, object]]:
    """The last acknowledged value of each (attempt, question)."""
    acked: dict[tuple[int, int], tuple[int, object]] = {}
    for entry in ledger:
        if entry["kind"] == "ack":
            key = (entry["attempt"], entry["question"])
            if key not in acked or acked[key][0] < entry["seq"]:
                acked[key] = (entry["seq"], entry["answer"])
    return acked


def check_database(url: str, ledger: list[dict]) -> dict:
    """Compare the server's rows with what the candidates were told: every acknowledged answer
    stored with its last value; each attempt graded exactly once (by its candidate or by the
    scheduler, never both), with the score the candidate was shown and the same again when
    graded afresh; at most one certificate an attempt."""
    from sqlalchemy import func, select

    from exam import create_app
    from exam.certificates.models import Certificate
    from exam.core.extensions import db
    from exam.exams import services
    from exam.exams.models import Attempt, AttemptAnswer

    acked = _acknowledged(ledger)
    submitted = {e["attempt"]: e for e in ledger if e["kind"] == "submit"}
    started = {e["attempt"] for e in ledger if e["kind"] == "start"}

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        stored = {
            (r.attempt_id, r.question_id): (r.seq, r.response)
            for r in db.session.execute(
                select(
                    AttemptAnswer.attempt_id,
                    AttemptAnswer.question_id,
                    AttemptAnswer.seq,
                    AttemptAnswer.response,
                )
            )
        }
        lost = []
        for key, (seq, answer) in acked.items():
            row = stored.get(key)
            if row is None or row[0] < seq or (row[0] == seq and row[1] != answer):
                lost.append(
                    {
                        "attempt": key[0],
                        "question": key[1],
                        "acknowledged": [seq, answer],
                        "stored": row,
                    }
                )
        newer = sum(1 for key, (seq, _) in acked.items() if key in stored and stored[key][0] > seq)
        unacknowledged = sum(1 for key in stored if key not in acked)

        attempts = db.session.scalars(select(Attempt)).all()
        per_user = db.session.execute(
            select(Attempt.user_id, func.count()).group_by(Attempt.user_id)
        ).all()
        certificates = db.session.execute(
            select(Certificate.attempt_id, func.count())
            .where(Certificate.attempt_id.is_not(None))
            .group_by(Certificate.attempt_id)
        ).all()
        states = [(a.id, a.submitted_at is not None, a.auto_submitted, a.score) for a in attempts]
        problems, graded, regraded_differs, score_differs = [], 0, 0, 0
        for attempt in attempts:
            if attempt.submitted_at is None:
                continue
            if attempt.score is None or attempt.result is None or attempt.passed is None:
                problems.append(f"attempt {attempt.id} submitted but not graded")
                continue
            graded += 1
            client = submitted.get(attempt.id)
            if client is not None and attempt.auto_submitted:
                problems.append(f"attempt {attempt.id} submitted by its candidate and closed again")
            if client is not None and abs(client["score"] - attempt.score) > 1e-9:
                score_differs += 1
            # Graded again from the answers as they are stored now, it gets the same score: the
            # grade was taken after the last answer.
            score = attempt.score
            with db.session.no_autoflush:
                services.grade(attempt)
            if abs(attempt.score - score) > 1e-9:
                regraded_differs += 1
        db.session.rollback()
        db.engine.dispose()
    auto = {key for key, _, is_auto, _ in states if is_auto}
    return {
        "acknowledged_answers": len(acked),
        "stored_answers": len(stored),
        "lost_answers": len(lost),
        "lost_examples": lost[:5],
        "stored_newer_than_acknowledged": newer,
        "stored_without_acknowledgement": unacknowledged,
        "attempts": len(states),
        "attempts_started_by_client": len(started),
        "candidates_with_more_than_one_attempt": sum(1 for _, n in per_user if n > 1),
        "submitted_by_client": len(submitted),
        "submitted_in_database": sum(1 for _, done, _, _ in states if done),
        "not_submitted": sum(1 for _, done, _, _ in states if not done),
        "auto_submitted": len(auto),
        "left_to_the_scheduler": len(started - set(submitted)),
        "closed_by_the_scheduler": len(auto & (started - set(submitted))),
        "client_submissions_graded": sum(
            1 for key, done, _, score in states if key in submitted and done and score is not None
        ),
        "graded": graded,
        "attempts_with_more_than_one_certificate": sum(1 for _, n in certificates if n > 1),
        "grading_problems": problems[:5] + ([f"... {len(problems)} in all"] if problems else []),
        "score_differs_from_client": score_differs,
        "regrade_differs": regraded_differs,
    }


def open_attempts(url: str) -> int:
    """Attempts not submitted yet (the scheduler closes the overdue ones)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                text("SELECT count(*) FROM attempt WHERE submitted_at IS NULL")
            )
    finally:
        engine.dispose()
