"""One simulated candidate on exam day, for Locust (run by ``run.py``, or by hand).

Each user claims one prepared candidate and follows the plan written by ``run.py`` into
``$ANPEI_BENCH_DIR/plan.json`` (times are seconds after the plan's ``t0``):

  log in (and list their exams) at a random moment of [0, login_s);
  start the exam at a random moment of the start burst [login_s, login_s + start_s), then
  fetch the paper;
  answer: think (a few seconds), save an answer to the next question or, now and then,
  change an earlier one, each save with the next ``seq``; a 5xx or a dropped connection is
  retried with the same ``seq``, as the exam page does;
  submit at a random moment of the final window [.. + answer_s, .. + answer_s + submit_s).

Every answer the server acknowledges (200 and ``"stored": true``) goes into this process's
ledger (``ledger-<pid>.jsonl``), with the submissions and their scores; every request's
timing goes into ``requests-<pid>.csv``; a candidate who is done leaves a file in ``done/``. ``run.py`` compares the ledger with the database
and computes the percentiles from the timings.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import gevent
from locust import events, task
from locust.contrib.fasthttp import FastHttpUser

BENCH_DIR = Path(os.environ.get("ANPEI_BENCH_DIR", "."))
PLAN = (
    json.loads((BENCH_DIR / "plan.json").read_text()) if (BENCH_DIR / "plan.json").exists() else {}
)
RETRIES = 6

LOGIN = "POST /api/v1/login"
MY_EXAMS = "GET /api/v1/me/exams"
START = "POST /api/v1/exams/[id]/attempts"
PAPER = "GET /api/v1/attempts/[id]"
SAVE = "PUT /api/v1/attempts/[id]/answers/[q]"
SUBMIT = "POST /api/v1/attempts/[id]/submit"


class _Files:
    """This process's ledger and timing log, opened on first use (line-buffered, so nothing
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

    def timing(self, name: str, start: float, ms: float, ok: bool, status: int) -> None:
        self._open()
        self.timings.write(f"{name},{start:.4f},{ms:.2f},{int(ok)},{status}\n")


FILES = _Files()


@events.request.add_listener
def _timing(
    request_type,
    name,
    response_time,
    response_length,
    exception=None,
    response=None,
    start_time=None,
    **_kwargs,
):
    status = getattr(response, "status_code", 0) or 0
    FILES.timing(
        name,
        start_time or time.time() - response_time / 1000,
        response_time,
        exception is None,
        status,
    )


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


def _error(response) -> str:
    try:
        return response.json()["error"]["code"]
    except Exception:
        return (
            f"HTTP {response.status_code}"
            if response.status_code
            else f"connection: {response.error!r}"
        )


def _retryable(response) -> bool:
    return response.status_code == 0 or response.status_code >= 500


class Candidate(FastHttpUser):
    # A sync gunicorn worker closes every connection; a stuck request is a failure after this.
    network_timeout = 60.0
    connection_timeout = 60.0

    @task
    def sit_the_exam(self):
        self.index = CLAIMS.claim(self.environment)
        self.rng = random.Random(PLAN.get("seed", 1) * 100_003 + self.index)
        t0 = PLAN["t0"]
        login_s, start_s, answer_s, submit_s = (
            PLAN[k] for k in ("login_s", "start_s", "answer_s", "submit_s")
        )
        self.login_at = t0 + self.rng.uniform(0, login_s)
        self.start_at = t0 + login_s + self.rng.uniform(0, start_s)
        self.submit_at = t0 + login_s + start_s + answer_s + self.rng.uniform(0, submit_s)

        self._sleep_until(self.login_at)
        if not self._log_in():
            return self._idle()
        self._sleep_until(self.start_at)
        if not self._start() or not self._fetch():
            return self._idle()
        self._answer()
        self._submit()
        self._idle()

    # --- steps --------------------------------------------------------------------------

    def _log_in(self) -> bool:
        candidate = CANDIDATES[self.index]
        body = {"login": candidate["login"], "password": candidate["password"]}
        response = self._call("POST", "/api/v1/login", LOGIN, json=body)
        if response is None:
            return False
        self.csrf = response.json()["csrf_token"]
        response = self._call("GET", "/api/v1/me/exams", MY_EXAMS)
        if response is None:
            return False
        self.exam_id = next(e["id"] for e in response.json() if e["status"] == "open")
        return True

    def _start(self) -> bool:
        response = self._call(
            "POST", f"/api/v1/exams/{self.exam_id}/attempts", START, json={}, expect=201
        )
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
        # A reloaded page carries on after the highest sequence number the server holds.
        self.seq = max((a["seq"] for a in page["answers"].values()), default=0)
        self.current: dict[int, object] = {int(q): a["answer"] for q, a in page["answers"].items()}
        return True

    def _answer(self) -> None:
        think_min, think_max = PLAN["think"]
        change = PLAN.get("change", 0.2)
        order = list(self.questions)
        done: list[dict] = []
        while True:
            wake = time.time() + self.rng.uniform(think_min, think_max)
            if wake >= self.submit_at:
                self._sleep_until(self.submit_at)
                return
            self._sleep_until(wake)
            if done and (not order or self.rng.random() < change):
                question = self.rng.choice(done)  # a second thought about an earlier answer
            else:
                question = order.pop(0)
                done.append(question)
            self._save(question, self._new_answer(question))

    def _save(self, question: dict, answer) -> None:
        self.seq += 1
        seq, question_id = self.seq, question["question_id"]
        url = f"/api/v1/attempts/{self.attempt_id}/answers/{question_id}"
        for attempt in range(RETRIES):
            with self.client.request(
                "PUT",
                url,
                name=SAVE,
                json={"answer": answer, "seq": seq},
                headers={"X-CSRFToken": self.csrf},
                catch_response=True,
            ) as response:
                if response.status_code == 200:
                    stored = response.json().get("stored")
                    if stored:
                        response.success()
                        self.current[question_id] = answer
                        FILES.record(
                            kind="ack",
                            attempt=self.attempt_id,
                            question=question_id,
                            seq=seq,
                            answer=answer,
                        )
                    elif attempt:  # a retry of a save that did reach the server before
                        response.success()
                        FILES.record(
                            kind="stale_retry",
                            attempt=self.attempt_id,
                            question=question_id,
                            seq=seq,
                        )
                    else:
                        response.failure("stored: false for a fresh seq")
                        FILES.record(
                            kind="stale", attempt=self.attempt_id, question=question_id, seq=seq
                        )
                    return
                response.failure(_error(response))
                if not _retryable(response):
                    FILES.record(
                        kind="refused",
                        attempt=self.attempt_id,
                        question=question_id,
                        seq=seq,
                        error=_error(response),
                    )
                    return
            gevent.sleep(1 + attempt)
        FILES.record(kind="gave_up", attempt=self.attempt_id, question=question_id, seq=seq)

    def _submit(self) -> None:
        response = self._call("POST", f"/api/v1/attempts/{self.attempt_id}/submit", SUBMIT, json={})
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
        rng, previous = self.rng, self.current.get(question["question_id"])
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

    def _call(self, method: str, url: str, name: str, expect: int = 200, **kwargs):
        """A request that a real page would retry on a 5xx or a dropped connection."""
        headers = {"X-CSRFToken": self.csrf} if method != "GET" and hasattr(self, "csrf") else {}
        for attempt in range(RETRIES):
            with self.client.request(
                method, url, name=name, headers=headers, catch_response=True, **kwargs
            ) as response:
                if response.status_code == expect:
                    response.success()
                    return response
                response.failure(_error(response))
                if not _retryable(response):
                    FILES.record(
                        kind="refused", candidate=self.index, request=name, error=_error(response)
                    )
                    return None
            gevent.sleep(1 + attempt)
        FILES.record(kind="gave_up", candidate=self.index, request=name)
        return None

    @staticmethod
    def _sleep_until(moment: float) -> None:
        delay = moment - time.time()
        if delay > 0:
            gevent.sleep(delay)

    def _idle(self) -> None:
        """Done: say so (``run.py`` ends the run when everybody is), then stay quiet
        (returning would start the task, and a new candidate, again)."""
        os.close(os.open(BENCH_DIR / "done" / str(self.index), os.O_CREAT | os.O_WRONLY))
        while True:
            gevent.sleep(3600)
