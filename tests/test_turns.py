"""Turns shared by every process of a host (exam/core/turns.py): the password checks' queue."""

import multiprocessing
import os
import signal
import threading
import time

from exam.core.turns import HostTurns, ProcessTurns, host_turns


def _hold(folder, name, count, ready, release):
    turn = HostTurns(folder, name, count).take()
    ready.set()
    release.wait(30)
    turn.release()


def _other_process(folder, name, count):
    context = multiprocessing.get_context("spawn")  # a process of its own, as a gunicorn worker
    ready, release = context.Event(), context.Event()
    process = context.Process(target=_hold, args=(str(folder), name, count, ready, release))
    process.start()
    assert ready.wait(30)
    return process, release


def test_a_turn_held_by_another_process_is_not_taken_until_it_is_given_back(tmp_path):
    turns = HostTurns(tmp_path, "password", 1)
    process, release = _other_process(tmp_path, "password", 1)
    try:
        assert turns.in_use() == 1
        began = time.monotonic()
        assert turns.take(timeout=0.2) is None  # waited its time, then gave up
        assert time.monotonic() - began >= 0.2
        release.set()
        turn = turns.take(timeout=10)
        assert turn is not None
        turn.release()
    finally:
        release.set()
        process.join(10)


def test_a_process_killed_while_holding_a_turn_gives_it_back(tmp_path):
    turns = HostTurns(tmp_path, "password", 1)
    process, _release = _other_process(tmp_path, "password", 1)
    assert turns.take(timeout=0) is None
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)
    turn = turns.take(timeout=5)
    assert turn is not None
    turn.release()


def test_threads_of_one_process_take_turns_and_never_exceed_the_count(tmp_path):
    turns = HostTurns(tmp_path, "password", 2)
    lock, running, most, taken = threading.Lock(), [0], [0], []

    def work():
        with turns.take() as turn:
            taken.append(turn)
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 6 and most[0] == 2
    assert turns.in_use() == 0


def test_turns_of_other_names_or_folders_are_apart(tmp_path):
    first = HostTurns(tmp_path, "password", 1).take(timeout=0)
    assert first is not None
    other_name = HostTurns(tmp_path, "export", 1).take(timeout=0)
    other_folder = HostTurns(tmp_path / "host-b", "password", 1).take(timeout=0)
    assert other_name is not None and other_folder is not None
    for turn in (first, other_name, other_folder):
        turn.release()
    first.release()  # giving one back twice is harmless


def test_a_thread_holding_every_turn_gets_none_more(tmp_path):
    turns = HostTurns(tmp_path, "password", 2)
    first, second = turns.take(timeout=0), turns.take(timeout=0)
    assert first is not None and second is not None
    assert turns.take(timeout=0) is None  # its own turns are not its to take again
    first.release()
    again = turns.take(timeout=0)
    assert again is not None and turns.in_use() == 2
    second.release()
    again.release()
    assert turns.in_use() == 0


def test_a_folder_that_cannot_be_written_gives_turns_per_process(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    turns = host_turns(blocker / "turns", "password", 1)
    assert isinstance(turns, ProcessTurns)
    assert "turns kept per process" in caplog.text
    turn = turns.take(timeout=0)
    assert turn is not None and turns.take(timeout=0.01) is None
    turn.release()
    assert turns.take(timeout=0) is not None
