"""CPU per process group, measured over the whole machine by command name, so it works for
any deployment (gunicorn on app hosts in their own network namespaces, nginx, PgBouncer, a
replica): every process is put in the first group whose rule matches it."""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict

#: group -> how a process of it is recognised: its name, or a word of its command line.
GROUPS = {
    "gunicorn": (("gunicorn",), ("gunicorn",)),
    "postgres": (("postgres", "postmaster"), ()),
    "nginx": (("nginx",), ()),
    "pgbouncer": (("pgbouncer",), ()),
    "scheduler": (("anpei-scheduler",), ("anpei-scheduler", "-m scheduler", "anpei scheduler")),
    "locust": (("locust",), ("locust",)),
}
#: "report_pool": the harness's report pool, by its process tree (its name is gunicorn's).
ORDER = (*GROUPS, "report_pool", "others")


def group_of(name: str, command: str) -> str:
    """The group of a process, from its name and its command line."""
    for group, (names, words) in GROUPS.items():
        if name in names or any(word in command for word in words):
            return group
    return "others"


class CpuSampler(threading.Thread):
    """CPU used each second by each group (100 % = one core), the busiest Locust process, and
    the machine as a whole.

    ``trees`` (name -> pid) puts a process and its children in a group whatever their names
    (the fault benchmark's gunicorn); ``database`` keeps the backends of other databases on
    the same PostgreSQL (other people's tests) out of "postgres"."""

    def __init__(self, trees: dict[str, int] | None = None, database: str = ""):
        super().__init__(daemon=True)
        import psutil

        self.psutil, self.trees, self.database = psutil, dict(trees or {}), database
        self.samples, self.stopping = [], threading.Event()
        #: CPU seconds of the other processes, by command, over the run.
        self.others: dict[str, float] = defaultdict(float)

    def _group(self, process, trees: dict[int, str]) -> str:
        if process.pid in trees:
            return trees[process.pid]
        name, command = process.info["name"] or "", " ".join(process.info["cmdline"] or ())
        group = group_of(name, command)
        if group == "postgres" and self.database:
            # A backend says "postgres: user database host(port) state".
            client = re.search(r"\d+\.\d+\.\d+\.\d+\(|\[local\]", command)
            if client and self.database not in command:
                return "others"
        return group

    def run(self) -> None:
        psutil, before = self.psutil, {}
        psutil.cpu_percent()
        last = time.time()
        while not self.stopping.wait(1.0):
            trees = {}
            for name, pid in self.trees.items():
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
                    "load": psutil.getloadavg()[0],
                }
            )
            last = now

    def summary(self, start: float, end: float) -> dict:
        """Mean, p95 and max of the 1 s samples in [start, end], by group."""
        from benchmarks.exam_day.ledger import pick

        rows = [s for s in self.samples if start <= s["t"] <= end]
        out = {}
        for key in (*ORDER, "locust_busiest_process", "machine", "load"):
            values = sorted(s.get(key, 0.0) for s in rows)
            if values and (values[-1] > 0 or key in ("gunicorn", "postgres")):
                out[key] = {
                    "mean": sum(values) / len(values),
                    "p95": pick(values, 0.95),
                    "max": values[-1],
                }
        return out
