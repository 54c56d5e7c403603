"""The single-instance lock of the scheduler process.

On PostgreSQL the lock is a session advisory lock held by a connection of its own. That
connection can drop (a server restart, a fail-over, ``pg_terminate_backend``), and the lock
goes with it, so a scheduler never assumes it still holds the lock: every job's transaction
proves it (``covers``), and a watchdog (``keep``) checks the connection, notices a loss and
takes the lock again, or stands by while another scheduler holds it. With SQLite the lock is
a file lock, held until the process ends.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from contextlib import suppress
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

log = logging.getLogger("anpei.scheduler")

#: Arbitrary constant naming Anpei's scheduler among PostgreSQL advisory locks.
ADVISORY_LOCK_KEY = 0x414E504549  # "ANPEI"
#: Held shared by every job's transaction; a scheduler that has just taken the lock takes it
#: once exclusively, and so waits for the jobs a scheduler that lost the lock still runs.
JOBS_LOCK_KEY = ADVISORY_LOCK_KEY + 1

#: The lock's connection: TCP keep-alives, and unacknowledged data for at most 30 s, so that a
#: server gone without a word (a fail-over) is noticed by the next check rather than never.
LOCK_CONNECT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}

# pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits).
_HELD_BY = """
    SELECT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND classid = :high AND objid = :low AND objsubid = 1
          AND granted AND pid = {pid}
    )
"""
_KEY = {"high": ADVISORY_LOCK_KEY >> 32, "low": ADVISORY_LOCK_KEY & 0xFFFFFFFF}
#: Whether the lock's connection is alive and holds the lock (run on that connection).
HELD_HERE = text(_HELD_BY.format(pid="pg_backend_pid()"))
#: Whether the backend that took the lock (pid and start time: a pid can be reused) holds it.
HELD_BY_BACKEND = text(
    _HELD_BY.format(
        pid=":pid AND pid IN "
        "(SELECT pid FROM pg_stat_activity WHERE pid = :pid AND backend_start = :started)"
    )
)


class AlreadyRunning(RuntimeError):
    """Another scheduler process holds the lock."""


class SchedulerLock:
    """The lock a scheduler must hold to run jobs: taken, lost and taken again over its life.

    ``keep()`` is safe from any thread; ``covers()`` runs in a job's own transaction.
    """

    def __init__(self, engine: Engine, instance_path: str):
        self.engine, self.instance_path = engine, instance_path
        self._mutex = threading.Lock()  # guards the lock's connection and the state below
        self._lock_engine: Engine | None = None
        self._connection: Connection | None = None
        self._backend: dict | None = None  # pid and backend_start of the lock's connection
        self._file = None
        self._ever_held = self._standing_by = False

    @property
    def postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def held(self) -> bool:
        """Whether this process believes it holds the lock (``keep`` and ``covers`` check it)."""
        return self._backend is not None or self._file is not None

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL backend whose session holds the lock (None if not held there)."""
        return self._backend["pid"] if self._backend else None

    def acquire(self) -> SchedulerLock:
        """Take the lock now or raise ``AlreadyRunning``."""
        with self._mutex:
            if not self._take():
                raise AlreadyRunning(f"another scheduler holds the lock ({self._where()})")
            self._ever_held = True
        return self

    def keep(self) -> bool:
        """The watchdog: check the lock is still held; if it was lost, say so and try to take
        it again on a fresh connection; while another scheduler holds it, stand by (and try
        again at the next call). Every change is logged. Whether the lock is held afterwards."""
        with self._mutex:
            if self.held and not self._still_held():
                log.error("lock lost (%s): no job runs until it is taken again", self._where())
                self._drop()
                self._standing_by = False
            if self.held:
                return True
            try:
                taken = self._take()
            except DBAPIError as exc:
                log.warning("cannot take the lock: %s", exc.orig or exc)
                return False
            if taken:
                log.warning(
                    "lock %s (%s): running jobs",
                    "re-acquired" if self._ever_held else "acquired",
                    self._where(),
                )
                self._ever_held, self._standing_by = True, False
            elif not self._standing_by:
                log.warning("another scheduler holds the lock (%s); standing by", self._where())
                self._standing_by = True
            return taken

    def covers(self, session: Session) -> bool:
        """Whether this scheduler holds the lock, asked inside a job's transaction right before
        the job runs. The transaction also holds the jobs lock (shared) until it ends, so a
        scheduler taking the lock over waits for this job to end before it runs any.

        What remains: if this job's own connection drops too (a server restart), its shared
        lock goes with it while its Python code may still run until its next statement fails;
        nothing it writes is committed then, but side effects outside the database (a file, a
        mail) may overlap with the other scheduler's first job. Jobs are short and idempotent.
        """
        if not self.postgresql:
            return self._file is not None
        backend = self._backend
        if backend is None:
            return False
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": JOBS_LOCK_KEY})
        return bool(session.execute(HELD_BY_BACKEND, {**_KEY, **backend}).scalar())

    def release(self) -> None:
        """Give the lock up (at exit)."""
        with self._mutex:
            if self._connection is not None:
                with suppress(DBAPIError):  # if the connection is gone, the lock went with it
                    self._connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                    )
            self._drop()
            if self._lock_engine is not None:
                self._lock_engine.dispose()
                self._lock_engine = None

    def _where(self) -> str:
        if self.postgresql:
            return f"PostgreSQL advisory lock {ADVISORY_LOCK_KEY}"
        return str(Path(self.instance_path) / "scheduler.lock")

    def _take(self) -> bool:
        return self._take_advisory() if self.postgresql else self._take_file()

    def _take_advisory(self) -> bool:
        if self._lock_engine is None:
            # A connection of its own, never pooled: closing it really ends the session.
            self._lock_engine = create_engine(
                self.engine.url, poolclass=NullPool, connect_args=LOCK_CONNECT_ARGS
            )
        connection = self._lock_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if not connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            ).scalar():
                connection.close()
                return False
            # Wait for the jobs a scheduler that lost the lock may still be running.
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": JOBS_LOCK_KEY})
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": JOBS_LOCK_KEY})
            pid, started = connection.execute(
                text("SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            ).one()
        except DBAPIError:
            connection.invalidate()  # the session, and any lock it took, end with it
            connection.close()
            raise
        self._connection, self._backend = connection, {"pid": pid, "started": started}
        return True

    def _take_file(self) -> bool:
        path = Path(self.instance_path) / "scheduler.lock"
        file = open(path, "a+")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return False
        file.truncate(0)
        file.write(str(os.getpid()))
        file.flush()
        self._file = file
        return True

    def _still_held(self) -> bool:
        if self._connection is None:
            return self._file is not None  # a file lock lasts as long as the process
        try:
            return bool(self._connection.execute(HELD_HERE, _KEY).scalar())
        except DBAPIError:
            return False

    def _drop(self) -> None:
        """Forget the lock's connection or file (the lock is gone or being given up)."""
        if self._connection is not None:
            with suppress(DBAPIError):
                self._connection.invalidate()  # a dead or lockless session is not reused
                self._connection.close()
            self._connection, self._backend = None, None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
