"""The reports' cost over runs made with ``run.py --reports --reports-turns``: the candidates'
p95 with the organiser asking and without, the requests of all the runs pooled.

    python benchmarks/exam_day/turns.py RUN_FOLDER [RUN_FOLDER ...]

Two runs with their turns the other way round (``--reports-turns-first on`` and ``off``) give
every moment of the exam a run with the reports and one without: the opening's starts and the
end's submissions, which bunch in a few turns, then weigh alike on both sides.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))

from benchmarks.exam_day.ledger import TURN_MIN_REQUESTS, read_timings, turns_table  # noqa: E402
from benchmarks.exam_day.run import ENDPOINTS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (run.py --out)")
    args = parser.parse_args()
    runs = []
    for folder in args.runs:
        plan = json.loads((folder / "plan.json").read_text())
        if not plan.get("reports") or not plan.get("reports_turns"):
            raise SystemExit(f"{folder}: not a run with --reports --reports-turns")
        if runs and plan["reports_turns"] != runs[0][1]["reports_turns"]:
            raise SystemExit(f"{folder}: turns of another length than {args.runs[0]}'s")
        first = "on" if plan.get("reports_first_on", True) else "off"
        print(f"{folder}: turns of {plan['reports_turns']:.0f} s, the first {first}")
        runs.append((read_timings(folder), plan))
    firsts = {plan.get("reports_first_on", True) for _timings, plan in runs}
    if len(runs) > 1 and len(firsts) == 1:
        print("(every run's first turn is the same: the moments are not balanced)")
    print(
        f"candidates' p95 with the reports and without, the runs pooled (growth read where each "
        f"kind of turn holds {TURN_MIN_REQUESTS} requests):"
    )
    turns_table(runs, ENDPOINTS)


if __name__ == "__main__":
    main()
