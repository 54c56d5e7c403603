"""Turns shared by every process of a host: at most N holders at once, whichever process or
thread asks.

A password check takes a core for a fifth of a second. Turns kept per process (a semaphore in
each gunicorn worker) make as many queues as there are workers, and a login waits in the queue
of whichever worker holds its connection (keep-alive pins a client, or nginx's upstream
connection, to one worker) while another worker's turn lies idle. One set of turns for the
host makes one queue: a login waits only while every turn is in use.

A turn is an exclusive ``flock`` on one of N files in a folder of the host's (the instance
folder, on a local disk: over NFS the lock would be one for every host). The kernel lets it go
when its holder unlocks it or its process ends or is killed, so a worker that dies mid-check
never keeps a turn. A waiter tries the files every few milliseconds (on descriptors its thread
opened once) until one is free or its time is up. Where that cannot work (no ``fcntl``, a
folder that cannot be written), the turns are the process's own, and the log says so.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: turns per process
    fcntl = None

log = logging.getLogger(__name__)

#: How often a waiter tries the turns again (a password check lasts about 200 ms).
POLL_SECONDS = 0.004


class Turn:
    """One turn held; ``release`` gives it back (twice is harmless)."""

    def __init__(self, release) -> None:
        self._release = release

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> Turn:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class HostTurns:
    """``count`` turns named ``<name>-<i>`` in ``folder``; every process that names the same
    folder, name and count shares them."""

    def __init__(self, folder: Path | str, name: str, count: int) -> None:
        self.count = max(1, count)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.paths = [folder / f"{name}-{i}" for i in range(self.count)]
        for path in self.paths:  # here, so that a folder that cannot be written shows at once
            os.close(self._open(path))
        self._local = threading.local()

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
        # This thread's descriptors, opened once: flock belongs to the open file, so each
        # thread needs its own (two threads on one descriptor would both "hold" it), and the
        # slots this thread holds already are not its to take again.
        local = self._local
        if not hasattr(local, "descriptors"):
            local.descriptors = [self._open(path) for path in self.paths]
            local.held = set()
        start = random.randrange(self.count)  # waiters do not all fight over the first file
        for i in range(self.count):
            slot = (start + i) % self.count
            if slot in local.held:
                continue
            descriptor = local.descriptors[slot]
            if not _lock(descriptor):
                continue
            local.held.add(slot)

            def release(descriptor=descriptor, slot=slot, held=local.held) -> None:
                held.discard(slot)
                fcntl.flock(descriptor, fcntl.LOCK_UN)

            return Turn(release)
        return None

    def in_use(self) -> int:
        """How many turns are held now, by anybody on this host (for tests and diagnostics:
        it takes each free turn for a moment)."""
        held = 0
        for path in self.paths:
            descriptor = self._open(path)
            try:
                held += not _lock(descriptor)
            finally:
                os.close(descriptor)  # closing drops a lock taken just now
        return held

    @staticmethod
    def _open(path: Path) -> int:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _lock(descriptor: int) -> bool:
    """Take the file's exclusive lock if nobody holds it; False if somebody does."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class ProcessTurns:
    """The same turns for this process alone (where a host's cannot be had)."""

    def __init__(self, count: int) -> None:
        self.count = max(1, count)
        self._semaphore = threading.BoundedSemaphore(self.count)

    def take(self, timeout: float | None = None) -> Turn | None:
        ok = self._semaphore.acquire(timeout=timeout)  # None: waits; 0: does not
        return Turn(self._semaphore.release) if ok else None


def host_turns(folder: Path | str, name: str, count: int) -> HostTurns | ProcessTurns:
    """The host's turns, or the process's own where a host's cannot be had (logged)."""
    if fcntl is None:
        return ProcessTurns(count)
    try:
        return HostTurns(folder, name, count)
    except OSError as error:
        log.warning("%s turns kept per process: %s cannot be used (%s)", name, folder, error)
        return ProcessTurns(count)


def host_cores() -> int:
    """The cores this process may use: its CPU affinity, within a cgroup's CPU quota if one is
    set (a container or a systemd ``CPUQuota=``)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cores
