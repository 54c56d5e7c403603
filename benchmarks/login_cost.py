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


def serial_ms(stored: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        assert check_password_hash(stored, "correct horse battery staple")
        times.append(time.perf_counter() - began)
    return 1000 * statistics.median(times)


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
        f"{'method':<24}{'ms/check':>9}{'MiB':>6}{'checks/s':>10}{'x serial':>9}"
        f"{'CPU share':>11}  note"
    )
    for method in methods:
        stored = generate_password_hash("correct horse battery staple", method=method)
        ms = serial_ms(stored, args.repeat)
        rate = parallel_rate(stored, cores, max(2, args.repeat // 2))
        # The share of all cores the logins take: checks per second times the CPU of one.
        share = args.logins / args.window * ms / 1000 / cores
        note = CANDIDATES.get(method, "")
        if method == configured:
            note = "CONFIGURED. " + note
        print(
            f"{method:<24}{ms:>9.0f}{memory_mib(method):>6.0f}{rate:>10.1f}"
            f"{rate * ms / 1000:>9.2f}{share:>10.0%}  {note}"
        )
    print(
        f"(CPU share: {args.logins} logins over {args.window:.0f} s on {cores} cores; x serial: "
        f"the rate of {cores} threads over one thread's, near {cores} when the GIL is released)"
    )


if __name__ == "__main__":
    main()
