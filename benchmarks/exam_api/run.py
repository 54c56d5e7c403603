"""Exam-day throughput: answer saves and paper fetches beside a bare endpoint, one run.

    python benchmarks/exam_api/run.py [--database-url postgresql+psycopg://...]
        [--config deploy/gunicorn.conf.py] [--worker-class sync --workers 5 --threads 1]

Builds a fresh database (PostgreSQL by default on 127.0.0.1), a bank and a 100-question exam,
64 candidates with attempts under way and all 100 questions of each paper answered, starts
gunicorn with the deployment's settings (``deploy/gunicorn.conf.py``; the options override
them), and beside it a bare WSGI app (``bare.py``, no Flask) under the same settings, then
drives them with wrk (Debian's package) at 16 and 64 connections, each connection a
different candidate, for:
  the bare app (the ceiling of gunicorn itself), /healthz (Flask, no database, no session),
  GET /api/v1/attempts/<id> (the paper, with its 100 saved answers),
  PUT /api/v1/attempts/<id>/answers/<q> (a save, with an increasing sequence number, each
  to the next question of the paper in turn, as a candidate answers them).
Prints requests/s, errors and the ratios to /healthz and to the bare app (targets, issue 19:
save >= 40 %, paper >= 30 % of /healthz).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))
LUA = Path(__file__).with_name("sessions.lua")
PASSWORD = "Bench-pass-2026"


def prepare(url: str, candidates: int) -> None:
    from datetime import timedelta

    from flask_migrate import upgrade

    from exam import create_app
    from exam.auth.models import User, UserRole
    from exam.auth.services import set_password
    from exam.core.extensions import db
    from exam.core.identifiers import example_credit_code as valid_credit_code
    from exam.core.identifiers import example_id_number as valid_id_number
    from exam.core.timeutil import utcnow
    from exam.exams import services as exams
    from exam.exams.models import AttemptAnswer, Exam
    from exam.people.models import Enterprise, Sector, Town
    from exam.people.services import add_person
    from exam.questions import services as bank
    from exam.questions.models import QuestionStatus, Topic
    from question_bank.model import QuestionData

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        topic = db.session.scalar(db.select(Topic).where(Topic.code == "G1"))
        for i in range(150):
            question = bank.create_question(
                QuestionData(
                    kind="single",
                    stem=f"基准题{i}：生产经营单位的主要负责人是本单位安全生产的（　）。",
                    options=("第一责任人", "直接责任人", "监督人", "协助人"),
                    answer="A",
                    explanation="第五条",
                ),
                [topic],
                [],
                None,
            )
            question.status = QuestionStatus.ACTIVE
        town = Town(name="基准镇")
        sector = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
        enterprise = Enterprise(
            name="基准企业", credit_code=valid_credit_code(1), town=town, sectors=[sector]
        )
        db.session.add(enterprise)
        now = utcnow()
        exam = Exam(
            title="基准考试",
            blueprint={"rules": [{"count": 100, "kind": "single", "points": 1}]},
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(hours=6),
            duration_minutes=300,
        )
        db.session.add(exam)
        assert exams.publish(exam, now) == []
        for i in range(candidates):
            person, _ = add_person(
                {
                    "name": f"考生{i}",
                    "id_number": valid_id_number(i + 1),
                    "mobile": f"139{i:08d}",
                    "role": "principal_leader",
                },
                enterprise,
            )
            db.session.flush()
            user = db.session.scalar(db.select(User).where(User.person_id == person.id))
            set_password(user, PASSWORD)
            assert user.role == UserRole.CANDIDATE
            attempt = exams.start_attempt(exam, user, now)
            # Every question answered: the paper fetch carries 100 saved answers.
            db.session.flush()
            db.session.add_all(
                AttemptAnswer(
                    attempt_id=attempt.id,
                    question_id=item["question_id"],
                    response="A",
                    seq=1,
                    saved_at=now,
                )
                for item in attempt.paper
            )
        db.session.commit()


def sessions(base: str, candidates: int) -> list[dict]:
    """Log each candidate in through the API: cookie, CSRF token, attempt and a question."""
    from exam.core.identifiers import id_check_char

    rows = []
    for i in range(candidates):
        first = f"370102{'19800101'}{(i + 1) % 1000:03d}"
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        body = json.dumps({"login": first + id_check_char(first), "password": PASSWORD}).encode()
        me = json.load(
            opener.open(
                urllib.request.Request(
                    f"{base}/api/v1/login", body, {"Content-Type": "application/json"}
                )
            )
        )
        exams = json.load(opener.open(f"{base}/api/v1/me/exams"))
        attempt = exams[0]["open_attempt_id"]
        paper = json.load(opener.open(f"{base}/api/v1/attempts/{attempt}"))
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        # A candidate answers question after question: each save goes to the next one.
        questions = ",".join(str(q["question_id"]) for q in paper["paper"]["questions"])
        rows.append(
            {"cookie": cookie, "csrf": me["csrf_token"], "attempt": attempt, "questions": questions}
        )
    return rows


def wrk(
    base: str, path_kind: str, connections: int, seconds: int, session_file: str
) -> tuple[float, int]:
    env = {**os.environ, "ANPEI_SESSIONS": session_file, "ANPEI_KIND": path_kind}
    out = subprocess.run(
        ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "-s", str(LUA), base],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(errors.group(1)) if errors else 0) + (
        sum(map(int, socket.groups())) if socket else 0
    )
    return rate, failed


def gunicorn(app: str, port: int, args, env: dict) -> subprocess.Popen:
    """gunicorn with the deployment's settings file, the options given overriding it."""
    command = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}"]
    if args.config != "none":
        command += ["-c", args.config]
    for option, value in (
        ("--worker-class", args.worker_class),
        ("--workers", args.workers),
        ("--threads", args.threads),
    ):
        if value is not None:
            command += [option, str(value)]
    command += ["--log-level", "warning", app]
    return subprocess.Popen(command, env=env, cwd=ROOT)


def wait_for(url: str) -> None:
    for _ in range(120):
        try:
            urllib.request.urlopen(url)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--config", default=str(ROOT / "deploy" / "gunicorn.conf.py"))
    parser.add_argument("--worker-class", default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--connections", default="16,64", help="comma-separated, in the order run")
    args = parser.parse_args()
    instance = tempfile.mkdtemp()
    os.environ["ANPEI_INSTANCE_PATH"] = instance
    url, name = args.database_url, None
    if url is None:
        name = f"anpei_bench_{os.getpid()}"
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"CREATE DATABASE {name}"],
            check=True,
        )
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    prepare(url, 64)
    env = {
        **os.environ,
        "ANPEI_DATABASE_URL": url,
        "ANPEI_SECRET_KEY": "bench-secret",
        "ANPEI_ENV": "production",
        # The harness speaks plain HTTP to gunicorn on localhost: cookies must not be Secure.
        "ANPEI_SESSION_COOKIE_SECURE": "0",
    }
    env["PYTHONPATH"] = str(ROOT)
    server = gunicorn("exam:create_app()", args.port, args, env)
    bare = gunicorn("benchmarks.exam_api.bare:app", args.port + 1, args, env)
    base, bare_base = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
    try:
        wait_for(f"{base}/healthz")
        wait_for(f"{bare_base}/healthz")
        session_file = Path(instance) / "sessions.json"
        session_file.write_text(json.dumps(sessions(base, 64)))
        load = os.getloadavg()
        print(
            f"gunicorn {args.config} (worker class {args.worker_class or 'as configured'}, "
            f"workers {args.workers or 'as configured'}, threads {args.threads or 'as configured'}), "
            f"{url.split(':')[0]}, 100-question paper with 100 saved answers, {args.seconds} s each, "
            f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
        )
        for connections in map(int, args.connections.split(",")):
            ceiling, b_err = wrk(bare_base, "health", connections, args.seconds, str(session_file))
            health, h_err = wrk(base, "health", connections, args.seconds, str(session_file))
            fetch, f_err = wrk(base, "fetch", connections, args.seconds, str(session_file))
            save, s_err = wrk(base, "save", connections, args.seconds, str(session_file))
            print(
                f"c={connections:>2}  bare WSGI {ceiling:7.0f} req/s ({b_err} errors)  "
                f"/healthz {health:7.0f} req/s ({h_err} errors, {health / ceiling:5.1%} of bare)\n"
                f"      paper fetch {fetch:7.0f} req/s ({f_err} errors, {fetch / health:5.1%} of "
                f"/healthz, {fetch / ceiling:5.1%} of bare)  answer save {save:7.0f} req/s "
                f"({s_err} errors, {save / health:5.1%} of /healthz, {save / ceiling:5.1%} of bare)"
            )
    finally:
        for process in (server, bare):
            process.terminate()
            process.wait()
        if name is not None:  # the database this run made (one given with --database-url stays)
            # FORCE: the stopped workers' backends may not have gone yet (the drop was refused).
            subprocess.run(
                [
                    *("psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c"),
                    f"DROP DATABASE {name} WITH (FORCE)",
                ],
                check=False,
            )


if __name__ == "__main__":
    main()
