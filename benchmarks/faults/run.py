"""Faults during an exam: candidates keep answering while the server and the database fail.

    pip install '.[bench]'
    python benchmarks/faults/run.py                               # 250 candidates, about 9 min
    python benchmarks/faults/run.py --candidates 50 --quick       # a smoke check, about 4 min

Plays the exam day of ``benchmarks/exam_day`` (its database preparation, gunicorn, Locust
candidates with their ledger of acknowledged saves, and its ledger check), but on a private
PostgreSQL instance started for the run (initdb into a temporary folder, its own port), with
two scheduler processes running against the same database as two hosts' services would (each
started again some seconds after it exits). While the candidates answer it injects, one after
another with a recovery pause between:

  kill-workers           kill -9 a gunicorn worker every 30 s, for two minutes;
  terminate-connections  pg_terminate_backend on every backend of the app's database;
  stop-app               SIGSTOP gunicorn (master and workers) for 20 s, then SIGCONT;
  restart-postgres       pg_ctl restart -m fast of the private instance;

and after each pause checks the database against the ledger. It prints, per fault: requests,
errors by status, lost answers and duplicates (both must be 0), the time to recover, and how
many job runs two schedulers made at once (from the schedulers' "job ... started" log lines).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.exam_day import run as exam_day  # noqa: E402
from benchmarks.faults.processes import PrivatePostgres, Schedulers, at_once  # noqa: E402

FAULTS = ("kill-workers", "terminate-connections", "stop-app", "restart-postgres")
SAVE = exam_day.ENDPOINTS[4]
#: s allowed in the plan for the ledger check after each fault's recovery pause.
CHECK_ALLOWANCE = 10


# --- the faults -------------------------------------------------------------------------------


@dataclass
class Fault:
    """One fault of the run: when it was injected (several moments for repeated kills)."""

    name: str
    label: str
    planned: float
    injected: list[float] = field(default_factory=list)
    ended: float = 0.0
    note: str = ""
    check: dict = field(default_factory=dict)


def kill_workers(ctx, fault: Fault) -> None:
    """kill -9 a random gunicorn worker every ``--kill-every`` s (gunicorn forks another)."""
    import psutil

    rng, every = random.Random(ctx.args.seed), ctx.args.kill_every
    killed = []
    for k in range(max(1, int(ctx.args.kill_for // every))):
        sleep_until(fault.planned + k * every)
        workers = psutil.Process(ctx.server.pid).children()
        if not workers:
            continue
        victim = rng.choice(workers)
        fault.injected.append(time.time())
        os.kill(victim.pid, signal.SIGKILL)
        killed.append(victim.pid)
    fault.note = f"killed workers {killed}"


def terminate_connections(ctx, fault: Fault) -> None:
    """Cut every connection to the app's database but the one doing it."""
    fault.injected.append(time.time())
    rows = ctx.pg.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        ctx.database,
    )
    fault.note = f"terminated {len(rows)} backends"


def stop_app(ctx, fault: Fault) -> None:
    """Freeze gunicorn, master and workers, for ``--stop-for`` s (the kernel still queues
    connections in the listen backlog)."""
    import psutil

    master = psutil.Process(ctx.server.pid)
    pids = [master.pid, *(p.pid for p in master.children())]
    fault.injected.append(time.time())
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(ctx.args.stop_for)
    finally:  # never leave gunicorn stopped (it could not even be terminated)
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    fault.note = f"SIGSTOP {len(pids)} processes for {ctx.args.stop_for:.0f} s"


def restart_postgres(ctx, fault: Fault) -> None:
    """Restart the private instance (fast: open transactions are rolled back)."""
    fault.injected.append(time.time())
    ctx.pg.restart()
    fault.note = f"pg_ctl restart -m fast took {time.time() - fault.injected[0]:.1f} s"


INJECT = {
    "kill-workers": kill_workers,
    "terminate-connections": terminate_connections,
    "stop-app": stop_app,
    "restart-postgres": restart_postgres,
}


def duration(name: str, args) -> float:
    """How long injecting the fault takes, in the plan."""
    return {
        "kill-workers": args.kill_for - args.kill_every,
        "stop-app": args.stop_for,
        "restart-postgres": 5,
    }.get(name, 0)


def label(name: str, args) -> str:
    """What the fault does, as printed."""
    return {
        "kill-workers": f"kill -9 a worker every {args.kill_every:.0f} s for {args.kill_for:.0f} s",
        "terminate-connections": "pg_terminate_backend: every backend of the app's database",
        "stop-app": f"SIGSTOP gunicorn {args.stop_for:.0f} s",
        "restart-postgres": "pg_ctl restart -m fast",
    }[name]


def sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


# --- checking ---------------------------------------------------------------------------------


def ledger_check(ctx) -> dict:
    """The ledger so far against the database (the ledger is read first: whatever it holds
    was acknowledged, so committed, before the database is read)."""
    ledger = exam_day.read_ledger(ctx.folder)
    checks = exam_day.check_database(ctx.url, ledger)
    duplicate_rows = ctx.pg.execute(
        "SELECT count(*) FROM (SELECT 1 FROM attempt_answer GROUP BY attempt_id, question_id "
        "HAVING count(*) > 1) AS twice",
        database=ctx.database,
    )[0][0]
    kinds = Counter(e["kind"] for e in ledger)
    failures = [e for e in ledger if e["kind"] in ("refused", "gave_up", "submit_failed")]
    return {
        "client_failures": failures[:10],
        **checks,
        "duplicate_answer_rows": duplicate_rows,
        "duplicates": duplicate_rows + checks["candidates_with_more_than_one_attempt"],
        "ledger": dict(kinds),
    }


def window_figures(rows: list[tuple], fault: Fault | None, begin: float, end: float) -> dict:
    """Requests that ended in [begin, end) (when their outcome was known), their errors by
    status, and the time to recover after each injection: to the end of the first successful
    save started after it, and to the end of the last failed request that ended before the
    next injection (0: no error)."""
    inside = [r for r in rows if begin <= r[1] + r[2] < end]
    errors = Counter("connection" if r[4] == 0 else str(r[4]) for r in inside if not r[3])
    first_ok, errors_until = [], []
    moments = fault.injected if fault else []
    for k, moment in enumerate(moments):
        stop = moments[k + 1] if k + 1 < len(moments) else end
        ok = [r[1] + r[2] for r in rows if r[0] == SAVE and r[3] and r[1] >= moment]
        failed = [r[1] + r[2] for r in rows if not r[3] and moment <= r[1] + r[2] < stop]
        first_ok.append(min(ok) - moment if ok else None)
        errors_until.append(max(failed) - moment if failed else 0.0)
    saves = sorted(r[2] for r in inside if r[0] == SAVE)
    return {
        "requests": len(inside),
        "save_p50_s": exam_day.pick(saves, 0.5) if saves else None,
        "save_p95_s": exam_day.pick(saves, 0.95) if saves else None,
        "errors": sum(errors.values()),
        "errors_by_status": dict(errors.most_common()),
        "first_ok_save_s": first_ok,
        "errors_until_s": errors_until,
    }


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Context:
    args: argparse.Namespace
    folder: Path
    pg: PrivatePostgres
    database: str
    url: str
    server: subprocess.Popen | None = None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--candidates", type=int, default=250)
    add("--questions", type=int, default=40, help="questions on the paper")
    add("--workers", type=int, default=5, help="gunicorn workers")
    add("--threads", type=int, default=1, help="gunicorn threads per worker")
    add("--processes", type=int, default=1, help="Locust processes")
    add("--port", type=int, default=8125, help="gunicorn's port")
    add("--pg-port", type=int, default=55432, help="the private PostgreSQL instance's port")
    add("--pg-bin", default=None, help="PostgreSQL's bin folder (default: the newest found)")
    add("--faults", default=",".join(FAULTS), help=f"which, in order (default: {','.join(FAULTS)})")
    add("--quick", action="store_true", help="short windows and faults, for a smoke check")
    add("--login-window", type=float, help="s over which candidates log in (30; quick 10)")
    add("--start-window", type=float, help="s over which they start (30; quick 10)")
    add("--warmup", type=float, help="s of answering before the first fault (60; quick 10)")
    add("--kill-every", type=float, help="s between worker kills (30; quick 20)")
    add("--kill-for", type=float, help="s over which workers are killed (120; quick 40)")
    add("--stop-for", type=float, help="s gunicorn stays stopped (20; quick 10)")
    add(
        "--recovery",
        type=float,
        help="s of pause after each fault, before its check (40; quick 20)",
    )
    add(
        "--submit-window",
        type=float,
        help="s over which they submit, after the faults (30; quick 15)",
    )
    add("--think", help="think time between saves, min,max s (2,6; quick 1,3)")
    add("--change", type=float, default=0.2, help="share of saves that change an earlier answer")
    add("--schedulers", type=int, default=2, help="scheduler processes against the database")
    add(
        "--scheduler-restart",
        type=float,
        default=10,
        help="s before an exited scheduler is started again",
    )
    add(
        "--at-once-window",
        type=float,
        default=35,
        help="a job run of one scheduler between runs of another less than this many s before "
        "and after it counts as at once (above the shortest job interval, 30 s)",
    )
    add(
        "--overtime",
        type=float,
        default=120,
        help="s after the submission window before Locust is stopped",
    )
    add("--seed", type=int, default=1)
    add(
        "--out",
        default=None,
        help="folder for the ledger, timings, logs, summary.json (default: temporary)",
    )
    add("--keep-pg", action="store_true", help="leave the private PostgreSQL instance running")
    args = parser.parse_args()
    defaults = {
        "login_window": (30, 10),
        "start_window": (30, 10),
        "warmup": (60, 10),
        "kill_every": (30, 20),
        "kill_for": (120, 40),
        "stop_for": (20, 10),
        "recovery": (40, 20),
        "submit_window": (30, 15),
        "think": ("2,6", "1,3"),
    }
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)
    args.faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = set(args.faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")
    return args


def plan_faults(args, answering_from: float) -> tuple[list[Fault], float]:
    """Each fault's planned moment, and when the submission window opens."""
    moment, faults = answering_from + args.warmup, []
    for name in args.faults:
        faults.append(Fault(name, label(name, args), moment))
        moment += duration(name, args) + args.recovery + CHECK_ALLOWANCE
    return faults, moment


def main() -> None:
    args = parse_args()
    folder = Path(args.out or tempfile.mkdtemp(prefix="anpei_faults_"))
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("claims", "done"):
        (folder / sub).mkdir(exist_ok=True)
    os.environ["ANPEI_INSTANCE_PATH"] = str(folder / "instance")
    pg = PrivatePostgres(args.pg_port, args.pg_bin)
    load_before = os.getloadavg()
    database = "anpei_faults"
    ctx = Context(args, folder, pg, database, pg.url(database))
    schedulers = None
    try:
        pg.start()
        pg.execute(f"CREATE DATABASE {database}")
        began = time.time()
        logins = exam_day.prepare(ctx.url, args.candidates, args.questions)
        (folder / "candidates.json").write_text(json.dumps(logins))
        print(
            f"private PostgreSQL on 127.0.0.1:{args.pg_port} ({pg.home}); prepared {args.candidates} "
            f"candidates in {time.time() - began:.0f} s; files in {folder}",
            flush=True,
        )
        ctx.server = exam_day.start_server(ctx.url, args, folder / "gunicorn.log")
        env = {
            **os.environ,
            "ANPEI_DATABASE_URL": ctx.url,
            "ANPEI_SECRET_KEY": "bench-secret",
            "ANPEI_ENV": "production",
        }
        schedulers = Schedulers(args.schedulers, env, folder, args.scheduler_restart)
        schedulers.start()
        result = run_exam(ctx)
        schedulers.stop()
        report(ctx, schedulers, *result, load_before)
    finally:
        if schedulers is not None and schedulers.is_alive():
            schedulers.stop()
        if ctx.server is not None:
            ctx.server.terminate()
            ctx.server.wait()
        if pg.log.exists():
            shutil.copy(pg.log, folder / "postgres.log")
        if not args.keep_pg:
            pg.stop()
            shutil.rmtree(pg.home, ignore_errors=True)


def run_exam(ctx: Context):
    """Locust's candidates, the faults injected while they answer, a check after each."""
    args, folder = ctx.args, ctx.folder
    t0 = time.time() + 8 + args.candidates / 200  # Locust's start and the users' spawning
    answering_from = t0 + args.login_window + args.start_window
    faults, submit_from = plan_faults(args, answering_from)
    plan = {
        "t0": t0,
        "login_s": args.login_window,
        "start_s": args.start_window,
        "answer_s": submit_from - answering_from,
        "submit_s": args.submit_window,
        "think": [float(x) for x in args.think.split(",")],
        "change": args.change,
        "seed": args.seed,
        "processes": args.processes,
    }
    (folder / "plan.json").write_text(json.dumps(plan))
    run_time = int(submit_from + args.submit_window + args.overtime - time.time()) + 1
    base = f"http://127.0.0.1:{args.port}"
    print(
        f"{args.candidates} candidates log in over {args.login_window:.0f} s, start over "
        f"{args.start_window:.0f} s, answer (think {args.think} s) for {plan['answer_s']:.0f} s "
        f"while the faults come, submit over {args.submit_window:.0f} s; about "
        f"{(submit_from + args.submit_window - time.time()) / 60:.1f} min",
        flush=True,
    )
    with (folder / "locust.log").open("w") as log:
        locust = subprocess.Popen(
            exam_day.locust_command(args, base, run_time),
            env={**os.environ, "ANPEI_BENCH_DIR": str(folder)},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=exam_day.HERE,
        )
        sampler = exam_day.CpuSampler(
            {"locust": locust.pid, "gunicorn": ctx.server.pid}, ctx.database
        )
        sampler.start()
        try:
            inject(ctx, faults)
            while locust.poll() is None:  # until every candidate is done
                if len(os.listdir(folder / "done")) >= args.candidates:
                    break
                time.sleep(1)
        finally:
            if locust.poll() is None:
                locust.send_signal(signal.SIGTERM)
                locust.wait()
            sampler.stopping.set()
            sampler.join()
    final = ledger_check(ctx)
    return answering_from, faults, submit_from, final, sampler


def inject(ctx: Context, faults: list[Fault]) -> None:
    """Each fault at its planned moment, then the recovery pause, then the ledger check."""
    for i, fault in enumerate(faults):
        sleep_until(fault.planned)
        print(f"{time.strftime('%H:%M:%S')} fault {i + 1}: {fault.label}", flush=True)
        INJECT[fault.name](ctx, fault)
        fault.ended = time.time()
        sleep_until(fault.ended + ctx.args.recovery)
        fault.check = ledger_check(ctx)
        print(
            f"{time.strftime('%H:%M:%S')}   {fault.note}; ledger check: lost "
            f"{fault.check['lost_answers']}, duplicates {fault.check['duplicates']}",
            flush=True,
        )


def report(ctx, schedulers, answering_from, faults, submit_from, final, sampler, load_before):
    args, folder = ctx.args, ctx.folder
    timings = exam_day.read_timings(folder)
    rows = [(name, *row) for name, of_name in timings.items() for row in of_name]
    runs = schedulers.job_runs()
    together = at_once(runs, args.at_once_window)
    windows = [
        (
            "baseline (no fault)",
            None,
            answering_from,
            faults[0].injected[0] if faults else submit_from,
        )
    ]
    for i, fault in enumerate(faults):
        end = faults[i + 1].injected[0] if i + 1 < len(faults) else submit_from
        windows.append((f"{i + 1}. {fault.label}", fault, fault.injected[0], end))
    windows.append(("submitting and after", None, submit_from, time.time()))

    print(
        f"\n=== faults: {args.candidates} candidates, gunicorn {args.workers} workers x {args.threads} "
        f"thread(s), {args.schedulers} schedulers, private PostgreSQL ==="
    )
    print(
        "per window (from the fault's injection to the next one's): requests that ended in it, errors "
        "by HTTP status\n(connection: reset or refused), lost answers and duplicates (cumulative, "
        "from the ledger check after the\nrecovery pause), recovery after each injection: the "
        "first successful save ended / the last failed\nrequest ended (s after injection), and "
        "job runs made while another scheduler was\nrunning jobs too (it ran one less than "
        f"{args.at_once_window:.0f} s before and one less than {args.at_once_window:.0f} s after)"
    )
    figures = []
    for title, fault, begin, end in windows:
        f = window_figures(rows, fault, begin, end)
        f["window"], f["seconds"] = title, end - begin
        f["schedulers_at_once"] = sum(1 for r in together if begin <= r[0] < end)
        f["schedulers_running_jobs"] = sorted({r[1] for r in runs if begin <= r[0] < end})
        check = fault.check if fault else (final if title.startswith("submitting") else None)
        if check:
            f["lost"], f["duplicates"] = check["lost_answers"], check["duplicates"]
            f["refused"] = check["ledger"].get("refused", 0)
            f["gave_up"] = check["ledger"].get("gave_up", 0)
        if fault:
            f["note"] = fault.note
        figures.append(f)
        print_window(f)

    print_final(final, figures, together, runs, schedulers, args)
    cpu = sampler.summary(answering_from, time.time())
    load_after = os.getloadavg()
    print(
        f"\nmachine: {os.cpu_count()} cores, load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after; CPU % of one core (mean/max): "
        + ", ".join(f"{k.replace('_', ' ')} {v['mean']:.0f}/{v['max']:.0f}" for k, v in cpu.items())
    )
    (folder / "summary.json").write_text(
        json.dumps(
            {
                "args": vars(args),
                "windows": figures,
                "faults": [vars(f) for f in faults],
                "final_check": final,
                "scheduler_runs": runs,
                "schedulers_at_once": together,
                "scheduler_starts": schedulers.started,
                "scheduler_exits": schedulers.exits,
                "cpu": cpu,
                "load": [load_before, load_after],
            },
            ensure_ascii=False,
            indent=1,
            default=str,
        )
    )
    print(
        f"details: {folder}/summary.json (logs of gunicorn, PostgreSQL, each scheduler there too)"
    )


def print_window(f: dict) -> None:
    def seconds(values):
        return ", ".join("never" if v is None else f"{v:.1f}" for v in values) or "-"

    errors = ", ".join(f"{status}: {n}" for status, n in f["errors_by_status"].items()) or "none"
    checked = (
        f"lost {f['lost']}, duplicates {f['duplicates']}; so far the clients were refused "
        f"{f['refused']} requests and gave up on {f['gave_up']}"
        if "lost" in f
        else "not checked here"
    )
    latency = (
        f"; saves p50 {f['save_p50_s'] * 1000:.0f} ms, p95 {f['save_p95_s'] * 1000:.0f} ms"
        if f["save_p50_s"] is not None
        else ""
    )
    print(f"\n{f['window']}  ({f['seconds']:.0f} s){'  ' + f['note'] if 'note' in f else ''}")
    print(f"  requests {f['requests']}, errors {f['errors']} ({errors}){latency}")
    print(f"  {checked}")
    if f["first_ok_save_s"]:
        print(
            f"  recovery: first ok save {seconds(f['first_ok_save_s'])} s; errors until "
            f"{seconds(f['errors_until_s'])} s"
        )
    print(
        f"  scheduler job runs at once: {f['schedulers_at_once']} (schedulers that ran jobs: "
        f"{', '.join(f['schedulers_running_jobs']) or 'none'})"
    )


def print_final(final, figures, together, runs, schedulers, args) -> None:
    ledger = final["ledger"]
    print(
        f"\nledger at the end: {final['acknowledged_answers']} answers acknowledged, "
        f"{final['stored_answers']} stored, LOST {final['lost_answers']}; the clients gave up "
        f"{ledger.get('gave_up', 0)} requests, were refused {ledger.get('refused', 0)}, saw "
        f"{ledger.get('stale', 0)} stale and {ledger.get('stale_retry', 0)} stale-on-retry saves; "
        f"attempts {final['attempts']} ({final['candidates_with_more_than_one_attempt']} candidates "
        f"with more than one), duplicate answer rows {final['duplicate_answer_rows']}; submitted "
        f"{final['submitted_by_client']}, graded {final['client_submissions_graded']}"
    )
    for example in final["client_failures"] + final["lost_examples"] + final["grading_problems"]:
        print("  !", json.dumps(example, ensure_ascii=False, default=str))
    names = sorted({r[1] for r in runs})
    print(
        f"schedulers: {len(schedulers.started)} processes started, "
        + ", ".join(f"{k} {v}" for k, v in schedulers.log_counts().items())
        + "; job runs: "
        + (", ".join(f"{n} {sum(1 for r in runs if r[1] == n)}" for n in names) or "none")
    )
    if together:
        first = together[0]
        print(
            f"  first job run at once: {time.strftime('%H:%M:%S', time.localtime(first[0]))} {first[1]} {first[2]}"
        )
    targets = [
        (
            "lost answers = 0",
            final["lost_answers"] == 0 and all(f.get("lost", 0) == 0 for f in figures),
        ),
        (
            "duplicates = 0",
            final["duplicates"] == 0 and all(f.get("duplicates", 0) == 0 for f in figures),
        ),
        (f"schedulers running jobs at once = never (got {len(together)} job runs)", not together),
        (
            "every submission graded",
            final["client_submissions_graded"] == final["submitted_by_client"] == args.candidates,
        ),
    ]
    print("targets: " + "; ".join(f"[{'met' if ok else 'NOT met'}] {text}" for text, ok in targets))


if __name__ == "__main__":
    main()
