"""The processes a fault run starts besides gunicorn and Locust: a private PostgreSQL instance
and the schedulers (``run.py`` uses them)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).parents[2]
#: The scheduler's line for each job run (``scheduler/__main__.py``, ``run_job``).
JOB_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) anpei\.scheduler INFO job (\S+) (started|skipped)"
)


# --- the private PostgreSQL instance ----------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL server of our own (trust authentication, user postgres), so that restarting
    it disturbs nobody else's tests and every run starts from the same state."""

    def __init__(self, port: int, bindir: str | None):
        self.port = port
        self.bindir = Path(bindir or self._find_bindir())
        self.home = Path(tempfile.mkdtemp(prefix="anpei_faults_pg_"))
        self.data, self.log = self.home / "data", self.home / "postgres.log"

    @staticmethod
    def _find_bindir() -> str:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if found:
            return str(found[-1].parent)
        initdb = shutil.which("initdb")
        if initdb is None:
            raise SystemExit("initdb not found: give --pg-bin")
        return str(Path(initdb).parent)

    def _run(self, *command: str, check: bool = True) -> None:
        """Run a server tool, as the postgres user when we are root (PostgreSQL refuses root)."""
        command = (str(self.bindir / command[0]), *command[1:])
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=check, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-o",
            self._options(),
            "start",
        )

    def _options(self) -> str:
        return f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c max_connections=200"

    def restart(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "-o", self._options(), "restart"
        )

    def stop(self) -> None:
        """Stop it if it runs (nothing to do if it never started)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop", check=False)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, *params, database: str = "postgres") -> list[tuple]:
        """One statement on a connection of the harness's own, closed afterwards."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        ) as connection:
            cursor = connection.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []


# --- two schedulers ---------------------------------------------------------------------------


class Schedulers(threading.Thread):
    """``count`` scheduler processes, each started again ``restart_after`` s after it exits
    (as a service manager would), every incarnation logging to its own file."""

    def __init__(self, count: int, env: dict, folder: Path, restart_after: float):
        super().__init__(daemon=True)
        self.env, self.folder, self.restart_after = env, folder, restart_after
        self.slots: list[subprocess.Popen | None] = [None] * count
        self.due = [0.0] * count
        self.incarnations = [0] * count
        self.started: list[tuple[str, int, float]] = []  # (name, pid, at)
        self.exits: list[tuple[str, int, int, float]] = []  # (name, pid, code, at)
        self.stopping = threading.Event()
        self._names: dict[int, str] = {}
        self._logs: dict[int, object] = {}

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            for slot, process in enumerate(self.slots):
                if process is not None and process.poll() is not None:
                    self.exits.append(
                        (self._names[process.pid], process.pid, process.returncode, time.time())
                    )
                    self.slots[slot], self.due[slot] = None, time.time() + self.restart_after
                    self._logs.pop(process.pid).close()
                if self.slots[slot] is None and time.time() >= self.due[slot]:
                    self._start(slot)

    def _start(self, slot: int) -> None:
        self.incarnations[slot] += 1
        name = f"{chr(ord('A') + slot)}{self.incarnations[slot]}"  # A1, A2, ..., B1, ...
        log = (self.folder / f"scheduler-{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "scheduler"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.slots[slot] = process
        self._names[process.pid] = name
        self._logs[process.pid] = log
        self.started.append((name, process.pid, time.time()))

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        for process in self.slots:
            if process is not None:
                process.terminate()
                process.wait()
                self._logs.pop(process.pid).close()

    def job_runs(self) -> list[tuple[float, str, str]]:
        """Every job run the schedulers logged: (start, incarnation, job)."""
        runs = []
        for path in self.folder.glob("scheduler-*.log"):
            name = path.stem.removeprefix("scheduler-")
            started: dict[str, tuple] = {}
            for line in path.read_text(errors="replace").splitlines():
                match = JOB_LINE.match(line)
                if match is None:
                    continue
                at = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                job = match.group(2)
                if match.group(3) == "started":
                    started[job] = (at, name, job)
                    runs.append(started[job])
                elif job in started and at - started[job][0] < 5:
                    # "skipped" (a scheduler without the lock) right after "started": not a run.
                    runs.remove(started.pop(job))
        return sorted(runs)

    def log_counts(self) -> dict[str, int]:
        text = "\n".join(p.read_text(errors="replace") for p in self.folder.glob("scheduler-*.log"))
        return {
            "refused to start (lock held)": text.count("not starting:"),
            "job failures": len(re.findall(r"job \S+ failed", text)),
            "tracebacks": text.count("Traceback"),
        }


def at_once(runs: list[tuple[float, str, str]], window: float) -> list[tuple[float, str, str]]:
    """The job runs of one scheduler process made while another was running jobs too: the
    other process started a run less than ``window`` s before it and another less than
    ``window`` s after it. With ``window`` above the shortest job interval (30 s) two
    schedulers both running their jobs count at every run; a hand-over (one stops running
    jobs, the other starts) counts nothing, however close the two sides' runs are."""
    found = []
    for i, (at, name, job) in enumerate(runs):
        before = any(r[1] != name and at - window < r[0] for r in runs[max(0, i - 50) : i])
        after = any(r[1] != name and r[0] < at + window for r in runs[i + 1 : i + 51])
        if before and after:
            found.append((at, name, job))
    return found
