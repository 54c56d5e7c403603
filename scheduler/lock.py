"""The single-instance lock of the scheduler process."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

#: Arbitrary constant naming Anpei's scheduler among PostgreSQL advisory locks.
ADVISORY_LOCK_KEY = 0x414E504549  # "ANPEI"


class AlreadyRunning(RuntimeError):
    """Another scheduler process holds the lock."""


class SchedulerLock:
    """Held for the life of the process; released by ``release()`` or at exit."""

    def __init__(self, engine: Engine, instance_path: str):
        self.engine, self.instance_path = engine, instance_path
        self._connection: Connection | None = None
        self._file = None

    def acquire(self) -> SchedulerLock:
        if self.engine.dialect.name == "postgresql":
            self._connection = self.engine.connect()
            got = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            ).scalar()
            self._connection.commit()
            if not got:
                self._connection.close()
                self._connection = None
                raise AlreadyRunning("another scheduler is connected to this database")
            return self
        path = Path(self.instance_path) / "scheduler.lock"
        self._file = open(path, "a+")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._file.close()
            self._file = None
            raise AlreadyRunning(f"another scheduler holds {path}") from exc
        self._file.truncate(0)
        self._file.write(str(os.getpid()))
        self._file.flush()
        return self

    def release(self) -> None:
        if self._connection is not None:
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
            self._connection.close()
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
