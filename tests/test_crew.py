"""Work in worker processes that can be stopped (syndicate.workers.crew), with real processes: an
item that runs too long, even inside C code, is stopped and the rest is done."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate.workers import crew as crew_module
from syndicate.workers.crew import Crew, Lost


def do(item: str) -> tuple[str, int]:
    """`item` done, and by which process; "stuck" never ends (a regular expression
    backtracking in C, which no signal handler interrupts), "crash" ends the process."""
    if item == "stuck":
        re.match(r"(x+x+)+y", "x" * 64)
    if item == "crash":
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer does
    if item == "broken":
        raise ValueError("a broken item")
    return item, os.getpid()


def keep(done: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return done


def results(
    crew: Crew[str, list[tuple[str, int]]], chunks: list[list[str]]
) -> tuple[list[str], list[Lost[str]]]:
    done: list[str] = []
    lost: list[Lost[str]] = []
    for result in crew.run(chunks):
        if isinstance(result, Lost):
            lost.append(result)
        else:
            done += [item for item, _ in result]
    return sorted(done), lost


@pytest.fixture
def another_thread() -> Iterator[None]:
    """A thread running, as in a server: workers are spawned, not forked."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    yield
    stop.set()
    other.join()


@pytest.mark.parametrize("threads", [False, True])
def test_an_item_past_its_time_is_stopped_and_everything_else_done(
    request: pytest.FixtureRequest, threads: bool
) -> None:
    if threads:
        request.getfixturevalue("another_thread")
    crew = Crew(do, keep, 2, timeout=1)
    try:
        started = time.monotonic()
        done, lost = results(crew, [["a", "b", "stuck", "c"], ["d", "e"], ["f"]])
        assert time.monotonic() - started < 60  # not the age of the universe the match takes
        assert done == ["a", "b", "c", "d", "e", "f"]
        assert lost == [Lost("stuck")]
        # The crew goes on with the worker it has, and one in place of the one killed.
        assert results(crew, [["g"], ["h"]]) == (["g", "h"], [])
        assert crew.started == 3
    finally:
        crew.close()


def test_an_item_that_kills_its_worker_twice_is_lost_and_the_rest_is_done() -> None:
    crew = Crew(do, keep, 1, timeout=30)
    try:
        done, lost = results(crew, [["a", "crash", "b"], ["c"]])
        assert done == ["a", "b", "c"]
        assert lost == [Lost("crash", "killed by SIGKILL")]
        assert crew.started == 3  # tried again alone, in a new worker, then a third for the rest
    finally:
        crew.close()


def test_an_exception_in_a_worker_is_raised_here_and_the_worker_is_kept() -> None:
    crew = Crew(do, keep, 1, timeout=30)
    try:
        with pytest.raises(ValueError, match=r"^a broken item$"):
            results(crew, [["a", "broken"]])
        assert results(crew, [["b"]]) == (["b"], [])
        assert crew.started == 1
    finally:
        crew.close()


def pids(crew: Crew[str, list[tuple[str, int]]], chunks: list[list[str]]) -> set[int]:
    return {pid for result in crew.run(chunks) if not isinstance(result, Lost) for _, pid in result}


@pytest.mark.usefixtures("another_thread")
def test_a_spawned_worker_is_kept_between_runs_and_replaced_when_it_is_gone() -> None:
    crew = Crew(do, keep, 1, timeout=30)
    try:
        crew.prepare()
        (first,) = pids(crew, [["a"]])
        assert first != os.getpid()
        assert pids(crew, [["b"], ["c"]]) == {first}
        os.kill(first, signal.SIGKILL)  # from outside, while it waits for work
        time.sleep(0.2)
        (second,) = pids(crew, [["d"]])
        assert second != first
        assert crew.started == 2
    finally:
        crew.close()
    with pytest.raises(ProcessLookupError):
        for _ in range(100):  # close() does not wait long for it
            os.kill(second, 0)
            time.sleep(0.05)


def test_forked_workers_are_ended_by_close_of_forked_ones() -> None:
    crew = Crew(do, keep, 1, timeout=30)
    (forked,) = pids(crew, [["a"]])
    crew.close(forked_only=True)
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(forked, 0)
            time.sleep(0.05)
    assert pids(crew, [["b"]]) != {forked}
    crew.close()


UNGUARDED = """import threading, sys
from syndicate.workers.crew import Crew
from syndicate.xmlchars import strip_forbidden  # any function of syndicate's

threading.Thread(target=threading.Event().wait, daemon=True).start()  # no fork: a new Python
crew = Crew(strip_forbidden, list, 1, timeout=30)
print("ran", list(crew.run([["a\\x00b"]])))
crew.close()
"""


def test_a_worker_started_from_a_script_without_a_main_guard_does_not_run_the_script(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ran [['ab']]\n", "")


INTERRUPTED = """import os, signal, subprocess, sys, threading
from syndicate.workers.crew import Crew
from syndicate.xmlchars import strip_forbidden

signal.signal(signal.SIGINT, lambda *_: None)  # this process takes its ^C; a new Python does not
# As a ^C at a terminal does, to the whole process group, again and again; from another
# process, so that this one can still fork.
INTERRUPT = "import os, signal, time\\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\\n" \\
    f"while os.getppid() == {os.getpid()}: os.killpg(0, signal.SIGINT); time.sleep(0.002)"
interrupting = subprocess.Popen([sys.executable, "-c", INTERRUPT])
if sys.argv[1] == "started":
    threading.Thread(target=threading.Event().wait, daemon=True).start()  # no fork: a new Python
crew = Crew(strip_forbidden, list, 1, timeout=30)
crew.prepare()
ran = [list(crew.run([["a\\x00b"]])) for _ in range(20)]
interrupting.kill()
print(ran[0], crew.started, "forked" if crew._idle[0].forked else "started")
crew.close()
"""


@pytest.mark.parametrize("how", ["forked", "started"])
def test_a_ctrl_c_to_the_process_group_while_a_worker_starts_and_works_is_ignored_by_it(
    tmp_path: Path, how: str
) -> None:
    script = tmp_path / "interrupted.py"
    script.write_text(INTERRUPTED, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), how], capture_output=True, text=True, timeout=60, process_group=0
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"[['ab']] 1 {how}\n", "")


def where(item: tuple[str, int]) -> tuple[int, int, int]:
    """The worker's object for the shared text, its length, and the item's number."""
    text, number = item
    return id(text), len(text), number


@pytest.mark.parametrize("how", ["forked", "started"])
def test_objects_shared_by_items_are_sent_to_each_worker_once(
    how: str, request: pytest.FixtureRequest
) -> None:
    if how == "started":
        request.getfixturevalue("another_thread")
    text = "a long post " * 10_000
    crew = Crew(where, keep, 1, timeout=30, shared=[text])
    try:
        made = [
            result
            for result in crew.run([[(text, 1), (text, 2)], [(text, 3)]])
            if not isinstance(result, Lost)
        ]
    finally:
        crew.close()
    done = [item for result in made for item in result]
    assert sorted(number for _, _, number in done) == [1, 2, 3]
    assert {length for _, length, _ in done} == {len(text)}
    assert len({place for place, _, _ in done}) == 1  # one copy in the worker, for every chunk
    assert len(crew_module._dumps([(text, 1)], {id(text): 0})) < 100  # the item: a number for the text
