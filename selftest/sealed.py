#!/usr/bin/env python3
"""Start a sealed cluster on this machine with the README's own commands.

The commands are read from the README's cluster code block, so a test that
uses them runs what an instructor is told to run; only HOST and the port
change, to 127.0.0.1 and a free port, and ``./checker.sh`` runs as the
kata's Python with the environment checker.sh gives it.
"""
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from kata.catalogue.steps import REPO_ROOT
from kata.classroom import cluster

MARKER = "<!-- cluster commands"
STARTUP_SECONDS = 120


def readme_commands() -> Dict[str, str]:
    """Return the README's cluster commands, by their action word.

    The actions are certs, scheduler, worker (``cluster ACTION``) and
    roster; continued lines are joined, comments left out.
    """
    text = (REPO_ROOT / "README.md").read_text()
    block = text[text.index(MARKER):]
    block = block[block.index("```sh") + 5:]
    block = block[:block.index("```")].replace("\\\n", " ")
    commands = {}
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        assert words[0] == "./checker.sh", line
        action = words[2] if words[1] == "cluster" else words[1]
        commands[action] = line.strip()
    assert sorted(commands) == ["certs", "roster", "scheduler", "worker"]
    return commands


def as_run_here(line: str, port: int) -> List[str]:
    """Return a README command as this machine runs it: HOST, port set."""
    words = shlex.split(line, comments=True)
    assert words[0] == "./checker.sh"
    return [sys.executable, "-m", "kata"] + [
        word.replace("HOST", "127.0.0.1").replace("8786", str(port))
        for word in words[1:]]


def checker_environment() -> Dict[str, str]:
    """Return the environment checker.sh runs the kata with."""
    environment = dict(os.environ)
    before = environment.get("PYTHONPATH")
    environment.update(
        PYTHONPATH=str(REPO_ROOT) + (os.pathsep + before if before else ""),
        PYTHONSAFEPATH="1", PYTHONDONTWRITEBYTECODE="1")
    return environment


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(line: str, folder: Path, port: int = 8786,
        ) -> subprocess.CompletedProcess:
    """Run a README command to its end in folder; return what it did."""
    return subprocess.run(as_run_here(line, port), cwd=str(folder),
                          env=checker_environment(), capture_output=True,
                          text=True, timeout=600)


def start(command: List[str], folder: Path, log: Path,
          environment: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    """Start a long-running process in a session of its own, logging."""
    with open(str(log), "w") as stream:
        return subprocess.Popen(
            command, cwd=str(folder),
            env=checker_environment() if environment is None
            else environment, stdin=subprocess.DEVNULL, stdout=stream,
            stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(address: str, certs: Path, workers: int) -> None:
    """Wait until the scheduler answers and has that many workers."""
    from distributed import Client

    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with Client(address, security=cluster.security(certs),
                        timeout=10) as client:
                client.wait_for_workers(workers, timeout=STARTUP_SECONDS)
                return
        except (OSError, TimeoutError):
            assert time.monotonic() < deadline, "the cluster did not start"
            time.sleep(1)


def stop(processes: List[subprocess.Popen]) -> None:
    """End the processes this module started, with their children."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def readme_cluster(folder: Path, workers: int,
                   ) -> Iterator[Dict[str, object]]:
    """Make certs/ in folder, start a scheduler and workers; yield them.

    Everything runs from folder, with the README's command lines; the
    cluster is stopped when the generator is closed.
    """
    commands = readme_commands()
    made = run(commands["certs"], folder)
    assert made.returncode == 0, made.stderr
    port = free_port()
    processes = [start(as_run_here(commands["scheduler"], port), folder,
                       folder / "scheduler.log")]
    try:
        for number in range(workers):
            processes.append(start(
                as_run_here(commands["worker"], port), folder,
                folder / "worker{}.log".format(number + 1)))
        address = "tls://127.0.0.1:{}".format(port)
        wait_for(address, folder / "certs", workers)
        yield {"address": address, "port": port,
               "certs": folder / "certs", "processes": processes,
               "commands": commands, "certs_output": made.stdout}
    finally:
        stop(processes)
