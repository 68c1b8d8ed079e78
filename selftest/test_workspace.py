#!/usr/bin/env python3
"""The student workflow: init, init --at-step, reveal and watch."""
import shutil
import threading
import time
from pathlib import Path
from typing import List

import pytest

from helpers import failures, run_specs, spec_passed
from kata import cli
from kata.catalogue.steps import SOLUTION_DIR, STEPS, SUBMISSION_FILES, step
from kata.student import watch, workspace
from kata.style.checking import check_file


def test_init_creates_the_starter_workspace(tmp_path: Path) -> None:
    """A new workspace holds the starter's files, executable and clean."""
    folder = tmp_path / "ws"
    assert cli.main(["init", str(folder)]) == 0
    assert sorted(path.name for path in folder.iterdir()) == [
        "README.md", "auth.py", "db.py"]
    for name in ("auth.py", "db.py"):
        assert check_file(folder, name) == []


def test_init_never_overwrites_work_without_force(tmp_path: Path) -> None:
    """init refuses to replace a student's files unless told to."""
    folder = tmp_path / "ws"
    workspace.init(folder)
    (folder / "db.py").write_text("my work\n")
    assert cli.main(["init", str(folder)]) == 2
    assert (folder / "db.py").read_text() == "my work\n"
    assert cli.main(["init", str(folder), "--force"]) == 0
    assert (folder / "db.py").read_text() != "my work\n"


@pytest.mark.parametrize("number", [item.number for item in STEPS[1:]])
def test_workspace_at_a_step_passes_the_one_before_and_fails_it(
        tmp_path: Path, number: int) -> None:
    """init --at-step N hands out steps 0..N-1 and nothing of step N."""
    folder = tmp_path / "ws"
    workspace.init(folder, number)
    for name in SUBMISSION_FILES:
        if (folder / name).is_file() and name.endswith(".py"):
            assert check_file(folder, name) == [], name
    results = run_specs([step(number - 1), step(number)], folder)
    assert spec_passed(results[number - 1]), failures(results[number - 1])
    assert results[number].completed, failures(results[number])
    assert not spec_passed(results[number]), (
        "step {}'s spec passes on a workspace started at it".format(number))


def test_workspace_at_step_10_passes_steps_0_to_9(tmp_path: Path) -> None:
    """A workshop starting at step 10 has steps 0-9 done, and 10 to do."""
    folder = tmp_path / "ws"
    assert cli.main(["init", str(folder), "--at-step", "10"]) == 0
    results = run_specs(STEPS[:11], folder)
    for number in range(10):
        assert spec_passed(results[number]), failures(results[number])
    assert not spec_passed(results[10])


def test_reveal_is_refused_until_the_step_passes(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """reveal shows the solution of a passed step only."""
    folder = tmp_path / "ws"
    workspace.init(folder, 5)
    assert cli.main(["reveal", "5", str(folder)]) == 1
    assert "does not pass yet" in capsys.readouterr().err
    assert cli.main(["reveal", "4", str(folder)]) == 0
    shown = capsys.readouterr().out
    assert "def _hash_password" in shown
    assert "register_user" not in shown


def test_watch_moves_on_when_a_save_makes_the_step_pass(
        tmp_path: Path) -> None:
    """watch re-runs the current step on a save and moves on when green."""
    folder = tmp_path / "ws"
    workspace.init(folder, 0)
    lines: List[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch.watch,
                               args=(folder, lines.append, stop))
    watcher.start()
    try:
        _wait_for(lines, "Waiting for a save")
        assert any("0/21 steps done. Next: step 00" in line
                   for line in lines), lines
        shutil.copy2(str(SOLUTION_DIR / "user.py"), str(folder / "user.py"))
        _wait_for(lines, "step 00 User model passes.")
        _wait_for(lines, "1/21 steps done. Next: step 01")
        # Grading reads the files; that alone must not start a new round.
        said = len(lines)
        time.sleep(3 * watch.SETTLE_SECONDS + 1)
        assert lines[said:] == [], "watch graded again without a save"
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert not watcher.is_alive()


def _wait_for(lines: List[str], text: str, seconds: float = 60) -> None:
    """Wait until a line containing text is said, or fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(text in line for line in lines):
            return
        time.sleep(0.05)
    pytest.fail("watch never said {!r}; it said {}".format(text, lines))
