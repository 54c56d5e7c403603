"""Answer saves on a SQLite file while another writer holds the lock: old setting against new.

    python benchmarks/sqlite_locking.py [--writers 8] [--seconds 20] [--hold 6] [--every 10]
                                        [--timeout 30]

Builds one SQLite file with a 100-question exam and a candidate per writer (each with an
attempt under way), then, for each setting, copies it and runs ``--writers`` processes (as
gunicorn's workers would be), each a candidate saving answer after answer through the app's
own test client (the whole Flask stack, the API's quick save), for ``--seconds``. Beside them
one more process stands for a long write (a big import, a report kept, grading at the close):
every ``--every`` seconds it takes the write lock and holds it ``--hold`` seconds.

The settings:
  old  rollback journal, SQLite's 5 s busy wait (the code before WAL: pysqlite's default)
  new  WAL and ANPEI_SQLITE_BUSY_TIMEOUT = ``--timeout`` seconds
Prints, per setting, the saves, the failures by status and the latency (median, 95th and
99th percentile, slowest) in milliseconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import multiprocessing
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))


def _exam_api_bench():
    spec = importlib.util.spec_from_file_location(
        "exam_api_run", ROOT / "benchmarks/exam_api/run.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_app(path: Path, setting: str, timeout: int):
    import exam.core.database
    from exam import create_app

    if setting == "old":  # the code before: no connect event, pysqlite's 5 s wait
        exam.core.database.init_app = lambda app: None
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "SQLITE_BUSY_TIMEOUT": timeout,
            "PASSWORD_METHOD": "pbkdf2:sha256:1000",
        }
    )


def writer(index, path, setting, timeout, seconds, ready, results):
    """One candidate saving answer after answer until the time is up."""
    bench = _exam_api_bench()
    from exam.core.identifiers import id_check_char

    app = make_app(path, setting, timeout)
    app.logger.setLevel(logging.ERROR)  # a refused save's warning line is counted, not printed
    client = app.test_client()
    first = f"370102{'19800101'}{(index + 1) % 1000:03d}"

    def until_ok(call):  # setting up is not what is measured: a refused request is sent again
        for _ in range(20):
            response = call()
            if response.status_code == 200:
                return response.get_json()
            time.sleep(0.5)
        raise AssertionError(response.get_data(as_text=True))

    until_ok(
        lambda: client.post(
            "/api/v1/login",
            json={"login": first + id_check_char(first), "password": bench.PASSWORD},
        )
    )
    attempt = until_ok(lambda: client.get("/api/v1/me/exams"))[0]["open_attempt_id"]
    paper = until_ok(lambda: client.get(f"/api/v1/attempts/{attempt}"))["paper"]
    questions = [q["question_id"] for q in paper["questions"]]
    rows, seq = [], 0
    ready.wait()  # every writer has logged in and fetched its paper
    start_at = time.time()
    while time.time() < start_at + seconds:
        seq += 1
        question = questions[seq % len(questions)]
        began = time.perf_counter()
        status = client.put(
            f"/api/v1/attempts/{attempt}/answers/{question}",
            json={"answer": "ABCD"[seq % 4], "seq": seq},
        ).status_code
        rows.append((time.perf_counter() - began, status))
    results.put(rows)


def long_writer(path, hold, every, seconds, ready):
    """Takes the write lock every ``every`` seconds and keeps it ``hold`` seconds."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=60)
    ready.wait()
    start_at = time.time()
    next_at = start_at + 1
    while next_at + hold < start_at + seconds:
        time.sleep(max(0.0, next_at - time.time()))
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE exam SET title = title")
        time.sleep(hold)
        connection.execute("COMMIT")
        next_at += every
    connection.close()


def run(template: Path, folder: Path, setting: str, args) -> dict:
    path = folder / f"{setting}.sqlite"
    shutil.copy(template, path)
    with sqlite3.connect(path) as connection:
        mode = "delete" if setting == "old" else "wal"
        connection.execute(f"PRAGMA journal_mode={mode}")
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    ready = context.Barrier(args.writers + (1 if args.hold else 0))
    processes = [
        context.Process(
            target=writer,
            args=(i, path, setting, args.timeout, args.seconds, ready, results),
        )
        for i in range(args.writers)
    ]
    if args.hold:
        processes.append(
            context.Process(
                target=long_writer, args=(path, args.hold, args.every, args.seconds, ready)
            )
        )
    for process in processes:
        process.start()
    rows = [row for _ in range(args.writers) for row in results.get(timeout=args.seconds + 120)]
    for process in processes:
        process.join()
        assert process.exitcode == 0
    latencies = sorted(seconds * 1000 for seconds, _status in rows)
    statuses = Counter(status for _seconds, status in rows)

    def pick(fraction: float) -> float:
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))]

    return {
        "setting": setting,
        "saves": len(rows),
        "failed": {s: n for s, n in statuses.items() if s != 200},
        "median": statistics.median(latencies),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": latencies[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--hold", type=float, default=6.0, help="0: no long writer")
    parser.add_argument("--every", type=float, default=10.0)
    parser.add_argument("--timeout", type=int, default=30, help="the new busy timeout, seconds")
    parser.add_argument("--settings", default="old,new")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="anpei-sqlite-locking-"))
    template = folder / "template.sqlite"
    # Built in a process of its own, whose connections close with it: the last one to close
    # folds the WAL back into the file, which is then copied whole.
    context = multiprocessing.get_context("fork")
    builder = context.Process(
        target=_exam_api_bench().prepare, args=(f"sqlite:///{template}", args.writers)
    )
    builder.start()
    builder.join()
    assert builder.exitcode == 0
    with sqlite3.connect(template) as connection:
        connection.execute("PRAGMA journal_mode=delete")
    print(
        f"{args.writers} writers, {args.seconds} s, long writer holding the lock "
        f"{args.hold} s every {args.every} s; new busy timeout {args.timeout} s"
    )
    print(
        f"{'setting':8} {'saves':>6} {'failed':>14} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}"
    )
    for setting in args.settings.split(","):
        r = run(template, folder, setting, args)
        failed = ", ".join(f"{n}×{s}" for s, n in sorted(r["failed"].items())) or "0"
        print(
            f"{r['setting']:8} {r['saves']:>6} {failed:>14} {r['median']:>8.1f} "
            f"{r['p95']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f}"
        )
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
