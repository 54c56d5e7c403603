"""Generate a province-sized data set on PostgreSQL and time every report.

    python -m benchmarks.reports                      # new database, generate, time, drop it
    python -m benchmarks.reports --keep               # ... and keep the database (its URL is printed)
    python -m benchmarks.reports --url URL            # time again on a database made with --keep
    python -m benchmarks.reports --url URL --drop     # ... and drop it afterwards

Run from the repository root. Defaults: 100,000 people in 25,000 enterprises, 500,000 attempts
of 40 questions (20,000,000 answers); ``--people/--enterprises/--attempts`` make a smaller set.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))
os.environ.setdefault("ANPEI_INSTANCE_PATH", tempfile.mkdtemp(prefix="anpei-bench-reports-"))

import psycopg  # noqa: E402

from benchmarks.reports.generate import database_size, generate, libpq_url  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def create_database() -> str:
    name = f"anpei_bench_reports_{datetime.now(UTC):%Y%m%d_%H%M%S}"
    with psycopg.connect(libpq_url(f"{SERVER}/postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{SERVER}/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(libpq_url(f"{SERVER}/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def upgrade(url: str) -> None:
    """``flask db upgrade`` through the app factory, as the tests do."""
    from flask_migrate import upgrade as alembic_upgrade

    from exam import create_app
    from exam.core.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        alembic_upgrade()
        db.engine.dispose()


def keep_candidacies(url: str) -> None:
    """Fill what the reports keep (``exam.reports.kept.candidacy``, ``hourskept``): the generator writes attempts
    with COPY, past the app's hooks, as a migration's backfill would meet them. Timed: the
    rebuild is what migration 0013 runs on an existing installation, and the rosters are what
    the scheduler (or the first report) takes for the exams that have closed."""
    from exam import create_app
    from exam.core.extensions import db
    from exam.reports.kept import hours as hourskept
    from exam.reports.kept.candidacy import rebuild, take_rosters

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        started = time.perf_counter()
        rebuild()
        hourskept.rebuild()
        db.session.commit()
        built = time.perf_counter() - started
        started = time.perf_counter()
        exams = take_rosters(datetime.now(UTC))
        db.session.commit()
        print(
            f"Candidacies, latest results and hours rebuilt in {built:.1f} s; "
            f"rosters of {exams} closed exams taken in {time.perf_counter() - started:.1f} s"
        )
        db.engine.dispose()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:  # as autovacuum would, in time
        for table in ("candidacy", "last_result", "person_hours", "roster"):
            conn.execute(f"VACUUM ANALYZE {table}")


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        server = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        server = "?"
    return (
        f"{os.cpu_count()} CPUs, {memory:.0f} GiB RAM, Python {platform.python_version()}, "
        f"PostgreSQL {server}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", help="an existing generated database (made with --keep): time only"
    )
    parser.add_argument("--keep", action="store_true", help="keep the new database for later runs")
    parser.add_argument("--drop", action="store_true", help="drop the --url database at the end")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, default=25_000)
    parser.add_argument("--attempts", type=int, default=500_000)
    parser.add_argument(
        "--runs", type=int, default=5, help="timed runs per report (the median is shown)"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of reports over target"
    )
    parser.add_argument(
        "--only", help="time only the reports whose name contains this (comma-separated)"
    )
    parser.add_argument(
        "--jit-off",
        action="store_true",
        help="time with PostgreSQL's JIT compilation off for every connection (PGOPTIONS)",
    )
    parser.add_argument("--no-timing", action="store_true", help="generate only")
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}")
    url, made = args.url, False
    try:
        if url is None:
            url, made = create_database(), True
            print(f"Database: {url}")
            started = time.perf_counter()
            upgrade(url)
            print(f"Migrated in {time.perf_counter() - started:.1f} s; generating …")
            result = generate(
                url, people=args.people, enterprises=args.enterprises, attempts_target=args.attempts
            )
            print(
                f"Generated in {result['timings']['total']:.0f} s "
                f"({result['timings']['total'] / 60:.1f} min)"
            )
            keep_candidacies(url)
        total, tables = database_size(url)
        print(
            f"Database size: {total}; largest tables: "
            + ", ".join(f"{name} {size}" for name, size in tables)
        )
        if not args.no_timing:
            from benchmarks.reports.timing import run_all

            if args.jit_off:
                os.environ["PGOPTIONS"] = (os.environ.get("PGOPTIONS", "") + " -c jit=off").strip()
                print("JIT off for every connection of the app (PGOPTIONS=-c jit=off)")
            run_all(url, runs=args.runs, explain=args.explain, only=args.only)
    finally:
        if (made and not args.keep) or (args.url and args.drop):
            drop_database(url)
            print(f"Dropped {url.rsplit('/', 1)[1]}")
        elif made:
            print(f"Kept: time again with  python -m benchmarks.reports --url {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
