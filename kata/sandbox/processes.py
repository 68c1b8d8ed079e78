#!/usr/bin/env python3
"""Run a judge in a forked child, and end it and all it started, surely.

A judge (a step's pytest run, see ``specrun.py``) executes no student code:
that runs in the submission's jail (``jail.py``). A judge still gets a
process of its own, forked from the warm checker, with a trusted waiter
that adopts and kills whatever the judge leaves behind, and a time limit.
"""
import ctypes
import os
import select
import signal
import sys
import time
from dataclasses import dataclass
from typing import Callable, Collection, List, Optional, Sequence

import psutil

from kata.sandbox.subject import streams

PR_SET_CHILD_SUBREAPER = 36
# How many times, 10 ms apart, a killed process is waited for to reap it.
REAP_TRIES = 100

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class Outcome:
    """How a run ended."""

    exit_code: Optional[int]
    signal: Optional[int]
    timed_out: bool
    seconds: float


def become_subreaper() -> None:
    """Adopt orphaned descendants, so a run's whole tree stays findable."""
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _run_body(body: Callable[[], int]) -> None:
    """Run body and leave the process with its exit code, whatever happens."""
    code = 70
    try:
        result = body()
        code = result if isinstance(result, int) else 70
    except BaseException:  # the run failed; its exit code says so
        code = 70
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


@dataclass(frozen=True)
class Run:
    """A started run: the child to wait for, and the process to kill."""

    waiter: int
    root: int
    started: float


def start(body: Callable[[], int], output: int) -> Run:
    """Fork a run of body, its output going to the open file output.

    The direct child is a trusted waiter; the run itself is its child. The
    waiter adopts the run's orphans and kills whatever is left when the run
    ends.
    """
    started = time.monotonic()
    pipe_read, pipe_write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(pipe_write)
        with os.fdopen(pipe_read, "rb") as reader:
            message = reader.read()
        if message.startswith(b"pid "):
            return Run(pid, int(message[4:]), started)
        return Run(pid, pid, started)
    try:
        os.close(pipe_read)
        os.setsid()
        streams.redirect(output)
        become_subreaper()
        inner = os.fork()
        if inner == 0:
            os.close(pipe_write)
            _run_body(body)
        os.write(pipe_write, "pid {}".format(inner).encode())
        os.close(pipe_write)
        _, status = os.waitpid(inner, 0)
        _end_descendants()
        if os.WIFSIGNALED(status):
            os._exit(128 + os.WTERMSIG(status))
        os._exit(os.waitstatus_to_exitcode(status))
    except BaseException:  # the run could not be set up
        os._exit(71)
    return Run(0, 0, started)  # never reached: the child has exited


def _end_descendants() -> None:
    """Kill and reap every process left below this one."""
    for _ in range(100):
        children = psutil.Process().children(recursive=True)
        if not children:
            return
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                pass
        for child in psutil.Process().children():
            try:
                os.waitpid(child.pid, 0)
            except ChildProcessError:
                pass


def reap_orphans(keep: Collection[int]) -> None:
    """Collect the exit status of adopted children, except those in keep.

    The checker adopts the orphans of killed runs; unreaped, each would
    stay a zombie until the checker ends.
    """
    for child in psutil.Process().children():
        if child.pid in keep:
            continue
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                os.waitpid(child.pid, os.WNOHANG)
        except (psutil.Error, ChildProcessError):
            pass


def kill_tree(pid: int) -> None:
    """Kill pid and every process descended from it or in its group."""
    victims = _descendants(pid)
    kill_group(pid)
    _kill(victims)


def kill_descendants(pid: int) -> List[int]:
    """Kill every process below pid; return their process numbers."""
    victims = _descendants(pid)
    _kill(victims)
    return [victim.pid for victim in victims]


def kill_group(pid: int) -> None:
    """Kill pid's process group, and pid itself if it leads none."""
    for sender in (lambda: os.killpg(pid, signal.SIGKILL),
                   lambda: os.kill(pid, signal.SIGKILL)):
        try:
            sender()
        except OSError:
            pass


def _descendants(pid: int) -> List[psutil.Process]:
    """Return every process below pid, found before any is killed."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _kill(victims: Sequence[psutil.Process]) -> None:
    """Kill each of the given processes that is still there."""
    for victim in victims:
        try:
            victim.kill()
        except psutil.Error:
            pass


def wait_for_any(runs: Sequence[Run], deadline: float) -> None:
    """Sleep until one of the runs ends or the deadline passes.

    Pid file descriptors wake this up the moment a run ends; where the
    kernel has none, a short sleep stands in for them.
    """
    handles = []
    try:
        for run in runs:
            handles.append(os.pidfd_open(run.waiter))
    except (AttributeError, OSError):
        for handle in handles:
            os.close(handle)
        time.sleep(0.005)
        return
    try:
        select.select(handles, [], [],
                      min(1.0, max(0.0, deadline - time.monotonic())))
    finally:
        for handle in handles:
            os.close(handle)


def reap(pid: int) -> None:
    """Collect pid's exit status once it is dead."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def wait(run: Run, deadline: float) -> Outcome:
    """Wait for the run until deadline (time.monotonic); kill it after."""
    while True:
        try:
            done, status = os.waitpid(run.waiter, os.WNOHANG)
        except ChildProcessError:
            return Outcome(None, None, False, time.monotonic() - run.started)
        if done:
            return outcome_of(status, time.monotonic() - run.started)
        if time.monotonic() >= deadline:
            stop(run)
            return Outcome(None, signal.SIGKILL, True,
                           time.monotonic() - run.started)
        time.sleep(0.005)


def stop(run: Run) -> None:
    """End a run and everything it started, and reap its child.

    The run itself, killed with its waiter, falls to this process (a
    subreaper): it is reaped too, or it would stay a zombie.
    """
    kill_tree(run.root)
    kill_tree(run.waiter)
    reap(run.waiter)
    if run.root != run.waiter:
        reap_killed([run.root])


def reap_killed(pids: Sequence[int]) -> None:
    """Reap killed processes that fell to this process as it is a subreaper.

    Each is waited for a little while it dies; a number that is not a
    child of this process is skipped.
    """
    for pid in pids:
        for _ in range(REAP_TRIES):
            try:
                ended, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if ended:
                break
            time.sleep(0.01)


def outcome_of(status: int, seconds: float) -> Outcome:
    """Translate a wait status into an Outcome."""
    if os.WIFSIGNALED(status):
        return Outcome(None, os.WTERMSIG(status), False, seconds)
    code = os.waitstatus_to_exitcode(status)
    if code > 128 and code - 128 < signal.NSIG:
        return Outcome(None, code - 128, False, seconds)
    return Outcome(code, None, False, seconds)
