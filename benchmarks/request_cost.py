"""What one exam-day request costs the app process: CPU and SQL statements per request.

    python benchmarks/request_cost.py [--candidates 300] [--root OTHER_CHECKOUT] [--profile start]
                                      [--show start]

Builds a fresh PostgreSQL database on 127.0.0.1 (as ``exam_day/prepare.py`` does: a bank, one
open exam with its papers drawn ahead, the candidates), then plays each candidate in turn
through Flask's test client, in this process: log in, start, fetch the paper, ten saves,
submit. Prints, per kind of request, the mean and median CPU time of this process
(``time.process_time``: PostgreSQL's own work is not in it) and the statements it sent.
Requests run one at a time, so the figures are what a request costs, not how it queues.

``--root`` measures another checkout (e.g. a ``git worktree`` of an older commit) with this
script, for old and new side by side; ``--profile KIND`` prints a cProfile of that kind,
``--show KIND`` the statements the last request of that kind sent.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
#: An answer of each kind (a fill-in question: one per blank).
ANSWERS = {"single": "A", "truefalse": True, "multiple": "AB"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--root", default=str(ROOT), help="the checkout to measure")
    parser.add_argument("--profile", action="append", default=[], help="a kind to profile")
    parser.add_argument("--show", action="append", default=[], help="a kind's statements")
    args = parser.parse_args()
    sys.path.insert(0, args.root)
    from benchmarks.exam_day import prepare as day

    name = day.create_database()
    try:
        measure(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", args, day)
    finally:
        day.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def measure(url: str, args, day) -> None:
    from sqlalchemy import event

    import exam
    from exam import create_app
    from exam.core.extensions import db

    if not exam.__file__.startswith(str(Path(args.root).resolve())):
        raise SystemExit(f"{args.root}: exam was imported from {exam.__file__} instead")
    logins, info = day.prepare_day(url, args.candidates, 40, cheap=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_METHOD": day.CHEAP_HASH,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    kind = ["-"]
    statements: collections.Counter = collections.Counter()
    cpu: dict[str, list[float]] = collections.defaultdict(list)
    profiles = {k: cProfile.Profile() for k in args.profile}
    with app.app_context():
        engine = db.engine
    sent: dict[str, list[str]] = collections.defaultdict(list)  # by the last request of a kind

    def count(_conn, _cursor, statement, *_args):
        statements.update([kind[0]])
        sent[kind[0]].append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", count)

    def run(what: str, request):
        kind[0] = what
        sent[what] = []
        profile = profiles.get(what)
        began = time.process_time()
        if profile:
            profile.enable()
        response = request()
        if profile:
            profile.disable()
        cpu[what].append(time.process_time() - began)
        assert response.status_code < 300, (what, response.status_code, response.data[:300])
        return response

    players = []
    for login in logins:
        client = app.test_client()
        response = run("login", lambda c=client, lg=login: c.post("/api/v1/login", json=lg))
        players.append((client, {"X-CSRFToken": response.json["csrf_token"]}))
    exam_id = info["exam_id"]
    papers = []
    for client, headers in players:
        started = run(
            "start",
            lambda c=client, h=headers: c.post(
                f"/api/v1/exams/{exam_id}/attempts", json={}, headers=h
            ),
        )
        attempt = started.json["attempt_id"]
        paper = run("paper", lambda c=client, a=attempt: c.get(f"/api/v1/attempts/{a}"))
        # Only what the saves need: holding every paper as parsed would double the live heap
        # the garbage collector walks, which a worker does not hold (3-4 % of its CPU is GC).
        questions = [
            {"question_id": q["question_id"], "kind": q["kind"], "blanks": q["blanks"]}
            for q in paper.json["paper"]["questions"][:10]
        ]
        papers.append((client, headers, attempt, questions))
    for client, headers, attempt, questions in papers:
        for seq, question in enumerate(questions[:10], 1):
            answer = ANSWERS.get(question["kind"]) or ["答案"] * question["blanks"]
            url = f"/api/v1/attempts/{attempt}/answers/{question['question_id']}"
            run(
                "save",
                lambda c=client, h=headers, u=url, a=answer, s=seq: c.put(
                    u, json={"answer": a, "seq": s}, headers=h
                ),
            )
    for client, headers, attempt, _questions in papers:
        run(
            "submit",
            lambda c=client, h=headers, a=attempt: c.post(
                f"/api/v1/attempts/{a}/submit", headers=h
            ),
        )
    print(f"{args.root}: {args.candidates} candidates, PostgreSQL, one request at a time")
    print(f"  {'request':8} {'n':>6} {'CPU mean ms':>12} {'median ms':>10} {'statements':>11}")
    for what, times in cpu.items():
        times.sort()
        print(
            f"  {what:8} {len(times):6d} {1000 * sum(times) / len(times):12.2f} "
            f"{1000 * times[len(times) // 2]:10.2f} {statements[what] / len(times):11.1f}"
        )
    for what in args.show:
        print(f"=== {what}: the last one's statements")
        for statement in sent[what]:
            print(f"  {statement[:300]}")
    for what, profile in profiles.items():
        print(f"=== {what}")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    engine.dispose()


if __name__ == "__main__":
    main()
