#!/usr/bin/env python3
"""Watch mode: regressions named, chmod seen, runs separated, lines wrapped."""
import os
import re
import stat
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List

import pytest
from watchdog.events import (DirModifiedEvent, FileAttribEvent,
                             FileClosedEvent, FileClosedNoWriteEvent,
                             FileCreatedEvent, FileDeletedEvent,
                             FileModifiedEvent, FileMovedEvent,
                             FileOpenedEvent, FileSystemEvent)

from kata.catalogue.steps import STEPS
from kata.student import watch, workspace

# Only a safety net for a watch that hangs; no assertion on speed.
SAFETY_SECONDS = 600
WIDTH = 60
RULE = re.compile(r"^\u2500{4} \d\d:\d\d:\d\d \u00b7 \S.* \u2500+$")


class Screen:
    """The lines watch says, and a way to wait for one of them."""

    def __init__(self) -> None:
        """Start with nothing said."""
        self.lines: List[str] = []
        self.ended = False
        self._said = threading.Condition()

    def end(self) -> None:
        """Note that watch has returned: nothing more will be said."""
        with self._said:
            self.ended = True
            self._said.notify_all()

    def say(self, line: str) -> None:
        """Take one line of watch's output and wake whoever waits."""
        with self._said:
            self.lines.append(line)
            self._said.notify_all()

    def wait_for(self, text: str, after: int = 0) -> int:
        """Wait until a line from index after on holds text; return its index.

        Waiting is on the lines said, not on the clock: the deadline only
        stops a watch that hangs. A watch that returned fails the wait at
        once.
        """
        deadline = time.monotonic() + SAFETY_SECONDS
        with self._said:
            while True:
                for index in range(after, len(self.lines)):
                    if text in self.lines[index]:
                        return index
                left = deadline - time.monotonic()
                if left <= 0 or self.ended:
                    pytest.fail("watch never said {!r} after line {}{}; it "
                                "said:\n{}".format(
                                    text, after,
                                    " (it returned)" if self.ended else "",
                                    "\n".join(self.lines)))
                self._said.wait(left)

    def text(self, start: int = 0, end: int = -1) -> str:
        """Return the lines said between two indexes, unwrapped into one."""
        with self._said:
            lines = self.lines[start:] if end < 0 else self.lines[start:end]
        return " ".join(line.strip() for line in lines)


@pytest.fixture
def screen() -> Screen:
    """Return an empty screen."""
    return Screen()


@contextmanager
def _watching(folder: Path, screen: Screen) -> Iterator[None]:
    """Run watch on folder in a thread, wrapped to WIDTH, until the end."""
    stop = threading.Event()

    def run() -> None:
        """Watch, and tell the screen when watch returns."""
        try:
            watch.watch(folder, screen.say, stop, width=WIDTH)
        finally:
            screen.end()

    watcher = threading.Thread(target=run)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(timeout=SAFETY_SECONDS)
    assert not watcher.is_alive()


def _assert_wrapped_and_separated(screen: Screen, runs: int) -> None:
    """Check the lines fit WIDTH and that every run opens with a rule."""
    for line in screen.lines:
        assert len(line) <= WIDTH or " " not in line.strip(), line
    rules = [index for index, line in enumerate(screen.lines)
             if RULE.match(line)]
    waits = [index for index, line in enumerate(screen.lines)
             if line.startswith("Waiting for a save")]
    assert len(rules) == runs and len(waits) == runs, screen.lines
    # Each run: its rule, its report, then the wait for the next save,
    # whose continuation lines (indented) come right before the next rule.
    assert rules[0] == 0
    for rule, wait in zip(rules[1:], waits):
        assert wait < rule and all(
            line.startswith(" ") for line in screen.lines[wait + 1:rule]), \
            screen.lines


def test_watch_names_a_done_step_that_a_save_breaks(
        tmp_path: Path, screen: Screen) -> None:
    """A save that breaks a finished step is named; watch goes back to it."""
    folder = tmp_path / "ws"
    workspace.init(folder, 2)
    user = folder / "user.py"
    right = user.read_text()
    with _watching(folder, screen):
        start = screen.wait_for("Waiting for a save")
        assert "2/21 steps done. Next: step 02 Find user" in screen.text()
        user.write_text(right.replace('"users"', '"people"'))
        broken = screen.wait_for(
            "step 00 User model passed before and fails now", start)
        wait = screen.wait_for("Waiting for a save", broken)
        said = screen.text(broken, wait)
        # Step 1's own code still passes: it counts, with a note.
        assert "1/21 steps done. Next: step 00 User model" in said, said
        assert "step 01 Create user passes. but with your whole stack: " \
            "works once step 0 is fixed" in said, said
        assert "step 00 User model: 22/23 checks pass" in said, said
        # The failure, wrapped to WIDTH, reads whole once unwrapped.
        assert "x [spec] test_table_is_named_users: User's table must " \
            "be named 'users'; it is named 'people'" in said, said
        user.write_text(right)
        fixed = screen.wait_for("step 00 User model passes.", wait)
        back = screen.wait_for("Waiting for a save", fixed)
        assert "2/21 steps done. Next: step 02 Find user" in screen.text(
            fixed, back)
    _assert_wrapped_and_separated(screen, 3)


def test_watch_keeps_watching_after_every_step_passes(
        tmp_path: Path, screen: Screen) -> None:
    """After 21/21, a save is graded again and a regression is named."""
    folder = tmp_path / "ws"
    workspace.init(folder, len(STEPS))
    user = folder / "user.py"
    with _watching(folder, screen):
        done = screen.wait_for("All 21 steps pass.")
        start = screen.wait_for("Waiting for a save", done)
        user.write_text(user.read_text().replace('"users"', '"people"'))
        broken = screen.wait_for(
            "step 00 User model passed before and fails now", start)
        wait = screen.wait_for("Waiting for a save", broken)
        said = screen.text(broken, wait)
        assert "20/21 steps done. Next: step 00 User model" in said, said
        assert "it is named 'people'" in said, said
    _assert_wrapped_and_separated(screen, 2)


def test_watch_reruns_on_chmod_and_shows_each_regression(
        tmp_path: Path, screen: Screen) -> None:
    """chmod -x, which breaks G3, and chmod +x, which mends it, start runs.

    G3 is about the whole of db.py: step 01, which owns its module level,
    regresses; step 02, also in db.py, does not.
    """
    folder = tmp_path / "ws"
    workspace.init(folder, 3)
    db = folder / "db.py"
    mode = stat.S_IMODE(db.stat().st_mode)
    with _watching(folder, screen):
        start = screen.wait_for("Waiting for a save")
        os.chmod(str(db), mode & ~0o111)
        broken = screen.wait_for(
            "step 01 Create user passed before and fails now; back to it.",
            start)
        wait = screen.wait_for("Waiting for a save", broken)
        said = screen.text(start, wait)
        assert "step 02" not in said, said
        assert "x [style] db.py G3" in said, said
        assert "run chmod +x db.py" in said, said
        assert "2/21 steps done. Next: step 01 Create user" in said, said
        assert "step 01 Create user: 13/14 checks pass" in said, said
        os.chmod(str(db), mode)
        mended = screen.wait_for("step 01 Create user passes.", wait)
        back = screen.wait_for("Waiting for a save", mended)
        said = screen.text(mended, back)
        assert "3/21 steps done. Next: step 03 Update user" in said, said
    _assert_wrapped_and_separated(screen, 3)


def test_watch_blames_a_style_slip_on_the_step_whose_code_it_is(
        tmp_path: Path, screen: Screen) -> None:
    """Three blank lines before valid_login: step 08 regressed, not 04.

    Steps 04 to 08 share auth.py; the blank lines are step 08's code.
    """
    folder = tmp_path / "ws"
    workspace.init(folder, 9)
    auth = folder / "auth.py"
    right = auth.read_text()
    with _watching(folder, screen):
        start = screen.wait_for("Waiting for a save")
        assert "9/21 steps done. Next: step 09" in screen.text(), \
            screen.text()
        auth.write_text(right.replace("    def valid_login",
                                      "\n\n    def valid_login", 1))
        wait = screen.wait_for("Waiting for a save", start + 1)
        said = screen.text(start, wait)
        assert "step 08 Credentials validation passed before and fails " \
            "now; back to it." in said, said
        assert said.count("passed before") == 1, said
        assert "step 04" not in said, said
        assert "8/21 steps done. Next: step 08 Credentials validation" \
            in said, said
        assert "E303" in said, said
    _assert_wrapped_and_separated(screen, 2)


def test_wrap_fits_the_width_and_cuts_no_word() -> None:
    """Lines end between words; continuation lines hang deeper."""
    text = "       x [spec] test_finds_the_user: " + " ".join(
        "word{}".format(number) for number in range(40))
    lines = watch.wrap(text, 40)
    assert len(lines) > 1
    assert all(len(line) <= 40 for line in lines), lines
    assert " ".join(lines).split() == text.split()
    assert lines[0].startswith("       x [spec]")
    assert all(line.startswith(" " * 11) and line[11] != " "
               for line in lines[1:]), lines


def test_wrap_keeps_a_long_path_whole_on_its_own_line() -> None:
    """A path longer than the width is not cut, not even at its hyphens."""
    path = "/home/student/kata-workspace/steps/05-register-user/README.md"
    lines = watch.wrap("Waiting for a save in {} (Ctrl-C to stop)..."
                       .format(path), 30)
    assert lines[0] == "Waiting for a save in"
    assert lines[1].strip() == path
    assert " ".join(lines).split() == [
        "Waiting", "for", "a", "save", "in", path, "(Ctrl-C", "to",
        "stop)..."]


def test_wrap_keeps_a_path_with_spaces_whole() -> None:
    """A path given as unbreakable is not cut at its spaces."""
    path = "/home/a student/my kata"
    lines = watch.wrap("Waiting for a save in {} now".format(path), 24,
                       [path])
    assert any(line.strip() == path for line in lines), lines
    assert lines[0] == "Waiting for a save in"


@pytest.mark.parametrize("event", [
    FileModifiedEvent("ws/db.py"), FileAttribEvent("ws/user.py"),
    FileCreatedEvent("ws/app.py"), FileDeletedEvent("ws/main.py"),
    FileMovedEvent("ws/.db.py.swp", "ws/db.py"),
    FileClosedEvent("ws/README.md"), FileModifiedEvent("ws/helpers.py")])
def test_a_change_to_a_submission_file_starts_a_run(
        event: FileSystemEvent) -> None:
    """Writing, chmod, creating, deleting or moving a file is a change."""
    changed = threading.Event()
    watch._SaveHandler(changed).dispatch(event)
    assert changed.is_set()


@pytest.mark.parametrize("event", [
    FileOpenedEvent("ws/db.py"), FileClosedNoWriteEvent("ws/db.py"),
    FileModifiedEvent("ws/notes.txt"), DirModifiedEvent("ws")])
def test_reading_a_file_or_touching_another_starts_no_run(
        event: FileSystemEvent) -> None:
    """Grading opens and reads the files; that must not start a run."""
    changed = threading.Event()
    watch._SaveHandler(changed).dispatch(event)
    assert not changed.is_set()


def test_watch_grades_again_only_the_steps_whose_files_changed(
        tmp_path: Path, screen: Screen) -> None:
    """An edit of app.py leaves steps 00-05 as they were, and says so.

    Steps 00-05 read user.py, db.py and auth.py only; the steps from 06
    on, which read app.py, are graded again, and a regression among them
    is still named.
    """
    folder = tmp_path / "ws"
    workspace.init(folder, 9)
    app = folder / "app.py"
    right = app.read_text()
    with _watching(folder, screen):
        start = screen.wait_for("Waiting for a save")
        app.write_text(right + "# a comment\n")
        kept = screen.wait_for("Not graded again", start)
        wait = screen.wait_for("Waiting for a save", kept)
        said = screen.text(start, wait)
        assert "Not graded again, their files unchanged since their last " \
            "verdict: steps 00-05." in said, said
        assert "9/21 steps done. Next: step 09" in said, said
        app.write_text(right.replace('"/users"', '"/people"'))
        broken = screen.wait_for(
            "step 07 Register user end-point passed before and fails now",
            wait)
        back = screen.wait_for("Waiting for a save", broken)
        said = screen.text(wait, back)
        assert "steps 00-05." in said, said
        assert "Next: step 07 Register user end-point" in said, said
    _assert_wrapped_and_separated(screen, 3)
