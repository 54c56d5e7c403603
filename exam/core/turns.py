"""Turns shared by every process of a host: at most N holders at once, whichever process or
thread asks.

A password check takes a core for a fifth of a second. Turns kept per process (a semaphore in
each gunicorn worker) make as many queues as there are workers, and a login waits in the queue
of whichever worker holds its connection (keep-alive pins a client, or nginx's upstream
connection, to one worker) while another worker's turn lies idle. One set of turns for the
host makes one queue: a login waits only while every turn is in use.

A turn is an exclusive ``flock`` on one of N files in a folder of the host's (the instance
folder): the kernel lets it go when its holder's file is closed, its process ends or is killed,
so a worker that dies mid-check never keeps a turn. A waiter tries the files every few
milliseconds until one is free or its time is up.
"""

from __future__ import annotations

import fcntl
import os
import random
import time
from pathlib import Path

#: How often a waiter tries the turns again (a check lasts about 200 ms).
POLL_SECONDS = 0.004


class Turn:
    """One turn held; ``release`` gives it back (also done by closing, or by the process
    ending)."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor: int | None = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            descriptor, self._descriptor = self._descriptor, None
            os.close(descriptor)  # closing the file drops its lock

    def __enter__(self) -> Turn:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class HostTurns:
    """``count`` turns named ``<name>-<i>`` in ``folder``; every process that names the same
    folder, name and count shares them."""

    def __init__(self, folder: Path | str, name: str, count: int) -> None:
        self.folder = Path(folder)
        self.count = max(1, count)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.paths = [self.folder / f"{name}-{i}" for i in range(self.count)]

    def take(self, timeout: float | None = None) -> Turn | None:
        """A turn, waiting for one at most ``timeout`` seconds (None: as long as it takes; 0:
        not at all); None if every turn stayed in use that long."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            turn = self._try()
            if turn is not None:
                return turn
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(POLL_SECONDS)

    def _try(self) -> Turn | None:
        # From a random file on, so that waiters do not all fight over the first one.
        start = random.randrange(self.count)
        for i in range(self.count):
            path = self.paths[(start + i) % self.count]
            # A file of its own for each try: flock belongs to the open file, so two threads
            # of one process holding one descriptor would both "hold" it.
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            except BaseException:
                os.close(descriptor)
                raise
            return Turn(descriptor)
        return None

    def in_use(self) -> int:
        """How many turns are held now (by anybody on this host)."""
        held = 0
        for path in self.paths:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held += 1
            finally:
                os.close(descriptor)
        return held


def host_cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
