#!/usr/bin/env python3
"""Run a function in a forked, fenced-off child process, and end it surely.

Student code is untrusted. Each grading run gets a process of its own, forked
from the checker (so Flask, SQLAlchemy and pytest are already imported), and,
where the kernel allows it, its own network namespace (loopback only, so its
port 5000 is private) and its own PID namespace (so ending the run ends every
process it started, even those that made a session of their own). Where
namespaces are not available the run still gets a process group and the
checker becomes a subreaper, so its descendants can be found and killed.
"""
import ctypes
import fcntl
import os
import resource
import select
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass
from typing import Callable, Collection, Optional, Sequence

import psutil

CLONE_NEWNS = 0x00020000
MS_RDONLY = 0x1
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
# Mounts a run may keep writing to: the kernel's and the devices'.
KERNEL_MOUNTS = ("/proc", "/sys", "/dev/pts", "/dev/mqueue")
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_CHILD_SUBREAPER = 36
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

OUTPUT_LIMIT_BYTES = 64 * 1024 * 1024
MEMORY_LIMIT_BYTES = 4 * 1024 * 1024 * 1024

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class Outcome:
    """How a sandboxed run ended."""

    exit_code: Optional[int]
    signal: Optional[int]
    timed_out: bool
    seconds: float


def _unshare(flags: int) -> bool:
    """Ask the kernel for new namespaces; return whether it agreed."""
    return _libc.unshare(flags) == 0


def _loopback_up() -> None:
    """Bring up the loopback interface of a new network namespace."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(
            probe, SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS,
                    struct.pack("16sH14x", b"lo", flags | IFF_UP))


def _mount(source: Optional[str], target: str, flags: int) -> None:
    """Call mount(2), raising OSError when the kernel refuses."""
    if _libc.mount(source and source.encode(), target.encode(), None, flags,
                   None) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error), target)


def _read_only_except(writable: str) -> None:
    """In a new mount namespace, make every file system read-only but one.

    The writable folder becomes a mount of its own first, so that making
    the file systems around it read-only leaves it alone. Kernel and device
    file systems stay as they are.
    """
    _mount(None, "/", MS_REC | MS_PRIVATE)
    _mount(writable, writable, MS_BIND | MS_REC)
    with open("/proc/self/mounts") as mounts:
        targets = [line.split()[1].replace("\\040", " ") for line in mounts]
    for target in targets:
        if target == writable or target.startswith(KERNEL_MOUNTS):
            continue
        try:
            _mount(None, target, MS_REMOUNT | MS_BIND | MS_RDONLY)
        except OSError:
            pass  # a mount that cannot be made read-only stays as it is


def namespaces_available() -> bool:
    """Tell whether this process may create network and PID namespaces."""
    pid = os.fork()
    if pid == 0:
        ok = _unshare(CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def become_subreaper() -> None:
    """Adopt orphaned descendants, so a run's whole tree stays findable."""
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _limit_resources() -> None:
    """Cap what one run may write and allocate."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE,
                       (OUTPUT_LIMIT_BYTES, OUTPUT_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_AS,
                       (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def _redirect_output(output_path: str) -> None:
    """Send the run's stdout and stderr to output_path, stdin from nowhere."""
    sys.stdout.flush()
    sys.stderr.flush()
    output = os.open(output_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    os.close(nothing)
    # The Python streams too: the checker may run under something (pytest,
    # a progress bar) that replaced them.
    sys.stdout = sys.__stdout__ = open(1, "w", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", closefd=False)


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


def start(body: Callable[[], int], output_path: str, isolate: bool,
          writable: Optional[str] = None) -> Run:
    """Fork a run of body, its output going to output_path.

    The direct child is a trusted waiter; the run itself is its child. With
    isolate, and where the kernel allows it, the run is pid 1 of a new PID
    namespace inside a new network namespace: when it ends, the kernel ends
    every process it started. Elsewhere the waiter adopts the run's orphans
    and kills whatever is left when the run ends. With writable too, the
    run sees every file system read-only but that folder: it cannot touch
    the submission, the kata, or the other runs' folders.
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
        _redirect_output(output_path)
        _limit_resources()
        namespaces = CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS
        isolated = isolate and _unshare(namespaces)
        if isolated:
            _loopback_up()
            if writable is not None:
                _read_only_except(writable)
        else:
            become_subreaper()
        inner = os.fork()
        if inner == 0:
            os.close(pipe_write)
            _run_body(body)
        os.write(pipe_write, "pid {}".format(inner).encode())
        os.close(pipe_write)
        _, status = os.waitpid(inner, 0)
        if not isolated:
            _end_descendants()
        if os.WIFSIGNALED(status):
            os._exit(128 + os.WTERMSIG(status))
        os._exit(os.waitstatus_to_exitcode(status))
    except BaseException:  # the sandbox could not be set up
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
    try:
        victims = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        victims = []
    for sender in (lambda: os.killpg(pid, signal.SIGKILL),
                   lambda: os.kill(pid, signal.SIGKILL)):
        try:
            sender()
        except OSError:
            pass
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
    """End a run and everything it started, and reap its child."""
    kill_tree(run.root)
    kill_tree(run.waiter)
    reap(run.waiter)


def outcome_of(status: int, seconds: float) -> Outcome:
    """Translate a wait status into an Outcome."""
    if os.WIFSIGNALED(status):
        return Outcome(None, os.WTERMSIG(status), False, seconds)
    code = os.waitstatus_to_exitcode(status)
    if code > 128 and code - 128 < signal.NSIG:
        return Outcome(None, code - 128, False, seconds)
    return Outcome(code, None, False, seconds)
