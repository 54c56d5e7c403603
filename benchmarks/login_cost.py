"""What a login's password check costs on this machine, for candidate hashing parameters.

    python benchmarks/login_cost.py [--repeat 7] [--logins 3000 --window 600]

For werkzeug's default scrypt, OWASP's five scrypt minimums (held equivalent) (Password Storage Cheat
Sheet: N=2^17 r=8 p=1, or 2^16/8/2, 2^15/8/3, 2^14/8/5, 2^13/8/10) and PBKDF2-SHA256 at OWASP's
600,000 iterations, prints the median milliseconds of one check (``check_password_hash``, as a
login does), the memory it takes, how many checks per second all cores give when every core
hashes at once (threads in one process: if that is about the number of cores times the serial
rate, the hash runs without holding the GIL), and the share of the machine ``--logins`` logins
spread over ``--window`` seconds take. The configured method (``ANPEI_PASSWORD_METHOD``, else
the application's default) is marked.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from werkzeug.security import check_password_hash, generate_password_hash  # noqa: E402

CANDIDATES = {
    "scrypt:32768:8:1": "werkzeug's default (below OWASP's minimum: N=2^15 wants p=3)",
    "scrypt:131072:8:1": "OWASP minimum, 128 MiB",
    "scrypt:65536:8:2": "OWASP minimum, 64 MiB",
    "scrypt:32768:8:3": "OWASP minimum, 32 MiB",
    "scrypt:16384:8:5": "OWASP minimum, 16 MiB",
    "scrypt:8192:8:10": "OWASP minimum, 8 MiB",
    "pbkdf2:sha256:600000": "OWASP's PBKDF2-SHA256 minimum (no memory hardness)",
}


def memory_mib(method: str) -> float:
    name, *params = method.split(":")
    if name != "scrypt":
        return 0.0
    n, r, _ = map(int, params or (2**15, 8, 1))  # werkzeug's default
    return 128 * n * r / 2**20


def configured_method() -> str:
    from exam.core.config import SETTINGS

    default = next(s.default for s in SETTINGS if s.key == "PASSWORD_METHOD")
    return os.environ.get("ANPEI_PASSWORD_METHOD", default)


def serial_ms(stored: str, repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of one check (CPU time is what other work on a busy
    machine does not inflate, or much less)."""
    wall, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.thread_time()
        assert check_password_hash(stored, "correct horse battery staple")
        wall.append(time.perf_counter() - began)
        cpu.append(time.thread_time() - began_cpu)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def runs_without_the_gil(stored: str) -> float:
    """How far a pure-Python thread gets while this thread checks a password, against how far
    it gets while this thread sleeps as long: near 1 when the check releases the GIL, near 0
    when it holds it."""
    counted, stop = [0], threading.Event()

    def count():
        while not stop.is_set():
            counted[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    time.sleep(0.05)
    before, began = counted[0], time.perf_counter()
    check_password_hash(stored, "correct horse battery staple")
    took = time.perf_counter() - began
    while_hashing = counted[0] - before
    before = counted[0]
    time.sleep(took)
    while_sleeping = counted[0] - before
    stop.set()
    counter.join()
    return while_hashing / max(1, while_sleeping)


def parallel_rate(stored: str, threads: int, each: int) -> float:
    """Checks per second with ``threads`` threads hashing at once."""

    def work():
        for _ in range(each):
            check_password_hash(stored, "correct horse battery staple")

    workers = [threading.Thread(target=work) for _ in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads * each / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="checks per method, serially")
    parser.add_argument("--logins", type=int, default=3000)
    parser.add_argument("--window", type=float, default=600, help="s the logins spread over")
    parser.add_argument("--methods", help="comma-separated methods instead of the candidates")
    args = parser.parse_args()
    methods = args.methods.split(",") if args.methods else list(CANDIDATES)
    configured = configured_method()
    if configured not in methods:
        methods.append(configured)
    cores = os.cpu_count() or 1
    print(
        f"{cores} cores, load average {os.getloadavg()[0]:.1f} (others' work inflates the figures); "
        f"configured: {configured}"
    )
    print(
        f"{'method':<24}{'wall ms':>8}{'CPU ms':>8}{'MiB':>5}{'checks/s':>9}{'x one':>6}"
        f"{'no GIL':>7}{'CPU share':>10}  note"
    )
    for method in methods:
        stored = generate_password_hash("correct horse battery staple", method=method)
        wall, cpu = serial_ms(stored, args.repeat)
        rate = parallel_rate(stored, cores, max(2, args.repeat // 2))
        free = runs_without_the_gil(stored)
        # The share of all cores the logins take: checks per second times the CPU of one.
        share = args.logins / args.window * cpu / 1000 / cores
        note = CANDIDATES.get(method, "")
        if method == configured:
            note = "CONFIGURED. " + note
        print(
            f"{method:<24}{wall:>8.0f}{cpu:>8.0f}{memory_mib(method):>5.0f}{rate:>9.1f}"
            f"{rate * wall / 1000:>6.2f}{free:>7.2f}{share:>9.0%}  {note}"
        )
    print(
        f"(checks/s: {cores} threads checking at once; x one: that rate over one thread's, near "
        f"{cores} on a quiet machine when the check runs without the GIL; no GIL: how far another\n"
        f"Python thread gets during a check against during a sleep as long, near 1 without the GIL, "
        f"near 0 with it; CPU share: {args.logins} logins over {args.window:.0f} s on {cores} cores, "
        "from the CPU ms)"
    )


if __name__ == "__main__":
    main()
