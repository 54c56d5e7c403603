"""The exam-day harness's reading of its request log (benchmarks/exam_day/ledger.py)."""

from benchmarks.exam_day.ledger import by_turns


def row(start: float, outcome: str = "ok"):
    return (start, 0.01, outcome == "ok", 200 if outcome != "offline" else -1, outcome)


def test_requests_fall_in_the_turn_they_were_sent_in():
    rows = [row(t) for t in (99.0, 100.0, 109.9, 110.0, 119.9, 120.0, 135.0)]
    rows.append(row(101.0, "offline"))
    turns = by_turns(rows, first=100.0, period=10.0)
    # Before the first turn and held offline: neither.
    assert [r[0] for r in turns["on"]] == [100.0, 109.9, 120.0]
    assert [r[0] for r in turns["off"]] == [110.0, 119.9, 135.0]
