"""The deployment of deploy/README.md on this one machine: several app hosts behind nginx.

    sudo python benchmarks/cluster.py up --hosts 2 [--pgbouncer] [--database anpei_cluster]
    sudo python benchmarks/cluster.py down

Each app host is a Linux network namespace of its own (``anpei-h0``, ``anpei-h1``, ...) with its
own address (10.77.0.11, .12, ...) on a bridge (``anpeibr0``, 10.77.0.1 in the root namespace),
running gunicorn with deploy/gunicorn.conf.py (when present) and its own instance folder, and
beside it the report pool (port 8001, one process at nice 10). nginx runs in the root namespace
with deploy/nginx/locations.conf, listening on 127.0.0.1:PORT; it balances over the hosts with
the recipe's keep-alive, passive health checks and retries, and sends /reports/ to the report
pools. The hosts reach PostgreSQL (127.0.0.1:5432, trust, user postgres) through its
Unix socket (a path, which network namespaces share) or, with ``--pgbouncer``, through
PgBouncer in transaction mode on 10.77.0.1:6432. Exactly one scheduler runs, in host 0's
namespace, with a direct connection. Lesson files live in one folder all hosts share.

From Python::

    cluster = Cluster(hosts=2, database="anpei_cluster")
    base_url = cluster.start()          # http://127.0.0.1:8090, schema upgraded
    cluster.kill_host(1)                # every process of host 1 killed (SIGKILL)
    cluster.stop()                      # everything stopped, namespaces and bridge removed

Needs root (namespaces), iproute2, nginx, and for ``--pgbouncer`` pgbouncer. ``up`` keeps the
processes running after it returns and records them in WORKDIR/cluster.json for ``down``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parents[1]
VENV_BIN = Path(sys.executable).parent
BRIDGE, SUBNET, GATEWAY = "anpeibr0", "10.77.0", "10.77.0.1"
APP_PORT, REPORTS_PORT, PGBOUNCER_PORT = 8000, 8001, 6432
#: Each host's report pool, as deploy/systemd/anpei-reports.service runs it (the exam-day
#: harness starts the same).
REPORT_POOL = {"workers": 1, "threads": 2, "nice": 10}
PG_SOCKET = "/var/run/postgresql"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
#: With --replica: a primary and its streaming replica of the cluster's own (the shared server
#: allows no replication connections), on these ports of 127.0.0.1 and a socket folder.
PRIMARY_PORT, REPLICA_PORT = 5442, 5443
DEFAULT_WORKDIR = Path("/tmp/anpei-cluster")
#: gunicorn's keep-alive must outlast nginx's upstream keepalive_timeout (60 s).
GUNICORN_KEEPALIVE = 75


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result


def host_address(index: int) -> str:
    return f"{SUBNET}.{11 + index}"


def namespace(index: int) -> str:
    return f"anpei-h{index}"


@dataclass
class Cluster:
    """The recipe on one machine: ``start`` it, ``kill_host`` one app host, ``stop`` it all."""

    hosts: int = 2
    database: str = "anpei_cluster"
    port: int = 8090
    pgbouncer: bool = False
    workers: int | None = None  #: gunicorn workers per host (default: deploy/gunicorn.conf.py's)
    threads: int | None = None
    workdir: Path = DEFAULT_WORKDIR
    scheduler: bool = True
    #: A PostgreSQL primary and streaming replica of the cluster's own; reports read from it.
    replica: bool = False
    pids: dict[str, list[int]] = field(default_factory=dict)

    # --- addresses ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def socket_folder(self) -> str:
        return str(self.workdir / "pg") if self.replica else PG_SOCKET

    @property
    def primary_port(self) -> int:
        return PRIMARY_PORT if self.replica else 5432

    @property
    def direct_url(self) -> str:
        """PostgreSQL itself, from any namespace (its Unix socket, a path namespaces share):
        the scheduler's URL."""
        return (
            f"postgresql+psycopg://postgres@/{self.database}"
            f"?host={self.socket_folder}&port={self.primary_port}"
        )

    @property
    def tcp_url(self) -> str:
        """PostgreSQL itself over TCP from the root namespace: the harness's URL."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.primary_port}/{self.database}"

    @property
    def reports_url(self) -> str:
        """The streaming replica (``--replica``), read by the report pages."""
        return (
            f"postgresql+psycopg://postgres@/{self.database}"
            f"?host={self.socket_folder}&port={REPLICA_PORT}"
        )

    @property
    def app_url(self) -> str:
        """What the app hosts connect to: PgBouncer when asked for, else PostgreSQL."""
        if self.pgbouncer:
            return f"postgresql+psycopg://postgres@{GATEWAY}:{PGBOUNCER_PORT}/{self.database}"
        return self.direct_url

    # --- the whole ------------------------------------------------------------------------

    def start(self, fresh: bool = False) -> str:
        """Bring everything up and return nginx's base URL once every host answers; ``fresh``
        drops the database first (with ``replica`` it is always new)."""
        self.stop(quiet=True)  # what an earlier run left behind
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "learning").mkdir(exist_ok=True)
        if self.replica:
            self._start_primary_and_replica()
        elif fresh:
            self._psql(f"DROP DATABASE IF EXISTS {self.database}")
        self._create_database()
        self._network()
        if self.pgbouncer:
            self._start_pgbouncer()
        environment = self._environment()
        self._upgrade(environment)
        for index in range(self.hosts):
            self._start_host(index, environment)
        self._start_nginx()
        if self.scheduler:
            self._start_scheduler(environment)
        self._save()
        for index in range(self.hosts):
            wait_for(f"http://{host_address(index)}:{APP_PORT}/healthz", self._log(f"host{index}"))
            wait_for(
                f"http://{host_address(index)}:{REPORTS_PORT}/healthz",
                self._log(f"host{index}-reports"),
            )
        wait_for(f"{self.base_url}/healthz", self.workdir / "nginx" / "error.log")
        return self.base_url

    def kill_host(self, index: int) -> list[int]:
        """Kill every process of app host ``index`` at once (SIGKILL), as a host that dies."""
        pids = namespace_pids(namespace(index))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return pids

    def stop(self, quiet: bool = False) -> None:
        """Stop every process and remove the namespaces and the bridge."""
        state = self.workdir / "cluster.json"
        if state.exists():
            self.pids = json.loads(state.read_text()).get("pids", {})
        for name in ("nginx", "pgbouncer"):
            for pid in self.pids.get(name, []):
                _terminate(pid)
        for index in range(16):
            if run("ip", "netns", "pids", namespace(index), check=False).returncode != 0:
                continue
            for pid in namespace_pids(namespace(index)):
                _terminate(pid)
            run("ip", "netns", "delete", namespace(index), check=False)
        run("ip", "link", "delete", BRIDGE, check=False)
        for name in ("pg-replica", "pg-primary"):
            if (self.workdir / name / "postmaster.pid").exists():
                as_postgres(PG_BIN / "pg_ctl", "stop", "-m", "fast", "-D", self.workdir / name)
        self.pids = {}
        state.unlink(missing_ok=True)
        if not quiet:
            print("cluster stopped")

    # --- the parts ------------------------------------------------------------------------

    def _psql(self, sql: str) -> str:
        return run(
            "psql", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", "-Atqc", sql
        ).stdout.strip()  # fmt: skip

    def _create_database(self) -> None:
        if not self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"):
            self._psql(f"CREATE DATABASE {self.database}")
        # Through PgBouncer no startup options reach the server: JIT off for the database.
        self._psql(f"ALTER DATABASE {self.database} SET jit = off")

    def _start_primary_and_replica(self) -> None:
        """A PostgreSQL primary of the cluster's own and a hot standby made from it with
        pg_basebackup, as deploy/README.md shows (here with trust authentication)."""
        socket_folder = Path(self.socket_folder)
        primary, replica = self.workdir / "pg-primary", self.workdir / "pg-replica"
        for folder in (socket_folder, primary, replica):
            shutil.rmtree(folder, ignore_errors=True)
        for folder in (socket_folder, primary, replica):
            folder.mkdir(mode=0o700)
            shutil.chown(folder, "postgres")
        for name in ("pg-primary", "pg-replica"):
            self._log(name).touch()
            shutil.chown(self._log(name), "postgres")
        as_postgres(
            PG_BIN / "initdb", "-D", primary, "--auth=trust", "-U", "postgres", "-E", "UTF8"
        )
        settings = f"-c listen_addresses=127.0.0.1 -k {socket_folder} -c max_connections=300"
        as_postgres(
            PG_BIN / "pg_ctl", "start", "-w", "-D", primary, "-l", self._log("pg-primary"),
            "-o", f"-p {PRIMARY_PORT} {settings}",
        )  # fmt: skip
        as_postgres(
            PG_BIN / "pg_basebackup", "-h", socket_folder, "-p", str(PRIMARY_PORT), "-U", "postgres",
            "-D", replica, "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast",
        )  # fmt: skip
        as_postgres(
            PG_BIN / "pg_ctl", "start", "-w", "-D", replica, "-l", self._log("pg-replica"),
            "-o", f"-p {REPLICA_PORT} {settings}",
        )  # fmt: skip

    def _network(self) -> None:
        run("ip", "link", "add", BRIDGE, "type", "bridge")
        run("ip", "addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
        run("ip", "link", "set", BRIDGE, "up")
        for index in range(self.hosts):
            ns, veth = namespace(index), f"anpei-v{index}"
            run("ip", "netns", "add", ns)
            run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            run("ip", "link", "set", veth, "master", BRIDGE, "up")
            run("ip", "-n", ns, "addr", "add", f"{host_address(index)}/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "route", "add", "default", "via", GATEWAY)

    def _environment(self) -> dict[str, str]:
        """deploy/env/web.env as this machine has it (one secret key for every host)."""
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("ANPEI_")
        }
        environment.update(
            ANPEI_ENV="production",
            ANPEI_SECRET_KEY=secrets.token_hex(32),
            ANPEI_SESSION_COOKIE_SECURE="0",  # plain HTTP on this machine
            ANPEI_DATABASE_URL=self.app_url,
            ANPEI_DB_TRANSACTION_POOLER="1" if self.pgbouncer else "0",
            ANPEI_PROXY_COUNT="1",
            ANPEI_LEARNING_STORAGE=str(self.workdir / "learning"),
            ANPEI_LEARNING_ACCEL_PREFIX="/lesson-files/",
            ANPEI_PAGE_CACHE_DIR=str(self.workdir / "pages"),
            PYTHONPATH=str(ROOT),
        )
        if self.replica:
            environment["ANPEI_REPORTS_DATABASE_URL"] = self.reports_url
        return environment

    def _upgrade(self, environment: dict[str, str]) -> None:
        direct = {
            **environment,
            "ANPEI_DATABASE_URL": self.direct_url,
            "ANPEI_DB_TRANSACTION_POOLER": "0",
            "ANPEI_INSTANCE_PATH": str(self.workdir / "upgrade"),
        }
        subprocess.run([str(VENV_BIN / "anpei"), "db", "upgrade"], env=direct, check=True)

    def _start_host(self, index: int, environment: dict[str, str]) -> None:
        """The host's app pool on APP_PORT and its report pool on REPORTS_PORT (one process
        at a lower priority), sharing the host's instance folder."""
        instance = self.workdir / f"host{index}"
        for name, port, pool in (
            (f"host{index}", APP_PORT, {"workers": self.workers, "threads": self.threads}),
            (f"host{index}-reports", REPORTS_PORT, REPORT_POOL),
        ):
            command = [str(VENV_BIN / "gunicorn")]
            config = ROOT / "deploy" / "gunicorn.conf.py"
            if config.exists():
                command += ["-c", str(config)]
            else:  # until deploy/gunicorn.conf.py exists: gthread workers with keep-alive
                command += ["--worker-class", "gthread", "--workers", "2", "--threads", "4"]
            if pool["workers"]:
                command += ["--workers", str(pool["workers"])]
            if pool["threads"]:
                command += ["--threads", str(pool["threads"])]
            command += [
                "--bind", f"{host_address(index)}:{port}",
                "--keep-alive", str(GUNICORN_KEEPALIVE),
                "exam:create_app()",
            ]  # fmt: skip
            niceness = ["nice", "-n", str(pool["nice"])] if pool.get("nice") else []
            self._spawn(
                name,
                [*niceness, "ip", "netns", "exec", namespace(index), *command],
                {**environment, "ANPEI_INSTANCE_PATH": str(instance)},
            )

    def _start_scheduler(self, environment: dict[str, str]) -> None:
        self._spawn(
            "scheduler",
            ["ip", "netns", "exec", namespace(0), str(VENV_BIN / "anpei-scheduler")],
            {
                **environment,
                "ANPEI_DATABASE_URL": self.direct_url,  # deploy/env/scheduler.env
                "ANPEI_DB_TRANSACTION_POOLER": "0",
                "ANPEI_INSTANCE_PATH": str(self.workdir / "host0"),
            },
        )

    def _start_nginx(self) -> None:
        folder = self.workdir / "nginx"
        folder.mkdir(exist_ok=True)
        locations = (ROOT / "deploy" / "nginx" / "locations.conf").read_text()
        locations = locations.replace("/srv/anpei/learning/", f"{self.workdir / 'learning'}/")
        (folder / "locations.conf").write_text(locations)
        servers = "\n".join(
            f"        server {host_address(i)}:{APP_PORT} max_fails=3 fail_timeout=10s;"
            for i in range(self.hosts)
        )
        report_servers = "\n".join(
            [
                f"        server {host_address(i)}:{REPORTS_PORT} max_fails=3 fail_timeout=10s;"
                for i in range(self.hosts)
            ]
            + [f"        server {host_address(i)}:{APP_PORT} backup;" for i in range(self.hosts)]
        )
        (folder / "nginx.conf").write_text(
            NGINX_CONF.format(
                folder=folder, servers=servers, report_servers=report_servers, port=self.port
            )
        )
        self._spawn("nginx", ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf")], None)

    def _start_pgbouncer(self) -> None:
        folder = self.workdir / "pgbouncer"
        folder.mkdir(exist_ok=True)
        (folder / "userlist.txt").write_text('"postgres" ""\n')
        (folder / "pgbouncer.ini").write_text(
            PGBOUNCER_INI.format(
                database=self.database,
                folder=folder,
                socket=self.socket_folder,
                port=self.primary_port,
            )
        )
        shutil.chown(folder, "postgres")
        for path in folder.iterdir():
            shutil.chown(path, "postgres")
        self._spawn(
            "pgbouncer", ["pgbouncer", "-u", "postgres", str(folder / "pgbouncer.ini")], None
        )
        wait_for_port(GATEWAY, PGBOUNCER_PORT)

    # --- processes ------------------------------------------------------------------------

    def _log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def _spawn(self, name: str, command: list[str], environment: dict | None) -> None:
        with open(self._log(name), "ab") as log:
            process = subprocess.Popen(
                command,
                env=environment,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives `cluster.py up`
            )
        self.pids.setdefault(name, []).append(process.pid)

    def _save(self) -> None:
        state = {
            "hosts": self.hosts,
            "base_url": self.base_url,
            "direct_url": self.direct_url,
            "app_url": self.app_url,
            "pids": self.pids,
        }
        (self.workdir / "cluster.json").write_text(json.dumps(state, indent=2))


NGINX_CONF = """\
# Written by benchmarks/cluster.py: deploy/nginx/anpei.conf without TLS, on this machine.
daemon off;
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    types {{ application/json json; text/html html; }}
    upstream anpei_app {{
{servers}
        keepalive 32;
        keepalive_timeout 60s;
        keepalive_requests 100000;
    }}
    upstream anpei_reports {{
{report_servers}
        keepalive 8;
        keepalive_timeout 60s;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {folder}/locations.conf;
    }}
}}
"""

PGBOUNCER_INI = """\
; Written by benchmarks/cluster.py: deploy/pgbouncer/pgbouncer.ini on this machine.
[databases]
{database} = host={socket} port={port} dbname={database}
[pgbouncer]
listen_addr = 10.77.0.1
listen_port = 6432
unix_socket_dir = {folder}
auth_type = trust
auth_file = {folder}/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 20
reserve_pool_size = 5
max_client_conn = 2000
server_reset_query = DISCARD ALL
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
log_connections = 0
log_disconnections = 0
"""


def as_postgres(*command) -> None:
    """Run a PostgreSQL tool as the postgres user (the server refuses to run as root)."""
    run("runuser", "-u", "postgres", "--", *(str(part) for part in command))


def namespace_pids(ns: str) -> list[int]:
    result = run("ip", "netns", "pids", ns, check=False)
    return [int(pid) for pid in result.stdout.split()]


def _terminate(pid: int, wait: float = 10) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def wait_for(url: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s: see {log}")


def wait_for_port(address: str, port: int, seconds: float = 20) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {address}:{port}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("up", "down"))
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--database", default="anpei_cluster")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--pgbouncer", action="store_true", help="app hosts through PgBouncer")
    parser.add_argument("--workers", type=int, help="gunicorn workers per host")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker")
    parser.add_argument(
        "--replica",
        action="store_true",
        help="a PostgreSQL primary and streaming replica of the cluster's own; reports read it",
    )
    parser.add_argument("--no-scheduler", action="store_true")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = parser.parse_args(argv)
    cluster = Cluster(
        hosts=args.hosts,
        database=args.database,
        port=args.port,
        pgbouncer=args.pgbouncer,
        workers=args.workers,
        threads=args.threads,
        workdir=args.workdir,
        scheduler=not args.no_scheduler,
        replica=args.replica,
    )
    if args.action == "down":
        cluster.stop()
        return 0
    base_url = cluster.start()
    print(f"base URL:     {base_url}")
    print(f"database URL: {cluster.tcp_url}")
    if args.replica:
        print(f"reports read: {cluster.reports_url}")
    print(f"app hosts:    {', '.join(host_address(i) for i in range(args.hosts))}")
    print(f"logs:         {args.workdir}/*.log; stop with: python {__file__} down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
