"""One simulated candidate on exam day, for Locust (run by ``run.py``, or by hand).

Each user claims one prepared candidate and follows the plan written by ``run.py`` into
``$ANPEI_BENCH_DIR/plan.json`` (absolute times, seconds since the epoch):

  log in (a few type a wrong password first) and list their exams at a random moment of the
  login window [t0, t0 + login_s);
  start at a random moment of [opens_at, opens_at + start_s), then fetch the paper;
  answer: think, then answer the next question or, now and then, change an earlier one; each
  change goes into the device's queue, which sends it at once with the next ``seq`` and, like
  the exam page (``exam/static/exam.js``), keeps it and sends it again after a dropped
  connection, a 5xx or a 429 (after Retry-After, or 1, 2, 4 … 30 s); a network drop (a few
  candidates) holds every request on the device for a while, then the queue resends;
  a heartbeat every ``heartbeat_s`` (when set), which hands a fresh CSRF token — skipped, as
  the page skips it, when due within one interval of an acknowledged answer, never twice in a
  row nor in the last two intervals before the deadline;
  submit (after every queued answer is acknowledged): in realistic mode at a random moment of
  the last ``submit_s`` before the attempt's own deadline, or never (``no_submit``: the
  scheduler closes the attempt); in stress mode in the window [submit_from, + submit_s).

A plan without ``mode`` (``benchmarks/faults/run.py`` writes one) is a stress plan, with
``submit_from = t0 + login_s + start_s + answer_s``.

Every answer the server acknowledges (200 and ``"stored": true``) goes into this process's
ledger (``ledger-<pid>.jsonl``), with the starts and the submissions and their scores; every
request goes into ``requests-<pid>.csv`` (name, start, seconds, HTTP status, outcome: ``ok``,
``retried`` (an error the device sends again), ``failed`` (an error it cannot get past) or
``offline`` (held on the device during a drop, never sent)). A candidate who is done leaves a
file in ``done/``. ``run.py`` compares the ledger with the database.

With ``reports`` in the plan (name -> URL), one more user, an organiser, requests those pages
(the dashboard, the pass-rate report, the tracker) every ``reports_every`` s while the
candidates sit, from the report pool at ``reports_base`` when the harness started one. With
``reports_turns`` (s) it asks in turns instead, from ``reports_from``: one turn asking, the next
not (the first one not with ``reports_first_on`` false), so that one run holds the candidates'
requests with the reports and without.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from pathlib import Path

import gevent
from ledger import asking  # beside this file: Locust puts its folder on the path
from locust import task
from locust.contrib.fasthttp import FastHttpUser

BENCH_DIR = Path(os.environ.get("ANPEI_BENCH_DIR", "."))
PLAN = (
    json.loads((BENCH_DIR / "plan.json").read_text()) if (BENCH_DIR / "plan.json").exists() else {}
)

LOGIN = "POST /api/v1/login"
WRONG_LOGIN = "POST /api/v1/login (wrong password)"
MY_EXAMS = "GET /api/v1/me/exams"
START = "POST /api/v1/exams/[id]/attempts"
PAPER = "GET /api/v1/attempts/[id]"
SAVE = "PUT /api/v1/attempts/[id]/answers/[q]"
HEARTBEAT = "POST /api/v1/attempts/[id]/heartbeat"
SUBMIT = "POST /api/v1/attempts/[id]/submit"
#: Error codes after which the exam page stops sending (``REFUSED`` and ``ENDED`` in exam.js).
ENDED = {"submitted", "too_late", "cancelled"}
#: How long a device keeps trying a request the server does not take (the page: for ever).
GIVE_UP_S = 600


class _Files:
    """This process's ledger and request log, opened on first use (line-buffered, so nothing
    is lost however the process ends)."""

    def __init__(self):
        self.pid = None
        self.ledger = self.timings = None

    def _open(self):
        if self.pid != os.getpid():  # a process forked by --processes opens its own
            self.pid = os.getpid()
            self.ledger = open(BENCH_DIR / f"ledger-{self.pid}.jsonl", "a", buffering=1)  # noqa: SIM115
            self.timings = open(BENCH_DIR / f"requests-{self.pid}.csv", "a", buffering=1)  # noqa: SIM115

    def record(self, **entry) -> None:
        self._open()
        self.ledger.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")

    def timing(self, name: str, start: float, seconds: float, status: int, outcome: str) -> None:
        self._open()
        self.timings.write(f"{name},{start:.4f},{seconds:.5f},{status},{outcome}\n")


FILES = _Files()


class _Claims:
    """Hands each user a different candidate, across every process of the run."""

    def __init__(self):
        self.next = None

    def claim(self, environment) -> int:
        count = len(CANDIDATES)
        if self.next is None:  # processes start at different places to avoid trying each other's
            index = getattr(environment.runner, "worker_index", 0) or 0
            processes = max(1, int(PLAN.get("processes", 1)))
            self.next = (index % processes) * count // processes
        claims = BENCH_DIR / "claims"
        for _ in range(count):
            candidate, self.next = self.next, (self.next + 1) % count
            try:
                os.close(os.open(claims / str(candidate), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                continue
            return candidate
        raise RuntimeError("more users than prepared candidates")


CLAIMS = _Claims()
CANDIDATES = (
    json.loads((BENCH_DIR / "candidates.json").read_text())
    if (BENCH_DIR / "candidates.json").exists()
    else []
)


def _error_code(response) -> str:
    try:
        return response.json()["error"]["code"]
    except Exception:
        return f"HTTP {response.status_code}" if response.status_code else "connection"


def _retryable(status: int, code: str) -> bool:
    """What exam.js sends again: no answer (a cut connection), a 5xx, a 429, or a body that is
    not the API's (a proxy's error page)."""
    return (
        status == 0 or status >= 500 or status == 429 or code == "retry" or code.startswith("HTTP")
    )


def _retry_after(response) -> float | None:
    headers = getattr(response, "headers", None) or {}  # none without an answer
    try:
        value = float(headers.get("Retry-After") or "")
    except ValueError:
        return None
    return value if value > 0 else None


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        gevent.sleep(delay)


def _plan_times() -> dict:
    """The plan's moments, filling in a stress plan's (one without ``mode``)."""
    plan = dict(PLAN)
    plan.setdefault("mode", "stress")
    plan.setdefault("opens_at", plan["t0"] + plan["login_s"])
    if plan["mode"] == "stress":
        plan.setdefault("submit_from", plan["opens_at"] + plan["start_s"] + plan["answer_s"])
    return plan


class Candidate(FastHttpUser):
    # A stuck request is an error (and sent again) after this.
    network_timeout = 60.0
    connection_timeout = 60.0

    @task
    def sit_the_exam(self):
        self.index = CLAIMS.claim(self.environment)
        try:
            self._sit()
        except Exception as error:  # a bug here must not make the user claim another candidate
            FILES.record(kind="crashed", candidate=self.index, error=repr(error))
            logging.getLogger(__name__).exception("candidate %s", self.index)
        finally:
            self._idle()

    def _sit(self) -> None:
        plan = self.plan = _plan_times()
        rng = self.rng = random.Random(plan.get("seed", 1) * 100_003 + self.index)
        self.csrf = ""
        self.failures = 0  # requests that failed in a row (the back-off grows with them)
        self.retry_at = 0.0
        self.offline = (0.0, 0.0)
        self.ended = False
        self.saved_at = 0.0  # when the server last acknowledged an answer
        login_at = plan["t0"] + rng.uniform(0, plan["login_s"])
        start_at = plan["opens_at"] + rng.uniform(0, plan["start_s"])
        self.typo = rng.random() < plan.get("typo", 0.0)
        self.submits = rng.random() >= plan.get("no_submit", 0.0)
        self.drops = rng.random() < plan.get("drops", 0.0)

        _sleep_until(login_at)
        if not self._log_in():
            return
        _sleep_until(start_at)
        if not self._start() or not self._fetch():
            return
        self._plan_the_sitting()
        self._answer()
        if self.submits and not self.ended:
            self._submit()

    # --- sending, as the exam page does -------------------------------------------------

    def _send(self, method: str, url: str, name: str, expect=(200,), **kwargs):
        """One request: (status, response) where status is 0 for no answer. Held on the
        device (status -1) while the network is down."""
        begin = time.time()
        if self.offline[0] <= begin < self.offline[1]:
            FILES.timing(name, begin, 0.0, -1, "offline")
            return -1, None
        headers = {"X-CSRFToken": self.csrf} if method != "GET" and self.csrf else {}
        with self.client.request(
            method, url, name=name, headers=headers, catch_response=True, **kwargs
        ) as response:
            status = response.status_code or 0
            if status in expect:
                response.success()
            else:
                response.failure(_error_code(response))
        return status, response

    def _log(self, name: str, begin: float, status: int, outcome: str) -> None:
        FILES.timing(name, begin, time.time() - begin, status, outcome)

    def _back_off(self, response) -> float:
        """When the device sends again: after the server's Retry-After, else 1, 2, 4 … 30 s."""
        self.failures += 1
        after = _retry_after(response) if response is not None else None
        delay = after if after else min(30.0, 2.0 ** (self.failures - 1))
        self.retry_at = time.time() + delay + self.rng.random() * 0.5
        return self.retry_at

    def _call(self, method: str, url: str, name: str, expect=(200,), **kwargs):
        """A request the page repeats until the server takes it (or refuses it for good)."""
        given_up = time.time() + GIVE_UP_S
        while time.time() < given_up:
            begin = time.time()
            status, response = self._send(method, url, name, expect, **kwargs)
            if status in expect:
                self.failures = 0
                self._log(name, begin, status, "ok")
                return response
            if status == -1:  # offline: the page tries again when the network is back
                _sleep_until(min(self.offline[1], self._back_off(None)))
                continue
            code = _error_code(response)
            if code == "csrf":
                self.csrf = response.json()["error"].get("csrf_token") or self.csrf
                self._log(name, begin, status, "retried")
                continue
            if not _retryable(status, code):
                self._log(name, begin, status, "failed")
                FILES.record(kind="refused", candidate=self.index, request=name, error=code)
                if code in ENDED:
                    self.ended = True
                return None
            self._log(name, begin, status, "retried")
            _sleep_until(self._back_off(response))
        FILES.record(kind="gave_up", candidate=self.index, request=name)
        return None

    # --- steps --------------------------------------------------------------------------

    def _log_in(self) -> bool:
        candidate = CANDIDATES[self.index]
        if self.typo:  # a wrong password first: refused (401), then typed again
            begin = time.time()
            body = {"login": candidate["login"], "password": candidate["password"] + "x"}
            status, _ = self._send("POST", "/api/v1/login", WRONG_LOGIN, expect=(401,), json=body)
            self._log(WRONG_LOGIN, begin, status, "ok" if status == 401 else "failed")
            gevent.sleep(self.rng.uniform(3, 8))
        body = {"login": candidate["login"], "password": candidate["password"]}
        response = self._call("POST", "/api/v1/login", LOGIN, json=body)
        if response is None:
            return False
        self.csrf = response.json()["csrf_token"]
        response = self._call("GET", "/api/v1/me/exams", MY_EXAMS)
        if response is None:
            return False
        exams = response.json()
        wanted = self.plan.get("exam_id")
        self.exam_id = next(
            e["id"]
            for e in exams
            if e["id"] == wanted or (wanted is None and e["status"] == "open")
        )
        return True

    def _start(self) -> bool:
        url = f"/api/v1/exams/{self.exam_id}/attempts"
        response = self._call("POST", url, START, expect=(201,), json={})
        if response is None:
            return False
        self.attempt_id = response.json()["attempt_id"]
        FILES.record(kind="start", candidate=self.index, attempt=self.attempt_id, at=time.time())
        return True

    def _fetch(self) -> bool:
        response = self._call("GET", f"/api/v1/attempts/{self.attempt_id}", PAPER)
        if response is None:
            return False
        page = response.json()
        self.questions = page["paper"]["questions"]
        self.deadline = _epoch(page["deadline"]) if page.get("deadline") else None
        # A reloaded page carries on after the highest sequence number the server holds.
        self.seq = max((a["seq"] for a in page["answers"].values()), default=0)
        #: question id -> [answer, seq, acknowledged]: the device's queue.
        #: (answer, seq, acknowledged, sent before).
        self.state = {
            int(q): [a["answer"], a["seq"], True, True] for q, a in page["answers"].items()
        }
        return True

    def _plan_the_sitting(self) -> None:
        plan, rng = self.plan, self.rng
        if plan["mode"] == "stress":
            self.stop_at = plan["submit_from"] + rng.uniform(0, plan["submit_s"])
        else:
            deadline = self.deadline or time.time() + plan["duration_s"]
            # Non-submitters leave the page shortly before the deadline.
            self.stop_at = deadline - rng.uniform(0, plan["submit_s"] if self.submits else 30)
        if self.drops:
            begin = rng.uniform(time.time() + 30, max(time.time() + 31, self.stop_at - 120))
            self.offline = (begin, begin + rng.uniform(*plan.get("drop_s", (10, 60))))

    def _answer(self) -> None:
        think_min, think_max = self.plan["think"]
        change, beat = self.plan.get("change", 0.2), self.plan.get("heartbeat_s", 0)
        order = list(self.questions)
        done: list[dict] = []
        next_change = time.time() + self.rng.uniform(think_min, think_max)
        next_beat = time.time() + beat if beat else float("inf")
        skipped = False
        while not self.ended:
            pending = [q for q, entry in self.state.items() if not entry[2]]
            resend = max(self.retry_at, self.offline[1]) if pending else float("inf")
            wake = min(next_change, next_beat, resend, self.stop_at)
            _sleep_until(wake)
            if wake >= self.stop_at:
                return
            if wake == next_beat:
                next_beat += beat
                # As exam.js's beatDue: a beat due within one interval of an acknowledged
                # answer is skipped, never two in a row, never in the last two intervals.
                near_the_end = self.deadline is not None and self.deadline - time.time() <= 2 * beat
                if not skipped and not near_the_end and time.time() - self.saved_at < beat:
                    skipped = True
                else:
                    skipped = False
                    self._heartbeat()
                continue
            if wake == next_change:
                next_change += self.rng.uniform(think_min, think_max)
                if done and (not order or self.rng.random() < change):
                    question = self.rng.choice(done)  # a second thought about an earlier answer
                elif order:
                    question = order.pop(0)
                    done.append(question)
                else:
                    continue  # reading the paper over
                self.seq += 1
                entry = [self._new_answer(question), self.seq, False, False]
                self.state[question["question_id"]] = entry
                # A change is sent at once (400 ms later on the page), the rest of the queue
                # when its back-off has passed.
                if not self._save(question["question_id"], entry):
                    continue
            if time.time() >= self.retry_at:
                self._flush()

    def _flush(self) -> bool:
        """Send every queued answer, oldest change first; False when one has to wait."""
        for question_id, entry in sorted(self.state.items(), key=lambda item: item[1][1]):
            if not entry[2] and not self._save(question_id, entry):
                return False
        return True

    def _save(self, question_id: int, entry: list) -> bool:
        answer, seq = entry[0], entry[1]
        url = f"/api/v1/attempts/{self.attempt_id}/answers/{question_id}"
        while True:
            begin, tried = time.time(), entry[3]
            entry[3] = True
            status, response = self._send("PUT", url, SAVE, json={"answer": answer, "seq": seq})
            if status == -1:
                self._back_off(None)
                return False
            if status == 200:
                self.failures = 0
                self.saved_at = time.time()
                self._log(SAVE, begin, status, "ok")
                entry[2] = True
                stored = response.json().get("stored")
                FILES.record(
                    kind="ack" if stored else "stale_retry" if tried else "stale",
                    attempt=self.attempt_id,
                    question=question_id,
                    seq=seq,
                    answer=answer,
                )
                return True
            code = _error_code(response)
            if code == "csrf":
                self.csrf = response.json()["error"].get("csrf_token") or self.csrf
                self._log(SAVE, begin, status, "retried")
                continue
            if _retryable(status, code):
                self._log(SAVE, begin, status, "retried")
                self._back_off(response)
                return False
            self._log(SAVE, begin, status, "failed")
            entry[2] = True  # the page drops an answer that can never be stored, and says so
            FILES.record(
                kind="refused", attempt=self.attempt_id, question=question_id, seq=seq, error=code
            )
            if code in ENDED:
                self.ended = True
            return True

    def _heartbeat(self) -> None:
        begin = time.time()
        url = f"/api/v1/attempts/{self.attempt_id}/heartbeat"
        status, response = self._send("POST", url, HEARTBEAT, json={})
        if status == -1:
            return
        if status == 200:
            self._log(HEARTBEAT, begin, status, "ok")
            self.csrf = response.json().get("csrf_token") or self.csrf
            return
        # Not sent again: the next beat is the retry.
        self._log(HEARTBEAT, begin, status, "retried" if status == 0 or status >= 500 else "failed")

    def _submit(self) -> None:
        given_up = time.time() + GIVE_UP_S
        while not self._flush():  # every answer acknowledged first, as the page does
            if time.time() > given_up or self.ended:
                break
            _sleep_until(max(self.retry_at, self.offline[1]))
        for _, entry in self.state.items():
            if not entry[2]:
                FILES.record(kind="gave_up", attempt=self.attempt_id, seq=entry[1])
        url = f"/api/v1/attempts/{self.attempt_id}/submit"
        response = self._call("POST", url, SUBMIT, json={})
        if response is None:
            FILES.record(kind="submit_failed", candidate=self.index, attempt=self.attempt_id)
            return
        result = response.json()
        FILES.record(
            kind="submit",
            candidate=self.index,
            attempt=self.attempt_id,
            at=time.time(),
            score=result["score"],
            passed=result["passed"],
        )

    # --- helpers ------------------------------------------------------------------------

    def _new_answer(self, question: dict):
        """A random answer of the question's kind, different from the current one."""
        rng = self.rng
        previous = self.state.get(question["question_id"], [None])[0]
        letters = [o["letter"] for o in question["options"]]
        for _ in range(10):
            kind = question["kind"]
            if kind == "single":
                answer = rng.choice(letters)
            elif kind == "multiple":
                answer = "".join(sorted(rng.sample(letters, rng.randint(1, len(letters)))))
            elif kind == "truefalse":
                answer = rng.random() < 0.5
            else:
                answer = [f"答案{rng.randint(1, 999)}" for _ in range(question["blanks"])]
            if answer != previous:
                return answer
        return answer

    def _idle(self) -> None:
        """Done: say so (``run.py`` ends the run when everybody is), then stay quiet
        (returning would start the task, and a new candidate, again)."""
        os.close(os.open(BENCH_DIR / "done" / str(self.index), os.O_CREAT | os.O_WRONLY))
        while True:
            gevent.sleep(3600)


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Organiser(FastHttpUser):
    """The bureau watching the reports while the candidates sit (``--reports``)."""

    fixed_count = 1

    @task
    def watch(self):
        plan = _plan_times()
        first = plan.get("reports_from", plan["opens_at"] - 30)
        turns = plan.get("reports_turns") or 0
        _sleep_until(first)
        body = {"login": plan["organiser"]["login"], "password": plan["organiser"]["password"]}
        with self.client.request("POST", "/api/v1/login", json=body, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(_error_code(r))
                FILES.record(kind="refused", request="organiser login", error=_error_code(r))
                return self._idle()
        while not (BENCH_DIR / "candidates-done").exists():
            now = time.time()
            if turns and not asking(now, first, turns, plan.get("reports_first_on", True)):
                _sleep_until(first + ((now - first) // turns + 1) * turns)  # the next turn
                continue
            for name, path in plan["reports"].items():
                # The report pool's address when the harness started one (nginx's route).
                url = plan.get("reports_base", "") + path
                begin = time.time()
                with self.client.request("GET", url, name=name, catch_response=True) as r:
                    status = r.status_code or 0
                    outcome = "ok" if status == 200 else "failed"
                    if status != 200:
                        r.failure(f"HTTP {status}")
                    else:
                        r.success()
                FILES.timing(name, begin, time.time() - begin, status, outcome)
            gevent.sleep(plan.get("reports_every", 5))
        self._idle()

    def _idle(self) -> None:
        while True:
            gevent.sleep(3600)
