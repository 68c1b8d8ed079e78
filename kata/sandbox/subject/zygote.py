#!/usr/bin/env python3
"""The subject's first process: preload the libraries, fork a child a test.

The judge sends ``["spawn", options]`` on the control channel, with two
descriptors: the test's channel and a *lifeline*. The zygote forks a child
that serves the test on its channel (``serve.py``). In the sandbox the
child is first sealed (``seal.py``): namespaces and file systems of its
own, then no capabilities and the seccomp filter. Before any student code
it hands the judge a descriptor of its working folder, the only way the
judge reaches what the test wrote. When the judge closes the lifeline (the
test is over, or the judge was killed), the zygote kills that child and
everything it started. When the control channel closes, the zygote ends,
and with it the sandbox.

Usage: ``python -m subject.zygote CONTROL_FD [seal [FILTER_FD]]``; with
``seal`` (in the sandbox) every child is sealed, under the seccomp program
FILTER_FD when there is one.
"""
import gc
import os
import select
import signal
import socket
import sys
from pathlib import Path
from typing import Any, Collection, Dict, List, Optional

from . import relay, seal, streams, wire

PR_SET_CHILD_SUBREAPER = 36
# Holds the seccomp program of the tests' children (empty where there is no
# seccomp) when they are sealed; nothing where there is no sandbox.
FILTER: List[bytes] = []
# The descriptors of the zygote's own namespaces and folder, when sealing;
# every child closes them first.
HOME: List[int] = []


def preload() -> None:
    """Import, once, what the student's modules are expected to use.

    The imports are for their side effect: every test's child is forked
    with these modules already loaded, and with the libraries' first use
    done (``warmup.py``).
    """
    import bcrypt  # noqa: F401
    import flask  # noqa: F401
    import requests  # noqa: F401
    import sqlalchemy.exc  # noqa: F401
    import sqlalchemy.ext.declarative  # noqa: F401
    import sqlalchemy.orm  # noqa: F401
    import sqlalchemy.orm.exc  # noqa: F401
    import sqlalchemy.schema  # noqa: F401
    import werkzeug.serving  # noqa: F401
    import werkzeug.test  # noqa: F401

    from . import serve  # noqa: F401
    from . import warmup
    warmup.warm_up()
    gc.collect()
    gc.freeze()


def subreaper() -> None:
    """Adopt orphans, so that no process of a test outlives it unnoticed."""
    import ctypes
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def fast_bcrypt() -> None:
    """Lower bcrypt's default work factor for a test that does not check it."""
    import bcrypt
    real = bcrypt.gensalt

    def gensalt(rounds: int = 4, prefix: bytes = b"2b") -> bytes:
        """Return a salt of the lowered default cost."""
        return real(rounds, prefix)

    bcrypt.gensalt = gensalt


def child(options: Dict[str, Any], channel_fd: int, keep_closed: List[int]
          ) -> None:
    """Set up a test's child and serve the test; never return."""
    code = 0
    try:
        for fd in keep_closed:
            os.close(fd)
        os.setpgid(0, 0)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if FILTER:
            code = init(options, channel_fd)
        else:
            os.chdir(str(options["cwd"]))
            hand_over_workdir(channel_fd, os.open(".", os.O_RDONLY
                                                  | os.O_DIRECTORY))
            serve_test(options, channel_fd)
    except BaseException:  # the child ends; the judge sees a closed channel
        import traceback
        traceback.print_exc()
        code = 70
    finally:
        os._exit(code)


def init(options: Dict[str, Any], channel_fd: int) -> int:
    """Be the first process of a sealed run; return the test's exit code.

    This process was forked into the run's new namespaces (``spawn``), as
    their init: killing it ends every process of the run.
    """
    hand_over_workdir(channel_fd, seal.build(options))
    if options.get("service"):
        if os.fork() == 0:
            confined_relay(channel_fd)
    server = os.fork()
    if server == 0:
        code = 70
        try:
            seal.confine(FILTER[0])
            os.chdir(seal.SCRATCH)
            serve_test(options, channel_fd)
        finally:
            os._exit(code)
    os.close(channel_fd)
    seal.hide()
    seal.confine(FILTER[0])
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 70
        if pid == server:
            return os.waitstatus_to_exitcode(status) & 0xFF


def confined_relay(channel_fd: int) -> None:
    """Serve the run's port 5000 as the relay, confined; never return.

    The test's channel is closed here: only the process that serves the
    test may hold it, so that the judge sees it close when that one ends.
    """
    try:
        os.close(channel_fd)
        seal.confine(FILTER[0])
        relay.serve(seal.SERVICE_SOCKET)
    finally:
        os._exit(0)


def hand_over_workdir(channel_fd: int, workdir: int) -> None:
    """Send the judge the run's working folder, then forget it."""
    sock = socket.socket(fileno=os.dup(channel_fd))
    try:
        wire.Channel(sock).send(["workdir"], [workdir])
    finally:
        sock.close()
        os.close(workdir)


def serve_test(options: Dict[str, Any], channel_fd: int) -> None:
    """Serve one test's requests in the current folder until it ends."""
    subreaper()
    streams.redirect("output.txt", append=True)
    if options.get("fast_bcrypt", True):
        fast_bcrypt()
    from . import serve
    if options.get("code") and not FILTER:
        serve.SUBMISSION = Path(str(options["code"]))
    sys.path.insert(0, str(serve.SUBMISSION))
    sys.dont_write_bytecode = True
    serve.serve(channel_fd)


def kill_group(pid: int) -> None:
    """Kill a test's child, its process group and whatever it adopted."""
    for target in (lambda: os.killpg(pid, signal.SIGKILL),
                   lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def kill_strays(keep: Collection[int]) -> None:
    """Kill the zygote's children that serve no live test.

    They are orphans a test left behind (a process in a session of its
    own, say), adopted by the zygote as subreaper.
    """
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in keep:
            continue
        try:
            with open("/proc/{}/stat".format(entry)) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


def reap() -> None:
    """Collect every child that has ended."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run(control_fd: int) -> None:
    """Serve spawn requests until the control channel closes."""
    control = wire.Channel(socket.socket(fileno=control_fd))
    lifelines: Dict[int, int] = {}
    while True:
        watched = [control.sock.fileno(), *lifelines]
        ready, _, _ = select.select(watched, [], [], 1.0)
        reap()
        for fd in ready:
            if fd in lifelines:
                pid = lifelines.pop(fd)
                kill_group(pid)
                try:
                    # Once it is gone its orphans are ours, to be killed.
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
                os.close(fd)
                kill_strays(list(lifelines.values()))
                reap()
        if control.sock.fileno() not in ready:
            continue
        try:
            message, fds = control.receive(max_fds=2)
        except wire.ChannelClosed:
            for pid in lifelines.values():
                kill_group(pid)
            # Nothing to tidy up: the sandbox goes with this process.
            os._exit(0)
        except wire.ProtocolError:
            continue
        if not (isinstance(message, list) and len(message) == 2 and
                message[0] == "spawn" and isinstance(message[1], dict) and
                len(fds) == 2):
            for fd in fds:
                os.close(fd)
            continue
        channel_fd, lifeline = fds
        pid = spawn(message[1], channel_fd,
                    [control.sock.fileno(), lifeline, *lifelines, *HOME])
        os.close(channel_fd)
        if pid is None:
            os.close(lifeline)
        else:
            lifelines[lifeline] = pid


def spawn(options: Dict[str, Any], channel_fd: int, keep_closed: List[int]
          ) -> Optional[int]:
    """Fork a test's child; return its pid, None if it cannot be sealed.

    Sealed, the child is born the init of namespaces of its own: the
    zygote enters them, forks, and goes back to its own at once. A zygote
    that cannot go back ends (and the sandbox with it) rather than share
    a run's namespaces with the next.
    """
    if FILTER:
        try:
            seal.unshare()
        except seal.SealError:
            import traceback
            traceback.print_exc()
            back_home()
            return None
    try:
        pid = os.fork()
    except BaseException:
        if FILTER:
            back_home()
        raise
    if pid == 0:
        child(options, channel_fd, keep_closed)
    if FILTER:
        back_home()
    return pid


def back_home() -> None:
    """Go back to the zygote's own namespaces, or end the zygote."""
    try:
        seal.go_home()
    except BaseException:  # nothing may run outside the zygote's home
        os._exit(71)


def main() -> None:
    """Start the zygote on the control descriptor named on the command line."""
    control_fd = int(sys.argv[1])
    if sys.argv[2:3] == ["seal"]:
        program = b""
        if len(sys.argv) > 3:
            with open(int(sys.argv[3]), "rb") as stream:
                program = stream.read()
        FILTER.append(program)
        seal.own_home()
    preload()
    subreaper()
    if FILTER:
        HOME.extend(seal.keep_home())
    run(control_fd)


if __name__ == "__main__":
    main()
