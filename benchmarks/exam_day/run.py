"""Exam day under load: N candidates log in, start together, answer, autosave and submit.

    pip install locust
    python benchmarks/exam_day/run.py                      # 1,000 candidates, about 5 minutes
    python benchmarks/exam_day/run.py --candidates 50 --quick   # a smoke check, about 1.5 minutes

Builds a fresh PostgreSQL database on 127.0.0.1 (trust authentication, user postgres), a
question bank, one open exam and N candidates; starts gunicorn; measures the bare /healthz
throughput with wrk for scale; then runs Locust headless (``locustfile.py``), each simulated
candidate following the plan: log in, start in a burst, fetch the paper, answer with think
time (each change saved at once, now and then a second thought on an earlier answer),
submit in the final window. Afterwards it checks the database against the candidates' own
ledger (every acknowledged answer stored with its last value, every submitted attempt graded
once, with the score the candidate was shown) and prints per-endpoint throughput and
latency, the start burst, the submissions, the CPU each party used and the targets met.
The database is dropped at the end (``--keep-db`` keeps it).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))
HERE = Path(__file__).parent
PASSWORD = "Bench-pass-2026"
CHEAP_HASH = "pbkdf2:sha256:1000"

ENDPOINTS = (
    "POST /api/v1/login",
    "GET /api/v1/me/exams",
    "POST /api/v1/exams/[id]/attempts",
    "GET /api/v1/attempts/[id]",
    "PUT /api/v1/attempts/[id]/answers/[q]",
    "POST /api/v1/attempts/[id]/submit",
)
START, SUBMIT = ENDPOINTS[2], ENDPOINTS[5]

# The targets (for 1,000 candidates on a 2-core machine).
TARGET_P95 = 1.0
BURST_SECONDS, BURST_STARTS, BURST_P99 = 10, 300, 3.0
SUBMIT_SECONDS, SUBMIT_COUNT = 60, 500


# --- preparing ------------------------------------------------------------------------------


def create_database() -> str:
    name = f"anpei_examday_{os.getpid()}"
    psql(f"CREATE DATABASE {name}")
    return name


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True)


def id_number(i: int) -> str:
    from exam.core.identifiers import id_check_char

    born = date(1975, 1, 1) + timedelta(days=i // 1000)
    first = f"370102{born:%Y%m%d}{i % 1000:03d}"
    return first + id_check_char(first)


def prepare(url: str, candidates: int, questions: int, bank_size: int = 0) -> list[dict]:
    """Schema, a bank (``bank_size`` questions, at least twice the paper, in the paper's mix of
    kinds), one open exam and the candidates."""
    from flask_migrate import upgrade

    from exam import create_app
    from exam.auth.models import User, UserRole
    from exam.auth.services import set_password
    from exam.core.extensions import db
    from exam.core.timeutil import utcnow
    from exam.exams import services as exams
    from exam.exams.models import Exam
    from exam.people.models import Enterprise, Sector, Town
    from exam.people.services import add_person
    from exam.questions import services as bank
    from exam.questions.models import QuestionStatus, Topic
    from question_bank.model import QuestionData
    from tests.conftest import valid_credit_code

    # Half single choice, a quarter multiple choice, the rest true/false and fill-in.
    counts = {"single": questions // 2, "multiple": questions // 4, "truefalse": questions // 8}
    counts["fill"] = questions - sum(counts.values())
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_METHOD": CHEAP_HASH})
    logins = []
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's log of every migration
            upgrade()
        topic = db.session.scalar(db.select(Topic).where(Topic.code == "G1"))
        for kind, count in counts.items():
            for i in range(max(2 * count, bank_size * count // questions)):
                data = {
                    "single": QuestionData(
                        kind="single",
                        stem=f"单选{i}：生产经营单位的主要负责人是本单位安全生产的（　）。",
                        options=("第一责任人", "直接责任人", "监督人", "协助人"),
                        answer="A",
                    ),
                    "multiple": QuestionData(
                        kind="multiple",
                        stem=f"多选{i}：安全生产工作应当（　）。",
                        options=("以人为本", "坚持安全第一", "预防为主", "综合治理", "事后处理"),
                        answer="ABCD",
                    ),
                    "truefalse": QuestionData(
                        kind="truefalse", stem=f"判断{i}：从业人员有权拒绝违章指挥。", answer=True
                    ),
                    "fill": QuestionData(
                        kind="fill",
                        stem=f"填空{i}：坚持____、____的方针。",
                        answer=[["安全第一"], ["预防为主"]],
                    ),
                }[kind]
                bank.create_question(data, [topic], [], None).status = QuestionStatus.ACTIVE
        town = Town(name="基准镇")
        sector = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
        enterprise = Enterprise(
            name="基准企业", credit_code=valid_credit_code(1), town=town, sectors=[sector]
        )
        db.session.add(enterprise)
        now = utcnow()
        exam = Exam(
            title="考试日基准",
            blueprint={
                "rules": [
                    {"count": count, "kind": kind, "points": 100 / questions}
                    for kind, count in counts.items()
                    if count
                ]
            },
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(hours=6),
            duration_minutes=120,
        )
        db.session.add(exam)
        assert exams.publish(exam, now) == []
        for i in range(candidates):
            person, _ = add_person(
                {
                    "name": f"考生{i}",
                    "id_number": id_number(i),
                    "mobile": f"139{i:08d}",
                    "role": "principal_leader",
                },
                enterprise,
            )
            db.session.flush()
            user = db.session.scalar(db.select(User).where(User.person_id == person.id))
            set_password(user, PASSWORD)
            assert user.role == UserRole.CANDIDATE
            # Candidates type their ID number or their mobile.
            logins.append(
                {"login": id_number(i) if i % 2 == 0 else f"139{i:08d}", "password": PASSWORD}
            )
        db.session.commit()
        db.engine.dispose()
    return logins


def start_server(url: str, args, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "ANPEI_DATABASE_URL": url,
        "ANPEI_SECRET_KEY": "bench-secret",
        "ANPEI_ENV": "production",
        # The harness speaks plain HTTP to gunicorn on localhost: cookies must not be Secure.
        "ANPEI_SESSION_COOKIE_SECURE": "0",
        "ANPEI_PASSWORD_METHOD": CHEAP_HASH,
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(args.workers),
        "-b",
        f"127.0.0.1:{args.port}",
        "--log-level",
        "warning",
        "--timeout",
        "120",
        "--backlog",
        "4096",
    ]
    if args.threads > 1:
        command += ["--threads", str(args.threads)]
    server = subprocess.Popen(
        [*command, "exam:create_app()"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz")
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"gunicorn did not come up: see {log}")


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
    """Locust, headless, with one user per candidate following ``plan.json`` (also used by the
    fault benchmark, ``benchmarks/faults/run.py``)."""
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "-u",
        str(args.candidates),
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
    return command


# --- watching -------------------------------------------------------------------------------


class CpuSampler(threading.Thread):
    """CPU used each second by the load generator, gunicorn, PostgreSQL (this run's backends
    and the server's own processes) and everything else (100 % = one core)."""

    def __init__(self, groups: dict[str, int], database: str):
        super().__init__(daemon=True)
        import psutil

        self.psutil, self.groups, self.database = psutil, groups, database
        self.samples, self.stopping = [], threading.Event()
        #: CPU seconds of the other processes, by command, over the run.
        self.others: dict[str, float] = defaultdict(float)

    def _group(self, process, trees: dict[int, str]) -> str:
        if process.pid in trees:
            return trees[process.pid]
        if process.info["name"] in ("postgres", "postmaster"):
            # Not the backends of anybody else's database on the same server (their tests).
            title = " ".join(process.info["cmdline"] or ())
            if self.database in title or not re.search(r"\d+\.\d+\.\d+\.\d+\(|\[local\]", title):
                return "postgres"
        return "others"

    def run(self) -> None:
        psutil, before = self.psutil, {}
        psutil.cpu_percent()
        last = time.time()
        while not self.stopping.wait(1.0):
            trees = {}
            for name, pid in self.groups.items():
                try:
                    parent = psutil.Process(pid)
                    trees.update({p.pid: name for p in [parent, *parent.children(recursive=True)]})
                except psutil.NoSuchProcess:
                    pass
            now, sample, single = time.time(), defaultdict(float), defaultdict(float)
            for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
                times = process.info["cpu_times"]
                if times is None:
                    continue
                group, used = self._group(process, trees), times.user + times.system
                key = (process.pid, process.info["name"])
                if key in before:
                    share = 100 * (used - before[key]) / (now - last)
                    sample[group] += share
                    single[group] = max(single[group], share)
                    if group == "others" and used > before[key]:
                        command = (
                            " ".join(process.info["cmdline"] or ()) or process.info["name"] or "?"
                        )
                        self.others[command[:100]] += used - before[key]
                before[key] = used
            self.samples.append(
                {
                    "t": now,
                    **sample,
                    "locust_busiest_process": single["locust"],
                    "machine": psutil.cpu_percent() * psutil.cpu_count(),
                }
            )
            last = now

    def summary(self, start: float, end: float) -> dict:
        rows = [s for s in self.samples if start <= s["t"] <= end]
        out = {}
        for key in (
            "locust",
            "locust_busiest_process",
            "gunicorn",
            "postgres",
            "others",
            "machine",
        ):
            values = sorted(s.get(key, 0.0) for s in rows)
            if values:
                out[key] = {
                    "mean": sum(values) / len(values),
                    "p95": pick(values, 0.95),
                    "max": values[-1],
                }
        return out


# --- reading the results -------------------------------------------------------------------


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


def read_timings(folder: Path) -> dict[str, list[tuple[float, float, bool, int]]]:
    requests = defaultdict(list)
    for path in folder.glob("requests-*.csv"):
        for line in path.read_text().splitlines():
            name, start, ms, ok, status = line.rsplit(",", 4)
            requests[name].append((float(start), float(ms) / 1000, ok == "1", int(status)))
    for rows in requests.values():
        rows.sort()
    return requests


def read_ledger(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in folder.glob("ledger-*.jsonl")
        for line in path.read_text().splitlines()
    ]


def check_database(url: str, ledger: list[dict]) -> dict:
    """Compare the server's rows with what the candidates were told."""
    from sqlalchemy import func, select

    from exam import create_app
    from exam.core.extensions import db
    from exam.exams import services
    from exam.exams.models import Attempt, AttemptAnswer

    acked: dict[tuple[int, int], tuple[int, object]] = {}
    for entry in ledger:
        if entry["kind"] == "ack":
            key = (entry["attempt"], entry["question"])
            if key not in acked or acked[key][0] < entry["seq"]:
                acked[key] = (entry["seq"], entry["answer"])
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
        "auto_submitted": sum(1 for _, _, auto, _ in states if auto),
        "client_submissions_graded": sum(
            1 for key, done, _, score in states if key in submitted and done and score is not None
        ),
        "graded": graded,
        "grading_problems": problems[:5] + ([f"... {len(problems)} in all"] if problems else []),
        "score_differs_from_client": score_differs,
        "regrade_differs": regraded_differs,
    }


def endpoint_stats(rows: list[tuple[float, float, bool, int]]) -> dict:
    latencies = sorted(r[1] for r in rows)
    first, last = rows[0][0], max(r[0] + r[1] for r in rows)
    peak, _ = densest([r[0] for r in rows], 10)
    return {
        "requests": len(rows),
        "failures": sum(1 for r in rows if not r[2]),
        "rate": len(rows) / max(last - first, 1e-9),
        "peak_10s_rate": peak / 10,
        "p50": pick(latencies, 0.50),
        "p95": pick(latencies, 0.95),
        "p99": pick(latencies, 0.99),
        "max": latencies[-1],
    }


def window_stats(rows: list[tuple[float, float, bool, int]], seconds: float) -> dict:
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


# --- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=40, help="questions on the paper")
    parser.add_argument(
        "--bank",
        type=int,
        default=0,
        help="active questions in the bank (default: twice "
        "the paper); every start draws from all of them",
    )
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn threads per worker (gthread if > 1)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="Locust processes (more than one: "
        "Locust's --processes, a master and that many workers)",
    )
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument(
        "--database-url", default=None, help="an empty database to use instead of a new one"
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--quick", action="store_true", help="short windows for a smoke check")
    parser.add_argument(
        "--login-window", type=float, default=None, help="s over which candidates log in (60)"
    )
    parser.add_argument(
        "--start-window", type=float, default=None, help="s over which they start (30)"
    )
    parser.add_argument(
        "--answer-time",
        type=float,
        default=None,
        help="s from the burst's end to the submission window (120)",
    )
    parser.add_argument(
        "--submit-window",
        type=float,
        default=None,
        help="s over which they submit: the final minute (60)",
    )
    parser.add_argument("--think", default=None, help="think time between saves, min,max s (2,6)")
    parser.add_argument(
        "--change", type=float, default=0.2, help="share of saves that change an earlier answer"
    )
    parser.add_argument(
        "--overtime",
        type=float,
        default=300,
        help="s after the submission window "
        "before Locust is stopped if some candidates are still not done",
    )
    parser.add_argument("--healthz-seconds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--out", default=None, help="folder for the ledger, timings and logs (default: temporary)"
    )
    args = parser.parse_args()
    quick = {
        "login_window": 10,
        "start_window": 10,
        "answer_time": 30,
        "submit_window": 15,
        "think": "1,3",
    }
    full = {
        "login_window": 60,
        "start_window": 30,
        "answer_time": 120,
        "submit_window": 60,
        "think": "2,6",
    }
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    think = [float(x) for x in args.think.split(",")]

    folder = Path(args.out or tempfile.mkdtemp(prefix="anpei_examday_"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "claims").mkdir(exist_ok=True)
    (folder / "done").mkdir(exist_ok=True)
    os.environ["ANPEI_INSTANCE_PATH"] = str(folder / "instance")
    made = None
    url = args.database_url
    if url is None:
        made = create_database()
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{made}"
    server = None
    try:
        began = time.time()
        logins = prepare(url, args.candidates, args.questions, args.bank)
        (folder / "candidates.json").write_text(json.dumps(logins))
        print(
            f"prepared {args.candidates} candidates and a {args.questions}-question exam (bank of "
            f"{max(args.bank, 2 * args.questions)}) "
            f"in {time.time() - began:.1f} s; files in {folder}",
            flush=True,
        )
        server = start_server(url, args, folder / "gunicorn.log")
        base = f"http://127.0.0.1:{args.port}"
        health = healthz(base, args.healthz_seconds)
        print(
            f"/healthz: {health:.0f} req/s (wrk, 64 connections)"
            if health
            else "/healthz: wrk not found",
            flush=True,
        )

        lead = 8 + args.candidates / 200  # Locust's start and the users' spawning
        t0 = time.time() + lead
        plan = {
            "t0": t0,
            "login_s": args.login_window,
            "start_s": args.start_window,
            "answer_s": args.answer_time,
            "submit_s": args.submit_window,
            "think": think,
            "change": args.change,
            "seed": args.seed,
            "processes": args.processes,
        }
        (folder / "plan.json").write_text(json.dumps(plan))
        end = t0 + args.login_window + args.start_window + args.answer_time + args.submit_window
        run_time = int(end + args.overtime - time.time()) + 1
        command = locust_command(args, base, run_time)
        print(
            f"locust: {args.candidates} users, {args.processes} process(es), at most {run_time} s; log in over "
            f"{args.login_window:.0f} s, start over {args.start_window:.0f} s, answer {args.answer_time:.0f} s "
            f"(think {args.think} s), submit over {args.submit_window:.0f} s",
            flush=True,
        )
        with (folder / "locust.log").open("w") as log:
            locust = subprocess.Popen(
                command,
                env={**os.environ, "ANPEI_BENCH_DIR": str(folder)},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=HERE,
            )
            sampler = CpuSampler(
                {"locust": locust.pid, "gunicorn": server.pid}, url.rsplit("/", 1)[-1]
            )
            sampler.start()
            # Ends when every candidate is done (Locust's --run-time is only the upper bound).
            while locust.poll() is None:
                if len(os.listdir(folder / "done")) >= args.candidates:
                    locust.send_signal(signal.SIGTERM)
                    locust.wait()
                    break
                time.sleep(1)
            sampler.stopping.set()
            sampler.join()
        server_log = (folder / "gunicorn.log").read_text()
        report(args, folder, url, health, plan, sampler, server_log)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        if made and not args.keep_db:
            psql(f"DROP DATABASE IF EXISTS {made} WITH (FORCE)")


def report(
    args, folder: Path, url: str, health, plan: dict, sampler: CpuSampler, server_log: str
) -> None:
    timings, ledger = read_timings(folder), read_ledger(folder)
    checks = check_database(url, ledger)
    t0 = plan["t0"]
    burst_end = t0 + plan["login_s"] + plan["start_s"]
    submit_begin = burst_end + plan["answer_s"]
    submit_end = submit_begin + plan["submit_s"]
    phases = {
        "log in": (t0, t0 + plan["login_s"]),
        "start burst": (t0 + plan["login_s"], burst_end),
        "answering": (burst_end, submit_begin),
        "submitting": (submit_begin, submit_end),
        "overtime": (submit_end, time.time()),
    }

    print(
        f"\n=== exam day: {args.candidates} candidates, {args.questions} questions (bank of "
        f"{max(args.bank, 2 * args.questions)}), gunicorn {args.workers} "
        f"workers x {args.threads} thread(s), locust {args.processes} process(es) ==="
    )
    print(
        f"{'endpoint':<40}{'requests':>9}{'fail':>6}{'req/s':>8}{'peak/s':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    )
    stats, total, failures = {}, 0, 0
    for name in ENDPOINTS + tuple(sorted(set(timings) - set(ENDPOINTS))):
        if not timings.get(name):
            continue
        s = stats[name] = endpoint_stats(timings[name])
        total, failures = total + s["requests"], failures + s["failures"]
        print(
            f"{name:<40}{s['requests']:>9}{s['failures']:>6}{s['rate']:>8.1f}{s['peak_10s_rate']:>8.1f}"
            f"{s['p50'] * 1000:>9.0f}{s['p95'] * 1000:>9.0f}{s['p99'] * 1000:>9.0f}{s['max'] * 1000:>9.0f}"
        )
    print(f"{'all':<40}{total:>9}{failures:>6}")
    print("(req/s: over the endpoint's own active span; peak/s: the busiest 10 s)")
    print("\nby phase (requests started in it): requests  p95 / p99 ms")
    print(f"{'endpoint':<40}" + "".join(f"{phase:>22}" for phase in phases))
    by_phase = {}
    for name in stats:
        cells = []
        for phase, (start, stop) in phases.items():
            inside = sorted(r[1] for r in timings[name] if start <= r[0] < stop)
            by_phase.setdefault(name, {})[phase] = {
                "requests": len(inside),
                "p95": pick(inside, 0.95),
                "p99": pick(inside, 0.99),
            }
            cells.append(
                f"{len(inside):>7} {pick(inside, 0.95) * 1000:>6.0f} / {pick(inside, 0.99) * 1000:>5.0f}"
                if inside
                else ""
            )
        print(f"{name:<40}" + "".join(f"{cell:>22}" for cell in cells))
    if health:
        saves = stats.get(ENDPOINTS[4], {}).get("peak_10s_rate", 0)
        print(
            f"/healthz (wrk, same run, before the load): {health:.0f} req/s; the busiest 10 s of saves "
            f"used {saves / health:.1%} of it"
        )

    kinds = defaultdict(int)
    for entry in ledger:
        kinds[entry["kind"]] += 1
    burst = window_stats(timings.get(START, []), BURST_SECONDS)
    submits = window_stats(timings.get(SUBMIT, []), SUBMIT_SECONDS)
    every = stats.get(START, {})
    print(
        f"\nstarts: {every.get('requests', 0)} requests ({every.get('failures', 0)} failed) over "
        f"{burst.get('span_all', 0):.1f} s, p50 {every.get('p50', 0) * 1000:.0f} ms, p95 "
        f"{every.get('p95', 0) * 1000:.0f} ms, p99 {every.get('p99', 0) * 1000:.0f} ms; the busiest "
        f"{BURST_SECONDS} s held {burst['count']} ({burst.get('failures', 0)} failed, p99 of those "
        f"{burst.get('p99', 0) * 1000:.0f} ms)"
    )
    print(
        f"submissions: {kinds['submit']} acknowledged ({kinds['submit_failed']} failed) over "
        f"{submits.get('span_all', 0):.1f} s; the busiest {SUBMIT_SECONDS} s held {submits['count']}, p99 "
        f"{submits.get('p99', 0) * 1000:.0f} ms; graded in the database: {checks['client_submissions_graded']} "
        f"of {checks['submitted_by_client']}"
    )
    done = len(os.listdir(folder / "done"))
    if done < args.candidates:
        print(
            f"!! {args.candidates - done} candidates were not done when Locust was stopped "
            f"{args.overtime:.0f} s after the submission window (see --overtime)"
        )
    print(
        f"ledger: {checks['acknowledged_answers']} answers acknowledged (last value per question), "
        f"{kinds['ack']} acknowledgements; refused {kinds['refused']}, gave up {kinds['gave_up']}, "
        f"stale {kinds['stale']}, stale on retry {kinds['stale_retry']}"
    )
    print(
        f"database: {checks['stored_answers']} answers stored; LOST {checks['lost_answers']}; stored newer than "
        f"acknowledged {checks['stored_newer_than_acknowledged']}; stored without acknowledgement "
        f"{checks['stored_without_acknowledgement']}"
    )
    print(
        f"attempts: {checks['attempts']} ({checks['attempts_started_by_client']} started by the clients), "
        f"{checks['candidates_with_more_than_one_attempt']} candidates with more than one, "
        f"{checks['submitted_in_database']} submitted ({checks['auto_submitted']} automatically), "
        f"{checks['graded']} graded; score differs from the client's {checks['score_differs_from_client']}, "
        f"re-grading differs {checks['regrade_differs']}"
    )
    for problem in checks["grading_problems"] + [
        json.dumps(x, ensure_ascii=False) for x in checks["lost_examples"]
    ]:
        print("  !", problem)
    server_errors = len(re.findall(r"Traceback|\[ERROR\]|WORKER TIMEOUT", server_log))
    print(f"gunicorn log: {server_errors} errors/tracebacks")

    print(
        f"\nCPU, % of one core ({os.cpu_count()} cores = {100 * os.cpu_count()} %): mean / p95 / max of 1 s "
        "samples; others: every other process (this script, anything else running)"
    )
    cpu = {}
    for phase, (start, stop) in {"whole run": (t0, time.time()), **phases}.items():
        cpu[phase] = summary = sampler.summary(start, stop)
        if not summary:
            continue
        print(
            f"  {phase:<12}"
            + "  ".join(
                f"{key.replace('_', ' ')} {v['mean']:.0f}/{v['p95']:.0f}/{v['max']:.0f}"
                for key, v in summary.items()
            )
        )
    busiest = sorted(sampler.others.items(), key=lambda item: -item[1])[:3]
    print(
        "  others, the busiest: "
        + "; ".join(f"{seconds:.0f} s {command}" for command, seconds in busiest)
    )
    locust_log = (folder / "locust.log").read_text()
    cpu_warnings = locust_log.count("CPU usage")
    print(f"  locust warned of its own CPU usage {cpu_warnings} time(s)")

    p95_ok = all(s["p95"] < TARGET_P95 for s in stats.values())
    targets = [
        (f"{args.candidates} simulated candidates (target 1,000)", args.candidates >= 1000 or None),
        (
            f"0 errors (got {failures})",
            failures == 0 and kinds["gave_up"] == 0 and kinds["refused"] == 0,
        ),
        (f"0 lost answers (got {checks['lost_answers']})", checks["lost_answers"] == 0),
        (
            "p95 under 1 s on every endpoint (worst "
            f"{max((s['p95'] for s in stats.values()), default=0) * 1000:.0f} ms)",
            p95_ok,
        ),
        # Every start of the burst counts, not only the busiest 10 s: its queue grows after them.
        (
            f"{BURST_STARTS} starts within {BURST_SECONDS} s, all served, p99 under {BURST_P99:.0f} s (got "
            f"{burst['count']} in the busiest {BURST_SECONDS} s, {every.get('failures', 0)} failed, p99 of all "
            f"{every.get('requests', 0)} starts {every.get('p99', 0):.2f} s)",
            None
            if args.candidates < BURST_STARTS
            else burst["count"] >= BURST_STARTS
            and every.get("failures", 1) == 0
            and every.get("p99", 99) < BURST_P99,
        ),
        (
            f"{SUBMIT_COUNT} submissions within {SUBMIT_SECONDS} s, all graded (got {submits['count']} in the "
            f"busiest {SUBMIT_SECONDS} s; {checks['submitted_by_client']} of {args.candidates} candidates submitted, "
            f"{checks['client_submissions_graded']} graded)",
            None
            if args.candidates < SUBMIT_COUNT
            else submits["count"] >= SUBMIT_COUNT
            and checks["submitted_by_client"] == args.candidates
            and checks["client_submissions_graded"] == checks["submitted_by_client"]
            and not checks["grading_problems"]
            and checks["regrade_differs"] == 0
            and checks["score_differs_from_client"] == 0,
        ),
    ]
    print("\ntargets:")
    for text, ok in targets:
        print(
            f"  [{'n/a, too few candidates' if ok is None else 'met' if ok else 'NOT met'}] {text}"
        )
    (folder / "summary.json").write_text(
        json.dumps(
            {
                "args": vars(args),
                "healthz": health,
                "endpoints": stats,
                "by_phase": by_phase,
                "burst": burst,
                "submissions": submits,
                "ledger": dict(kinds),
                "database": checks,
                "cpu": cpu,
                "server_errors": server_errors,
                "locust_cpu_warnings": cpu_warnings,
                "others_cpu_seconds": dict(busiest),
                "targets": {t: ok for t, ok in targets},
            },
            ensure_ascii=False,
            indent=1,
            default=str,
        )
    )
    print(f"\ndetails: {folder}/summary.json")


if __name__ == "__main__":
    main()
