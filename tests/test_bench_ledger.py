"""The exam-day harness's reading of its request log (benchmarks/exam_day/ledger.py).

The benchmarks are not installed with the app (``pip install .``): the module is loaded from
its file, as ``run.py`` runs it from the checkout."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "exam_day_ledger", Path(__file__).parents[1] / "benchmarks" / "exam_day" / "ledger.py"
)
ledger = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ledger)
by_turns, turns_table = ledger.by_turns, ledger.turns_table


def row(start: float, outcome: str = "ok"):
    return (start, 0.01, outcome == "ok", 200 if outcome != "offline" else -1, outcome)


def test_requests_fall_in_the_turn_they_were_sent_in():
    rows = [row(t) for t in (99.0, 100.0, 109.9, 110.0, 119.9, 120.0, 135.0)]
    rows.append(row(101.0, "offline"))
    turns = by_turns(rows, first=100.0, period=10.0)
    # Before the first turn and held offline: neither.
    assert [r[0] for r in turns["on"]] == [100.0, 109.9, 120.0]
    assert [r[0] for r in turns["off"]] == [110.0, 119.9, 135.0]


def test_turns_can_start_without_the_reports():
    rows = [row(t) for t in (100.0, 110.0, 120.0)]
    turns = by_turns(rows, first=100.0, period=10.0, first_on=False)
    assert [r[0] for r in turns["off"]] == [100.0, 120.0]
    assert [r[0] for r in turns["on"]] == [110.0]


def test_runs_with_their_turns_the_other_way_round_are_pooled(capsys):
    # Run A asks in its first turn, run B does not: each moment has a request of each kind.
    name = "PUT save"
    fast, slow = 0.010, 0.030
    a = {name: [(100.0 + i, slow if i < 10 else fast, True, 200, "ok") for i in range(20)]}
    b = {name: [(100.0 + i, fast, True, 200, "ok") for i in range(20)]}
    plan = {"reports_from": 100.0, "reports_turns": 10.0}
    table = turns_table(
        [(a, {**plan, "reports_first_on": True}), (b, {**plan, "reports_first_on": False})],
        [name],
    )
    entry = table[name]
    assert (entry["requests_on"], entry["requests_off"]) == (20, 20)
    assert entry["p95_on"] == slow and entry["p95_off"] == fast
    assert entry["growth"] is None  # fewer than TURN_MIN_REQUESTS a side: not read
    assert "too few" in capsys.readouterr().out
