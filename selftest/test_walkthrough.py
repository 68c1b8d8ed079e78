#!/usr/bin/env python3
"""A new student walks the kata from step 00 to step 20, as the statements say.

In a fresh copy of the kata (its tracked files, sharing this checkout's
.venv), the walk runs every command that a statement shows, at the moment
the statement means it: ``./checker.sh --step N`` fails before the step's
code is written and passes after; the spec through ``./checker.sh pytest``
passes; the example saved as the statement says prints the expected output;
the server commands serve what the ``curl`` commands expect; ``hint N``
prints the step's hints. A command the walk does not know how to run fails
the test, so a statement cannot show one that nobody tried.
"""
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from kata.catalogue.steps import REPO_ROOT, STEPS, SUBMISSION_FILES, Step
from kata.student import workspace

COMMAND = re.compile(r"`((?:\./checker\.sh|curl|bash|python3?|pytest|"
                     r"\.venv/\S+) [^`]+)`")
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
SAVE_AS = re.compile(r"Save as `([\w.]+)` in your workspace folder")
# What a curl command of the statements answers, in part: the first entry
# whose key is in the command applies.
CURL_ANSWERS = (
    ("-v -XPOST localhost:5000/sessions", "Set-Cookie: session_id="),
    ("/sessions", '"message":"logged in"'),
    ("/profile", '"email":"bob@bob.com"'),
    ("/users", '"message":"user created"'),
    ("/reset_password", '"reset_token":'),
)
SERVER_PORT = 5000
COMMAND_SECONDS = 300
# A student's shell: without what an earlier grading of this test session
# put in the environment for its own judges.
STUDENT_ENVIRONMENT = {key: value for key, value in os.environ.items()
                       if key != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}


def fresh_copy(destination: Path) -> Path:
    """Copy the kata's tracked files to destination, sharing .venv."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=str(REPO_ROOT),
                            capture_output=True, check=True).stdout
    for name in listed.decode().split("\0"):
        source = REPO_ROOT / name
        if name and source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(str(source), str(target))
    (destination / ".venv").symlink_to(REPO_ROOT / ".venv")
    return destination


def run(kata: Path, command: str,
        seconds: float = COMMAND_SECONDS) -> subprocess.CompletedProcess:
    """Run a statement's command in a shell from the kata's folder."""
    return subprocess.run(["bash", "-c", command], cwd=str(kata),
                          capture_output=True, text=True, timeout=seconds,
                          env=STUDENT_ENVIRONMENT)


def commands(item: Step) -> List[str]:
    """Return every command the statement shows, in order, each once."""
    text = item.readme.read_text()
    found = []
    for span in COMMAND.findall(text):
        # A code span may wrap onto the next line; it reads as one line.
        command = " ".join(span.split())
        if command not in found:
            found.append(command)
    return found


def example(item: Step) -> Tuple[str, str, str]:
    """Return the example's file name, its text and the expected output."""
    text = item.readme.read_text().split("## Example", 1)[1]
    text = text.split("\n## ", 1)[0]
    name = SAVE_AS.search(text)
    assert name, "{}: the example says where to save it".format(item.name)
    blocks = FENCE.findall(text)
    assert len(blocks) >= 2, "{}: code and expected output".format(item.name)
    return name.group(1), blocks[0][1], blocks[-1][1]


def wait_for_port(port: int, process: subprocess.Popen,
                  seconds: float = 60) -> None:
    """Wait until something accepts connections on localhost:port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the server stopped: {}".format(
                process.communicate()[1][-2000:]))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("nothing listens on port {}".format(port))


class Server:
    """A statement's server command, running in the background."""

    def __init__(self, kata: Path, command: str) -> None:
        """Start the command in its own session, so it stops as a whole."""
        self.process = subprocess.Popen(
            ["bash", "-c", "exec " + command], cwd=str(kata),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True, env=STUDENT_ENVIRONMENT)
        wait_for_port(SERVER_PORT, self.process)

    def stop(self) -> None:
        """Stop the server and everything it started."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.communicate(timeout=30)


def port_is_free(port: int) -> bool:
    """Tell whether nothing listens on localhost:port."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def explain(command: str, done: subprocess.CompletedProcess) -> str:
    """Return what a command did, for a failure message."""
    return "{!r} exited {}\nstdout:\n{}\nstderr:\n{}".format(
        command, done.returncode, done.stdout[-3000:], done.stderr[-3000:])


class Walk:
    """One student's workspace in a fresh kata, and the step they are on."""

    def __init__(self, kata: Path) -> None:
        """Start where a new student starts: ./checker.sh init."""
        self.kata = kata
        self.folder = kata / "workspace"
        done = run(kata, "./checker.sh init")
        assert done.returncode == 0, explain("./checker.sh init", done)
        self.server: Optional[Server] = None

    def solve(self, item: Step) -> None:
        """Write the step's code as the reference solution has it."""
        for name, text in workspace.files_at_step(item.number + 1).items():
            path = self.folder / name
            if not path.is_file() or path.read_text() != text:
                path.write_text(text)
            if name.endswith(".py"):
                path.chmod(0o755)

    def save_example(self, item: Step) -> Tuple[str, str]:
        """Save the statement's example; return its name and the output."""
        name, code, expected = example(item)
        (self.folder / name).write_text(code)
        return name, expected

    def play(self, item: Step, command: str, expected: str) -> None:
        """Run one command of the statement once the step is solved."""
        words = shlex.split(command)
        if words[:2] == ["./checker.sh", "hint"]:
            done = run(self.kata, command)
            assert done.returncode == 0, explain(command, done)
            assert all(hint in done.stdout for hint in item.hints)
        elif words[:2] == ["./checker.sh", "--step"]:
            self.expect(command, 0)
        elif words[:2] == ["./checker.sh", "pytest"]:
            self.expect(command, 0)
        elif words == ["./checker.sh", "run", "app.py"]:
            self.stop_server()
            self.server = Server(self.kata, command)
        elif words[0] == "curl":
            self.curl(command)
        elif words[:2] == ["./checker.sh", "run"] and words[2] == "main.py":
            # "Against a correct service on localhost:5000": serve the
            # reference app, then main.py prints nothing and exits 0.
            self.stop_server()
            self.server = Server(
                self.kata, "./checker.sh run -m flask --app app run "
                "--without-threads")
            done = self.expect(command, 0)
            assert done.stdout == "", explain(command, done)
        elif words[:2] == ["./checker.sh", "run"] or words[0] == "bash":
            done = self.expect(command, 0)
            assert done.stdout == expected, "{}: {!r} printed {!r}, the " \
                "statement expects {!r}".format(
                    item.name, command, done.stdout, expected)
        else:
            pytest.fail("{} shows a command the walk cannot run: {!r}".format(
                item.name, command))

    def curl(self, command: str) -> None:
        """Run a curl command against the server the statement started."""
        assert self.server is not None, "{!r} needs the server the " \
            "statement starts first".format(command)
        done = run(self.kata, command, 60)
        assert done.returncode == 0, explain(command, done)
        answer = next((answer for key, answer in CURL_ANSWERS
                       if key in command), None)
        assert answer is not None, "no known answer for {!r}".format(command)
        assert answer in done.stdout + done.stderr, explain(command, done)

    def expect(self, command: str,
               status: int) -> subprocess.CompletedProcess:
        """Run a command and check its exit status."""
        done = run(self.kata, command)
        assert done.returncode == status, explain(command, done)
        return done

    def stop_server(self) -> None:
        """Stop the server a statement started, if one runs."""
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    """Return a new student's walk through a fresh copy of the kata."""
    if not port_is_free(SERVER_PORT):
        pytest.fail("port {} is taken: the statements' server commands "
                    "need it".format(SERVER_PORT))
    student = Walk(fresh_copy(tmp_path_factory.mktemp("kata")))
    yield student
    student.stop_server()


@pytest.mark.parametrize("item", STEPS, ids=[item.name for item in STEPS])
def test_every_command_of_the_statement_works_as_written(
        walk: Walk, item: Step) -> None:
    """Run the step's commands before and after writing its code."""
    shown = commands(item)
    grade = "./checker.sh --step {}".format(item.number)
    assert grade in shown
    walk.expect(grade, 1)
    walk.solve(item)
    name, expected = walk.save_example(item)
    try:
        for command in shown:
            walk.play(item, command, expected)
    finally:
        walk.stop_server()
    assert any(name in command for command in shown), \
        "{}: no command runs {}".format(item.name, name)


def test_the_walk_ends_with_every_step_done(walk: Walk) -> None:
    """After the last statement, status says that every step is done."""
    done = run(walk.kata, "./checker.sh status")
    assert done.returncode == 0, explain("./checker.sh status", done)
    assert "21/21 steps done" in done.stdout
    assert sorted(path.name for path in walk.folder.iterdir()
                  if path.name in SUBMISSION_FILES) == sorted(
                      SUBMISSION_FILES)
