"""Exam day through nginx and several app hosts, one of which dies mid-exam.

    sudo python benchmarks/multihost/run.py --kill-host-after 600 -- --candidates 3000
    sudo python benchmarks/multihost/run.py --hosts 3 --pgbouncer -- --stress --candidates 2000

Starts the cluster of deploy/README.md on this machine (benchmarks/cluster.py: app hosts in
network namespaces, nginx, optionally PgBouncer, one scheduler) on a fresh database, then runs
``benchmarks/exam_day/run.py --base-url URL --database-url URL`` with the arguments after
``--``: the harness builds its data in that database, drives the candidates through nginx,
and ends with its ledger check. With ``--kill-host-after SECONDS`` every process of the last
app host is killed that long after the harness starts (the exam page, like the harness's
clients, resends what got no answer: the run must still end with 0 lost answers). The cluster
is stopped at the end, whatever happened; the harness's exit status is this script's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from cluster import Cluster  # noqa: E402


def main() -> int:
    argv = sys.argv[1:]
    harness_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--pgbouncer", action="store_true", help="app hosts through PgBouncer")
    parser.add_argument("--workers", type=int, help="gunicorn workers per host")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker")
    parser.add_argument("--database", default="anpei_multihost_run")
    parser.add_argument(
        "--kill-host-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="kill every process of the last app host this long after the harness starts",
    )
    parser.add_argument(
        "--replica",
        action="store_true",
        help="a PostgreSQL primary and streaming replica of the cluster's own; reports read it",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(own)

    cluster = Cluster(
        hosts=args.hosts,
        database=args.database,
        pgbouncer=args.pgbouncer,
        workers=args.workers,
        threads=args.threads,
        replica=args.replica,
    )
    database_url = cluster.tcp_url
    try:
        base_url = cluster.start(fresh=True)
        print(
            f"cluster: {args.hosts} app hosts behind nginx at {base_url}"
            f"{', through PgBouncer' if args.pgbouncer else ''}; database {database_url}"
            f"{'; reports from a streaming replica' if args.replica else ''}",
            flush=True,
        )
        command = [
            sys.executable,
            str(ROOT / "benchmarks" / "exam_day" / "run.py"),
            "--base-url",
            base_url,
            "--database-url",
            database_url,
            *harness_args,
        ]
        harness = subprocess.Popen(command, cwd=ROOT)
        started = time.monotonic()
        if args.kill_host_after is not None:
            threading.Thread(
                target=_kill_later,
                args=(cluster, args.hosts - 1, args.kill_host_after, harness, started),
                daemon=True,
            ).start()
        status = harness.wait()
        print(f"harness ended with status {status} after {time.monotonic() - started:.0f} s")
        return status
    finally:
        cluster.stop()
        if not args.keep_db and not args.replica:  # the replica's servers go with the cluster
            psql(f"DROP DATABASE IF EXISTS {args.database}")


def _kill_later(cluster: Cluster, index: int, delay: float, harness, started: float) -> None:
    time.sleep(delay)
    if harness.poll() is None:
        pids = cluster.kill_host(index)
        print(
            f"[multihost] {time.monotonic() - started:.0f} s: killed app host {index} "
            f"({len(pids)} processes)",
            flush=True,
        )


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


if __name__ == "__main__":
    sys.exit(main())
