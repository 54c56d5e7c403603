"""Exam day under load: N candidates log in, start, answer, autosave and submit.

    pip install '.[bench]'
    python benchmarks/exam_day/run.py                  # realistic: 3,000 candidates, about 40 min
    python benchmarks/exam_day/run.py --stress         # stress: 2,000 candidates, today's pace
    python benchmarks/exam_day/run.py --candidates 150 --login-window 60 --duration 4   # smoke

Realistic mode (the default): passwords hashed as production configures them; candidates log in
over the 10 minutes before the exam opens (a few type a wrong password first), all start within
the first 60 s after it opens, answer a question every 10-40 s with changes of mind and a
heartbeat every 20 s, a few lose the network for a while (their device queue sends again),
most submit in the last 2 minutes of their time and the rest leave it to the scheduler (the real
``anpei-scheduler``, started against the same database) to close their overdue attempts.
Stress mode: cheap password hashes, a save every 2-6 s, short windows (the harness of old).

Builds the data in a fresh PostgreSQL database (or ``--database-url``), starts gunicorn (with
``deploy/gunicorn.conf.py`` when it exists) and beside it the report pool (one process at nice
10, which the organiser's pages go to, as nginx routes ``/reports/`` in ``deploy/``) unless
``--base-url`` names a running deployment,
runs Locust (``locustfile.py``) and ends with the ledger check: every acknowledged answer
stored with its last value, each attempt graded exactly once (those the scheduler closed too).
Prints per endpoint p50/p95/p99, errors the device sent again apart from failures, the
organiser's report pages (``--reports``) apart, and CPU per process group.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))
HERE = Path(__file__).parent

from benchmarks.cluster import REPORT_POOL  # noqa: E402 (the report pool, as deployed)
from benchmarks.exam_day.ledger import (  # noqa: E402
    TURN_MIN_REQUESTS,
    check_database,
    densest,  # noqa: F401 (the fault benchmark uses this module's names)
    endpoint_stats,
    open_attempts,
    pick,  # noqa: F401 (the fault benchmark's)
    read_ledger,
    read_timings,
    turns_table,
    window_stats,
)
from benchmarks.exam_day.prepare import (  # noqa: E402
    CHEAP_HASH,
    PASSWORD,  # noqa: F401
    create_database,
    prepare,  # noqa: F401 (the fault benchmark's)
    prepare_day,
    psql,
    schedule_exam,
)
from benchmarks.exam_day.watch import ORDER, CpuSampler  # noqa: E402, F401

ENDPOINTS = (
    "POST /api/v1/login",
    "GET /api/v1/me/exams",
    "POST /api/v1/exams/[id]/attempts",
    "GET /api/v1/attempts/[id]",
    "PUT /api/v1/attempts/[id]/answers/[q]",
    "POST /api/v1/attempts/[id]/submit",
    "POST /api/v1/attempts/[id]/heartbeat",
    "POST /api/v1/login (wrong password)",
)
START, SAVE, SUBMIT = ENDPOINTS[2], ENDPOINTS[4], ENDPOINTS[5]
#: The organiser's pages with ``--reports``: the dashboard, the pass-rate report, the tracker.
REPORTS = {
    "GET /reports/ (dashboard)": "/reports/",
    "GET /reports/pass-rates": "/reports/pass-rates",
    "GET /reports/tracker": "/reports/tracker",
}
#: Turns of the organiser's (``--reports-turns``) no shorter than the pages are kept
#: (``PAGE_CACHE_SECONDS``), so that every turn asking computes them.
TURN_MIN_SECONDS = 30
#: The issue's target: p95 under 1 s (realistic: these endpoints; stress: every one).
TARGET_P95 = 1.0
REALISTIC_TARGETS = (ENDPOINTS[0], *ENDPOINTS[2:6])

REALISTIC = {
    "candidates": 3000,
    "login_window": 600,
    "start_window": 60,
    "duration": 20,
    "submit_window": 120,
    "think": "10,40",
    "change": 0.15,
    "no_submit": 0.05,
    "drops": 0.03,
    "typo": 0.02,
    "heartbeat": 20,
}
STRESS = {
    "candidates": 2000,
    "login_window": 60,
    "start_window": 30,
    "answer_time": 120,
    "submit_window": 60,
    "think": "2,6",
    "change": 0.2,
    "no_submit": 0.0,
    "drops": 0.0,
    "typo": 0.0,
    "heartbeat": 0,
}
QUICK = {"login_window": 10, "start_window": 10, "answer_time": 30, "submit_window": 15}


# --- the processes ----------------------------------------------------------------------------


def server_env(url: str, cheap: bool) -> dict:
    env = {
        **os.environ,
        "ANPEI_DATABASE_URL": url,
        "ANPEI_SECRET_KEY": "bench-secret",
        "ANPEI_ENV": "production",
        # The harness speaks plain HTTP to gunicorn on localhost: cookies must not be Secure.
        "ANPEI_SESSION_COOKIE_SECURE": "0",
    }
    if cheap:
        env["ANPEI_PASSWORD_METHOD"] = CHEAP_HASH
    return env


def start_server(
    url: str, args, log: Path, port: int | None = None, pool: dict | None = None
) -> subprocess.Popen:
    """gunicorn on ``args.port``: with ``deploy/gunicorn.conf.py`` when it exists (``--workers``
    and ``--threads`` still override it), else 5 sync workers as before. With ``pool`` (the
    report pool): that many workers and threads on ``port``, at that niceness."""
    port, pool = port or args.port, pool or {}
    config = ROOT / "deploy" / "gunicorn.conf.py"
    command = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}"]
    if config.exists():
        command += ["-c", str(config)]
    else:
        command += ["--log-level", "warning", "--timeout", "120", "--backlog", "4096"]
    workers = pool.get("workers") or args.workers or (None if config.exists() else 5)
    threads = pool.get("threads") or args.threads or 1
    if workers:
        command += ["-w", str(workers)]
    if threads > 1:
        command += ["--threads", str(threads)]
    niceness = pool.get("nice", 0)
    server = subprocess.Popen(
        [*(["nice", "-n", str(niceness)] if niceness else []), *command, "exam:create_app()"],
        env=server_env(url, not getattr(args, "real_hashing", False)),
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {log}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"gunicorn did not come up: see {log}")


def server_label(args) -> str:
    config = ROOT / "deploy" / "gunicorn.conf.py"
    workers = args.workers or ("as configured" if config.exists() else 5)
    return (
        f"gunicorn{' -c deploy/gunicorn.conf.py' if config.exists() else ''}, workers {workers}, "
        f"threads {args.threads or ('as configured' if config.exists() else 1)}"
        + (
            ""
            if args.no_report_pool
            else f"; report pool {REPORT_POOL['workers']}×{REPORT_POOL['threads']} "
            f"at nice {REPORT_POOL['nice']}"
        )
    )


def start_scheduler(url: str, cheap: bool, log: Path) -> subprocess.Popen:
    """The real scheduler process (``anpei-scheduler``) against the run's database."""
    script = Path(sys.executable).with_name("anpei-scheduler")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "scheduler"]
    return subprocess.Popen(
        command,
        env=server_env(url, cheap),
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def healthz(base: str, seconds: int, connections: int = 64) -> float | None:
    """Bare /healthz requests per second with wrk (the ceiling: no database, no session)."""
    if shutil.which("wrk") is None or seconds <= 0:
        return None
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", f"{base}/healthz"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def locust_command(args, base: str, run_time: int) -> list[str]:
    """Locust, headless, with one user per candidate following ``plan.json`` (and the
    organiser with ``--reports``; also used by ``benchmarks/faults/run.py``)."""
    reports = getattr(args, "reports", False)
    users = args.candidates + (1 if reports else 0)
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(max(50, args.candidates // 4)),
        "--run-time",
        f"{run_time}s",
        "--host",
        base,
        "--only-summary",
        "--stop-timeout",
        "0",
        "--loglevel",
        "WARNING",
    ]
    if args.processes > 1:
        command += ["--processes", str(args.processes)]
    return [*command, "Candidate", *(["Organiser"] if reports else [])]


# --- the run ----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add(
        "--stress", action="store_true", help="stress mode: cheap hashes, 2-6 s pace, short windows"
    )
    add("--quick", action="store_true", help="stress mode's short windows for a smoke check")
    add("--candidates", type=int, help="simulated candidates (3000; --stress: 2000)")
    add("--questions", type=int, default=40, help="questions on the paper")
    add("--bank", type=int, default=0, help="active questions in the bank (twice the paper)")
    add("--workers", type=int, help="gunicorn workers (deploy/gunicorn.conf.py's, else 5)")
    add("--threads", type=int, help="gunicorn threads per worker (gthread if > 1)")
    add("--processes", type=int, default=1, help="Locust processes (a master and N workers)")
    add("--port", type=int, default=0, help="gunicorn's port (a free one)")
    add("--base-url", help="drive this running deployment instead of starting gunicorn")
    add("--database-url", help="the (empty) database to build the data in, instead of a new one")
    add("--no-scheduler", action="store_true", help="the deployment runs its own scheduler")
    add("--keep-db", action="store_true")
    add("--login-window", type=float, help="s of logins before the exam opens (600; stress 60)")
    add("--start-window", type=float, help="s after it opens within which all start (60; 30)")
    add("--duration", type=float, help="realistic: minutes each attempt lasts (20)")
    add("--answer-time", type=float, help="stress: s from the starts to the submissions (120)")
    add("--submit-window", type=float, help="s: last of the attempt (120); stress: window (60)")
    add("--think", help="s between answers, min,max (10,40; stress 2,6)")
    add("--change", type=float, help="share of answers that change an earlier one (0.15; 0.2)")
    add("--no-submit", type=float, help="share who never submit: the scheduler closes (0.05)")
    add("--drops", type=float, help="share who lose the network for a while (0.03)")
    add("--drop-seconds", default="10,60", help="how long a drop lasts, min,max s")
    add("--typo", type=float, help="share who type a wrong password first (0.02)")
    add("--heartbeat", type=float, help="s between heartbeats (20; stress: none)")
    add("--reports", action="store_true", help="an organiser requests the reports meanwhile")
    add("--reports-every", type=float, default=5, help="s between the organiser's rounds")
    add(
        "--reports-turns",
        type=float,
        default=0,
        help="s (at least the app's page cache, 30): the organiser asks in turns this long, one "
        "asking and the next not, from the start of the logins, and the candidates' p95 is read "
        "for each (the reports' cost in one run)",
    )
    add(
        "--reports-turns-first",
        choices=("on", "off"),
        default="on",
        help="whether the first turn asks (a second run the other way round: see turns.py)",
    )
    add(
        "--no-report-pool",
        action="store_true",
        help="serve /reports/ from the candidates' gunicorn, not a report pool of its own",
    )
    add("--baseline", help="summary.json of an earlier run: print the p95 growth against it")
    add("--overtime", type=float, default=300, help="s to wait for stragglers (and the scheduler)")
    add("--healthz-seconds", type=int, default=5)
    add("--seed", type=int, default=1)
    add("--out", help="folder for the ledger, timings and logs (default: temporary)")
    args = parser.parse_args()
    if args.reports_turns and (not args.reports or args.reports_turns < TURN_MIN_SECONDS):
        # Shorter turns would be served whole from the pages kept 30 s: no cost to read.
        parser.error(f"--reports-turns needs --reports and at least {TURN_MIN_SECONDS} s")
    args.mode = "stress" if args.stress or args.quick else "realistic"
    defaults = dict(STRESS if args.mode == "stress" else REALISTIC)
    if args.quick:
        defaults.update(QUICK, think="1,3")
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    args.real_hashing = args.mode == "realistic"
    if not args.port:
        args.port = free_port()
    return args


def free_port() -> int:
    """A port nobody listens on now (other benchmarks may run on the same machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_plan(args, t0: float, day: dict) -> dict:
    plan = {
        "mode": args.mode,
        "t0": t0,
        "login_s": args.login_window,
        "opens_at": t0 + args.login_window,
        "start_s": args.start_window,
        "submit_s": args.submit_window,
        "think": [float(x) for x in args.think.split(",")],
        "change": args.change,
        "no_submit": args.no_submit,
        "drops": args.drops,
        "drop_s": [float(x) for x in args.drop_seconds.split(",")],
        "typo": args.typo,
        "heartbeat_s": args.heartbeat,
        "seed": args.seed,
        "processes": args.processes,
        "exam_id": day["exam_id"],
        "reports": REPORTS if args.reports else {},
        "reports_base": getattr(args, "reports_base", ""),
        "reports_every": args.reports_every,
        "reports_turns": args.reports_turns,
        "reports_first_on": args.reports_turns_first == "on",
        "organiser": day["organiser"],
    }
    # The organiser comes 30 s before the opening; asking in turns, from the logins' start.
    plan["reports_from"] = t0 + 5 if args.reports_turns else plan["opens_at"] - 30
    if args.mode == "stress":
        plan["answer_s"] = args.answer_time
        plan["submit_from"] = plan["opens_at"] + args.start_window + args.answer_time
        plan["end"] = plan["submit_from"] + args.submit_window
    else:
        plan["duration_s"] = args.duration * 60
        # The last deadline, its grace (ANPEI_ANSWER_GRACE_SECONDS) and a scheduler round.
        plan["end"] = plan["opens_at"] + args.start_window + plan["duration_s"] + 60 + 30
    return plan


def main() -> None:
    args = parse_args()
    folder = Path(args.out or tempfile.mkdtemp(prefix="anpei_examday_"))
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("claims", "done"):
        (folder / sub).mkdir(exist_ok=True)
    os.environ["ANPEI_INSTANCE_PATH"] = str(folder / "instance")
    made, url = None, args.database_url
    if url is None:
        made = create_database()
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{made}"
    server = report_pool = scheduler = None
    load_before = os.getloadavg()
    try:
        began = time.time()
        logins, day = prepare_day(
            url, args.candidates, args.questions, args.bank, cheap=not args.real_hashing
        )
        (folder / "candidates.json").write_text(json.dumps(logins))
        print(
            f"{args.mode} mode: prepared {args.candidates} candidates and a {args.questions}-question "
            f"exam in {time.time() - began:.1f} s; files in {folder}",
            flush=True,
        )
        if args.base_url:
            base = args.base_url.rstrip("/")
        else:
            server = start_server(url, args, folder / "gunicorn.log")
            base = f"http://127.0.0.1:{args.port}"
            if not args.no_report_pool:
                # As nginx routes /reports/ in deploy/: idle unless the organiser asks.
                port = free_port()
                report_pool = start_server(
                    url, args, folder / "gunicorn-reports.log", port, REPORT_POOL
                )
                args.reports_base = f"http://127.0.0.1:{port}"
                args.report_pool_pid = report_pool.pid
        health = healthz(base, args.healthz_seconds)
        print(f"/healthz: {health:.0f} req/s (wrk, 64 connections)" if health else "", flush=True)

        t0 = time.time() + 8 + args.candidates / 200  # Locust's start and the users' spawning
        plan = make_plan(args, t0, day)
        opens_at = plan["opens_at"] if args.mode == "realistic" else t0 - 3600
        schedule_exam(url, day["exam_id"], opens_at - 1, int(args.duration or 120))
        (folder / "plan.json").write_text(json.dumps(plan))
        if not args.no_scheduler:
            scheduler = start_scheduler(url, not args.real_hashing, folder / "scheduler.log")
        run_time = int(plan["end"] + args.overtime - time.time()) + 1
        print(
            f"locust: {args.candidates} candidates{' and an organiser' if args.reports else ''}, "
            f"at most {run_time} s; log in over {args.login_window:.0f} s, start within "
            f"{args.start_window:.0f} s of the opening, "
            + (
                f"{args.duration:.0f} min each (a question every {args.think} s), "
                f"{args.no_submit:.0%} leave it to the scheduler"
                if args.mode == "realistic"
                else f"answer {args.answer_time:.0f} s (think {args.think} s), submit over "
                f"{args.submit_window:.0f} s"
            ),
            flush=True,
        )
        sampler = drive(args, folder, base, url, run_time, plan)
        stop(scheduler)
        report(args, folder, url, health, plan, sampler, load_before)
    finally:
        stop(scheduler)
        stop(report_pool)
        stop(server)
        if made and not args.keep_db:
            psql(f"DROP DATABASE IF EXISTS {made} WITH (FORCE)")


def drive(args, folder: Path, base: str, url: str, run_time: int, plan: dict) -> CpuSampler:
    """Locust until every candidate is done and no attempt is left open (the scheduler closes
    the overdue ones), or the run time is up."""
    database = url.rsplit("/", 1)[-1].split("?")[0]
    with (folder / "locust.log").open("w") as log:
        locust = subprocess.Popen(
            locust_command(args, base, run_time),
            env={**os.environ, "ANPEI_BENCH_DIR": str(folder)},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=HERE,
        )
        trees = {"locust": locust.pid}
        if getattr(args, "report_pool_pid", None):
            trees["report_pool"] = args.report_pool_pid
        sampler = CpuSampler(trees, database)
        sampler.start()
        try:
            while locust.poll() is None:
                if len(os.listdir(folder / "done")) >= args.candidates:
                    (folder / "candidates-done").touch()  # the organiser stops too
                    if time.time() > plan["end"] or open_attempts(url) == 0:
                        break
                    time.sleep(4)
                time.sleep(1)
        finally:
            if locust.poll() is None:
                locust.send_signal(signal.SIGTERM)
                locust.wait()
            sampler.stopping.set()
            sampler.join()
    if len(os.listdir(folder / "done")) >= args.candidates:
        # Stragglers the scheduler has still to close.
        while time.time() < plan["end"] + args.overtime and open_attempts(url):
            time.sleep(5)
    return sampler


# --- the report -------------------------------------------------------------------------------


def report(args, folder: Path, url: str, health, plan: dict, sampler, load_before) -> None:
    timings, ledger = read_timings(folder), read_ledger(folder)
    checks = check_database(url, ledger)
    kinds = Counter(entry["kind"] for entry in ledger)
    candidate_names = [
        n for n in (*ENDPOINTS, *sorted(set(timings) - set(ENDPOINTS))) if n not in REPORTS
    ]
    print(
        f"\n=== exam day, {args.mode} mode: {args.candidates} candidates, {args.questions} questions, "
        f"{args.base_url or server_label(args)}"
        f"{', reports every ' + str(args.reports_every) + ' s' if args.reports else ''} ==="
    )
    stats = {}
    print("candidates:")
    stats.update(print_endpoints(timings, candidate_names))
    if args.reports:
        print("organiser (reports while the candidates sit):")
        stats.update(print_endpoints(timings, list(REPORTS)))
    print(
        "(retried: errors the device sent again, as exam.js does; failed: errors it could not get "
        "past; offline: held on the device during a network drop, never sent)"
    )
    if health:
        saves = stats.get(SAVE, {}).get("peak_10s_rate", 0)
        print(
            f"/healthz (wrk, before the load): {health:.0f} req/s; busiest 10 s of saves: {saves / health:.1%} of it"
        )
    burst = window_stats(timings.get(START, []), 10)
    print(
        f"\nstarts: the busiest 10 s held {burst['count']}; submissions by the candidates "
        f"{kinds['submit']} ({kinds['submit_failed']} failed), left to the scheduler "
        f"{checks['left_to_the_scheduler']}, closed by it {checks['closed_by_the_scheduler']}"
    )
    print(
        f"ledger: {checks['acknowledged_answers']} answers acknowledged; refused {kinds['refused']}, "
        f"gave up {kinds['gave_up']}, stale {kinds['stale']}, stale on a resend {kinds['stale_retry']}"
    )
    print(
        f"database: {checks['stored_answers']} answers stored; LOST {checks['lost_answers']}; "
        f"stored newer than acknowledged {checks['stored_newer_than_acknowledged']}; stored without "
        f"acknowledgement {checks['stored_without_acknowledgement']}"
    )
    print(
        f"attempts: {checks['attempts']}, {checks['candidates_with_more_than_one_attempt']} candidates "
        f"with more than one, {checks['submitted_in_database']} submitted ({checks['auto_submitted']} "
        f"by the scheduler), {checks['not_submitted']} still open, {checks['graded']} graded; score "
        f"differs from the client's {checks['score_differs_from_client']}, re-grading differs "
        f"{checks['regrade_differs']}, more than one certificate "
        f"{checks['attempts_with_more_than_one_certificate']}"
    )
    for problem in checks["grading_problems"] + [
        json.dumps(x, ensure_ascii=False) for x in checks["lost_examples"]
    ]:
        print("  !", problem)
    server_errors = None  # no log of its own to read: another deployment was driven
    for server_log in (folder / "gunicorn.log", folder / "gunicorn-reports.log"):
        if server_log.exists():
            found = len(re.findall(r"Traceback|\[ERROR\]|WORKER TIMEOUT", server_log.read_text()))
            server_errors = (server_errors or 0) + found
            print(f"{server_log.stem} log: {found} errors/tracebacks")
    not_done = args.candidates - len(os.listdir(folder / "done"))
    if not_done:
        print(f"!! {not_done} candidates were not done when Locust was stopped (see --overtime)")
    cpu = print_cpu(sampler, plan, load_before)
    failures = sum(stats[n]["failures"] for n in candidate_names if n in stats) + not_done
    targets = judge(args, stats, checks, kinds, failures)
    comparison = compare(args, stats)
    turns = compare_turns(args, timings, plan)
    (folder / "summary.json").write_text(
        json.dumps(
            {
                "args": vars(args),
                "healthz": health,
                "endpoints": stats,
                "burst": burst,
                "ledger": dict(kinds),
                "database": checks,
                "cpu": cpu,
                "server_errors": server_errors,
                "targets": targets,
                "against_baseline": comparison,
                "reports_turns": turns,
            },
            ensure_ascii=False,
            indent=1,
            default=str,
        )
    )
    print(f"\ndetails: {folder}/summary.json")


def print_endpoints(timings: dict, names: list[str]) -> dict:
    print(
        f"  {'endpoint':<40}{'sent':>7}{'retried':>8}{'failed':>7}{'offline':>8}{'peak/s':>8}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}"
    )
    stats = {}
    for name in names:
        if not timings.get(name):
            continue
        s = stats[name] = endpoint_stats(timings[name])
        print(
            f"  {name:<40}{s['requests']:>7}{s['retried']:>8}{s['failures']:>7}{s['offline']:>8}"
            f"{s['peak_10s_rate']:>8.1f}{s['p50'] * 1000:>8.0f}{s['p95'] * 1000:>8.0f}"
            f"{s['p99'] * 1000:>8.0f}{s['max'] * 1000:>8.0f}"
        )
    return stats


def print_cpu(sampler, plan: dict, load_before) -> dict:
    print(
        f"\nCPU per process group, % of one core ({os.cpu_count()} cores = {100 * os.cpu_count()} %), "
        f"by command name over the whole machine (anybody's gunicorn or postgres counts): mean / "
        f"p95 of 1 s samples; load average before the run {load_before[0]:.1f}"
    )
    end = time.time()
    phases = {"whole run": (plan["t0"], end), "logins": (plan["t0"], plan["opens_at"])}
    phases["starts"] = (plan["opens_at"], plan["opens_at"] + plan["start_s"])
    phases["sitting"] = (plan["opens_at"] + plan["start_s"], end)
    cpu = {}
    for phase, (begin, stop_at) in phases.items():
        cpu[phase] = summary = sampler.summary(begin, stop_at)
        if summary:
            print(
                f"  {phase:<10}"
                + "  ".join(
                    f"{key.replace('_', ' ')} {v['mean']:.0f}/{v['p95']:.0f}"
                    for key, v in summary.items()
                    if key != "load"
                )
                + (f"  (load {summary['load']['mean']:.1f})" if "load" in summary else "")
            )
    busiest = sorted(sampler.others.items(), key=lambda item: -item[1])[:3]
    print("  others, the busiest: " + "; ".join(f"{s:.0f} s {c}" for c, s in busiest))
    return cpu


def judge(args, stats: dict, checks: dict, kinds: Counter, failures: int) -> dict:
    names = (
        REALISTIC_TARGETS if args.mode == "realistic" else [n for n in stats if n not in REPORTS]
    )
    worst = max((stats[n]["p95"] for n in names if n in stats), default=0)
    targets = {
        f"0 errors (failed or not done {failures}, refused {kinds['refused']}, gave up {kinds['gave_up']}, "
        f"harness crashes {kinds['crashed']})": (
            failures == 0
            and kinds["refused"] == 0
            and kinds["gave_up"] == 0
            and not kinds["crashed"]
        ),
        f"0 lost answers (got {checks['lost_answers']})": checks["lost_answers"] == 0,
        "each attempt graded exactly once (all submitted and graded, none twice, scores agree)": (
            checks["not_submitted"] == 0
            and checks["graded"] == checks["attempts"]
            and not checks["grading_problems"]
            and checks["regrade_differs"] == 0
            and checks["score_differs_from_client"] == 0
            and checks["candidates_with_more_than_one_attempt"] == 0
            and checks["attempts_with_more_than_one_certificate"] == 0
        ),
        f"p95 under 1 s on {'login, start, paper, save, submit' if args.mode == 'realistic' else 'every endpoint'}"
        f" (worst {worst * 1000:.0f} ms)": worst < TARGET_P95,
    }
    print("\ntargets:")
    for text, ok in targets.items():
        print(f"  [{'met' if ok else 'NOT met'}] {text}")
    return targets


def compare(args, stats: dict) -> dict:
    """The candidates' p95 against an earlier run's (``--baseline``): the reports' cost."""
    if not args.baseline:
        return {}
    before = json.loads(Path(args.baseline).read_text())["endpoints"]
    print(f"\ncandidates' p95 against {args.baseline}:")
    growth = {}
    for name in ENDPOINTS:
        if name in stats and name in before and before[name]["p95"] > 0:
            growth[name] = stats[name]["p95"] / before[name]["p95"] - 1
            print(
                f"  {name:<40}{before[name]['p95'] * 1000:>8.0f} -> {stats[name]['p95'] * 1000:>6.0f} ms "
                f"({growth[name]:+.0%})"
            )
    return growth


def compare_turns(args, timings: dict, plan: dict) -> dict:
    """The candidates' p95 in the organiser's turns with the reports and without
    (``--reports-turns``): the reports' cost read inside one run, on one machine in one state.
    The starts (at the opening) and the submissions (at the end) bunch in a few turns, whose
    load differs: read those over two runs with the turns the other way round
    (``--reports-turns-first off``, then ``turns.py`` on both), or against ``--baseline``."""
    if not (args.reports and args.reports_turns):
        return {}
    print(
        f"\ncandidates' p95 with the reports and without, in turns of {args.reports_turns:.0f} s "
        f"(the first {args.reports_turns_first}; growth read where each kind of turn holds "
        f"{TURN_MIN_REQUESTS} requests):"
    )
    return turns_table([(timings, plan)], ENDPOINTS)


if __name__ == "__main__":
    main()
