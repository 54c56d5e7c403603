"""A short exam through nginx and two app hosts, one of which is killed half-way.

    sudo python benchmarks/multihost/smoke.py [--candidates 20] [--questions 20] [--pgbouncer]

Starts the cluster (benchmarks/cluster.py) on a fresh database, builds a bank of single-choice
questions, one open exam and the candidates (passwords hashed as production hashes them),
then each candidate, in a thread of its own, logs in, starts, fetches the paper, saves an
answer to every question (a change of mind on some) and submits, all through nginx. Half-way
through the saves every process of the last app host is killed. Clients resend what got no
answer or a 5xx, as the exam page does, and count the resends. At the end the database is
checked: every acknowledged answer stored with its last value, every attempt graded once.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from cluster import Cluster  # noqa: E402

PASSWORD = "Smoke-pass-2026"


def prepare(url: str, candidates: int, questions: int) -> tuple[int, list[str]]:
    """Bank, one open exam, candidates; returns the exam's id and the logins."""
    from exam import create_app
    from exam.auth.models import User, UserRole
    from exam.auth.services import set_password
    from exam.core.extensions import db
    from exam.core.identifiers import credit_check_char, id_check_char
    from exam.core.timeutil import utcnow
    from exam.exams import services as exams
    from exam.exams.models import Exam
    from exam.people.models import Enterprise, Sector, Town
    from exam.people.services import add_person
    from exam.questions import services as bank
    from exam.questions.models import QuestionStatus, Topic
    from question_bank.model import QuestionData

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        topic = db.session.scalar(db.select(Topic).where(Topic.code == "G1"))
        for i in range(questions * 2):
            data = QuestionData(
                kind="single",
                stem=f"单选{i}：生产经营单位的主要负责人是本单位安全生产的（　）。",
                options=("第一责任人", "直接责任人", "监督人", "协助人"),
                answer="A",
            )
            bank.create_question(data, [topic], [], None).status = QuestionStatus.ACTIVE
        first = "91370102" + "000000777"
        sector = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
        enterprise = Enterprise(
            name="冒烟测试企业",
            credit_code=first + credit_check_char(first),
            town=Town(name="冒烟镇"),
            sectors=[sector],
        )
        db.session.add(enterprise)
        now = utcnow()
        exam = Exam(
            title="多主机冒烟测试",
            blueprint={
                "rules": [{"count": questions, "kind": "single", "points": 100 / questions}]
            },
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(hours=2),
            duration_minutes=60,
        )
        db.session.add(exam)
        assert exams.publish(exam, now) == []
        hashed = None
        logins = []
        for i in range(candidates):
            base = f"370102{19750101 + i // 1000}{i % 1000:03d}"
            id_number = base + id_check_char(base)
            person, _ = add_person(
                {"name": f"考生{i}", "id_number": id_number, "role": "principal_leader"},
                enterprise,
            )
            db.session.flush()
            user = db.session.scalar(db.select(User).where(User.person_id == person.id))
            if hashed is None:  # one real hash, shared: each login still pays the full check
                set_password(user, PASSWORD)
                hashed = user.password_hash
            else:
                set_password(user, PASSWORD)
                user.password_hash = hashed
            logins.append(id_number)
        admin = User(username="bureau", role=UserRole.ADMIN, display_name="局管理员")
        db.session.add(admin)
        set_password(admin, PASSWORD)
        db.session.commit()
        exam_id = exam.id
        db.engine.dispose()
    return exam_id, logins


class Candidate:
    """One phone: a cookie jar, the CSRF token, and resending what got no answer."""

    def __init__(self, base: str, login: str, stats: Counter):
        self.base, self.login, self.stats = base, login, stats
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""
        self.acknowledged: dict[int, str] = {}
        self.attempt_id = 0

    def call(self, method: str, path: str, body=None, tries: int = 30) -> dict:
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(tries):
            request = urllib.request.Request(self.base + path, data=data, method=method)
            request.add_header("Content-Type", "application/json")
            request.add_header("X-CSRFToken", self.csrf)
            try:
                with self.opener.open(request, timeout=30) as response:
                    self.stats["ok"] += 1
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as error:
                if error.code < 500 and error.code != 429:
                    raise
                self.stats[f"resent after {error.code}"] += 1
            except TimeoutError:
                self.stats["resent after no answer in 30 s"] += 1
            except OSError:
                self.stats["resent after a connection error"] += 1
            time.sleep(min(2.0, 0.2 * (attempt + 1)))
        raise RuntimeError(f"{method} {path} failed {tries} times")

    def sit(self, exam_id: int, halfway: threading.Barrier, rng: random.Random) -> None:
        try:
            self._sit(exam_id, halfway, rng)
        except Exception as error:  # counted; the run then fails its check
            self.stats[f"candidates failed: {type(error).__name__}: {error}"] += 1
            halfway.abort()

    def _sit(self, exam_id: int, halfway: threading.Barrier, rng: random.Random) -> None:
        self.csrf = self.call("POST", "/api/v1/login", {"login": self.login, "password": PASSWORD})[
            "csrf_token"
        ]
        self.attempt_id = self.call("POST", f"/api/v1/exams/{exam_id}/attempts", {})["attempt_id"]
        paper = self.call("GET", f"/api/v1/attempts/{self.attempt_id}")["paper"]["questions"]
        seq = 0
        for number, question in enumerate(paper):
            if number == len(paper) // 2:
                halfway.wait(timeout=600)
            for answer in [rng.choice("ABCD") for _ in range(1 + (rng.random() < 0.3))]:
                seq += 1
                path = f"/api/v1/attempts/{self.attempt_id}/answers/{question['question_id']}"
                self.call("PUT", path, {"answer": answer, "seq": seq})
                self.acknowledged[question["question_id"]] = answer
        self.call("POST", f"/api/v1/attempts/{self.attempt_id}/submit", {})


#: The reports the bureau watches during the exam.
REPORTS = ("/reports/", "/reports/pass-rates", "/reports/tracker")


def watch_reports(base: str, stop: threading.Event, seconds: list[float], every: float = 2):
    """The bureau's administrator, logged in through the login form, requests the dashboard,
    pass rates and tracker every ``every`` seconds until ``stop``; each page's time is kept."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(base + "/login", timeout=120).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    form = urllib.parse.urlencode(
        {"login": "bureau", "password": PASSWORD, "csrf_token": token.group(1)}
    ).encode()
    opener.open(base + "/login", data=form, timeout=120).read()
    while not stop.is_set():
        for path in REPORTS:
            started = time.monotonic()
            with opener.open(base + path, timeout=120) as response:
                response.read()
                assert response.status == 200 and response.url.endswith(path), response.url
            seconds.append(time.monotonic() - started)
        stop.wait(every)


def replica_transactions(cluster: Cluster) -> int | None:
    """Transactions the replica has served for the database (None without one)."""
    if not cluster.replica:
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(cluster.reports_url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :d"),
            {"d": cluster.database},
        ).scalar()
    engine.dispose()
    return count


def check(url: str, candidates: list[Candidate]) -> dict:
    """Every acknowledged answer stored with its last value; every attempt graded once."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    lost = ungraded = 0
    with engine.connect() as connection:
        for candidate in candidates:
            stored = dict(
                connection.execute(
                    text("SELECT question_id, response FROM attempt_answer WHERE attempt_id = :a"),
                    {"a": candidate.attempt_id},
                ).all()
            )
            lost += sum(stored.get(q) != a for q, a in candidate.acknowledged.items())
            graded = connection.execute(
                text("SELECT count(*) FROM attempt WHERE id = :a AND score IS NOT NULL"),
                {"a": candidate.attempt_id},
            ).scalar()
            ungraded += graded != 1
    engine.dispose()
    return {"lost answers": lost, "attempts not graded once": ungraded}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--pgbouncer", action="store_true")
    parser.add_argument("--replica", action="store_true", help="reports from a replica")
    parser.add_argument("--database", default="anpei_multihost_smoke")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()

    cluster = Cluster(
        hosts=args.hosts, database=args.database, pgbouncer=args.pgbouncer, replica=args.replica
    )
    base = cluster.start(fresh=True)
    try:
        exam_id, logins = prepare(cluster.direct_url, args.candidates, args.questions)
        stats: Counter = Counter()
        halfway = threading.Barrier(args.candidates + 1)
        candidates = [Candidate(base, login, stats) for login in logins]
        threads = [
            threading.Thread(target=c.sit, args=(exam_id, halfway, random.Random(i)))
            for i, c in enumerate(candidates)
        ]
        stop_reports, report_seconds = threading.Event(), []
        reports = threading.Thread(target=watch_reports, args=(base, stop_reports, report_seconds))
        before = replica_transactions(cluster)
        started = time.monotonic()
        reports.start()
        for thread in threads:
            thread.start()
        try:
            halfway.wait(timeout=600)
        except threading.BrokenBarrierError:
            print("a candidate failed before half-way")
        killed = cluster.kill_host(args.hosts - 1)
        print(f"half-way ({time.monotonic() - started:.1f} s): killed app host {args.hosts - 1} "
              f"({len(killed)} processes)")  # fmt: skip
        for thread in threads:
            thread.join()
        stop_reports.set()
        reports.join()
        print(f"done in {time.monotonic() - started:.1f} s; requests: {dict(stats)}")
        if report_seconds:
            report_seconds.sort()
            print(
                f"reports: {len(report_seconds)} pages, median {report_seconds[len(report_seconds) // 2]:.2f} s, "
                f"slowest {report_seconds[-1]:.2f} s"
                + (
                    f"; the replica served {replica_transactions(cluster) - before} transactions"
                    if cluster.replica
                    else ""
                )
            )
        result = check(cluster.direct_url, candidates)
        print(f"ledger: {result}")
        return 0 if not any(result.values()) else 1
    finally:
        if not args.keep:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
