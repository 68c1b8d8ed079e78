#!/usr/bin/env python3
"""The command words of checker.sh: refused typos, status, hint, init, run."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kata import cli
from kata.catalogue.steps import (REPO_ROOT, SOLUTION_DIR, STEPS,
                                  SUBMISSION_FILES, step)
from kata.student import status, workspace


@pytest.mark.parametrize("word", ["steps", "list", "gradee", "tests"])
def test_an_unknown_command_word_is_refused_with_the_commands(
        word: str, capsys: pytest.CaptureFixture) -> None:
    """A word that is no command is refused, even if a folder is named so."""
    assert cli.main([word]) == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert "'{}' is not a command".format(word) in error
    assert "write ./{}".format(word) in error
    for command in cli.COMMANDS:
        assert "\n  {} ".format(command) in error


def test_a_typo_gets_the_close_command(capsys: pytest.CaptureFixture) -> None:
    """A near miss names the command it probably meant."""
    assert cli.main(["gradee"]) == cli.EXIT_USAGE
    assert "Did you mean 'grade'?" in capsys.readouterr().err


def test_a_path_is_still_graded(capsys: pytest.CaptureFixture) -> None:
    """./steps is a folder, taken for one (it holds no submission)."""
    os.chdir(str(REPO_ROOT))
    assert cli.main(["./steps", "--step", "0"]) == cli.EXIT_USAGE
    assert "steps holds none of the exercise files" in \
        capsys.readouterr().err


def test_a_nested_submission_is_found_as_roster_finds_it(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A student's folder with the submission deeper is graded there."""
    student = tmp_path / "frank"
    nested = student / "repo" / "0x03-user_authentication_service"
    nested.mkdir(parents=True)
    for name in SUBMISSION_FILES:
        shutil.copy2(str(SOLUTION_DIR / name), str(nested / name))
    assert cli.main([str(student), "--step", "0"]) == cli.EXIT_PASS
    printed = capsys.readouterr()
    assert "Score: 1/1 tasks passed" in printed.out
    said = printed.err.strip().splitlines()
    assert len(said) == 1 and said[0].endswith(
        "grading the submission found in {}".format(nested)), printed.err


def test_an_empty_folder_gets_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A folder without any exercise file is one line, not 100 missing."""
    (tmp_path / "empty" / "notes").mkdir(parents=True)
    assert cli.main([str(tmp_path / "empty")]) == cli.EXIT_USAGE
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.count("\n") == 1
    assert "empty holds none of the exercise files (user.py, db.py, " \
        "auth.py, app.py, main.py, README.md); nothing to grade" in \
        printed.err


def test_hint_prints_the_hints_of_the_list_of_steps(
        capsys: pytest.CaptureFixture) -> None:
    """hint N prints each hint that the list of steps keeps for step N."""
    assert cli.main(["hint", "3"]) == cli.EXIT_PASS
    shown = capsys.readouterr().out
    assert step(3).hints
    for hint in step(3).hints:
        assert "- " + hint in shown


def test_hint_of_a_step_that_does_not_exist_is_a_usage_error() -> None:
    """hint 99 names the range of steps instead of a traceback."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["hint", "99"])
    assert exit_info.value.code == cli.EXIT_USAGE


def test_every_step_has_hints_and_its_statement_points_to_them() -> None:
    """The hints live in the list of steps; a statement names the command."""
    for item in STEPS:
        assert item.hints, item.name
        assert "./checker.sh hint {}`".format(item.number) in \
            item.readme.read_text(), item.name


def test_force_moves_the_replaced_files_into_a_backup(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """--force says what it replaces, and keeps the student's versions."""
    folder = tmp_path / "ws"
    workspace.init(folder)
    (folder / "db.py").write_text("my work\n")
    assert cli.main(["init", str(folder)]) == cli.EXIT_USAGE
    refusal = capsys.readouterr().err
    assert "--force would replace them" in refusal and "db.py" in refusal
    assert cli.main(["init", str(folder), "--force"]) == cli.EXIT_PASS
    said = capsys.readouterr().out
    assert "Replaced your" in said and "db.py" in said
    backups = list((folder / workspace.BACKUP_FOLDER).iterdir())
    assert len(backups) == 1 and str(backups[0]) in said
    assert (backups[0] / "db.py").read_text() == "my work\n"


def test_init_at_a_step_in_another_folder_prints_commands_for_it(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Every command init suggests names the folder it created."""
    folder = tmp_path / "ws12"
    assert cli.main(["init", "--at-step", "12", str(folder)]) == 0
    commands = [line.split("#")[0].strip()
                for line in capsys.readouterr().out.splitlines()
                if line.startswith("  ./checker.sh")]
    assert "./checker.sh --step 12 {}".format(folder) in commands
    assert "./checker.sh watch {}".format(folder) in commands
    assert "./checker.sh pytest tests/{} --impl {}".format(
        step(12).spec.name, folder) in commands
    assert "./checker.sh run --impl {} main_12.py".format(folder) in commands
    for command in commands:
        if not command.startswith("./checker.sh hint"):
            assert str(folder) in command, command


def test_reveal_is_refused_while_the_step_breaks_a_style_rule(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A step that works but breaks G6 is not done: no solution yet."""
    folder = tmp_path / "ws"
    workspace.init(folder, 5)
    auth = folder / "auth.py"
    auth.write_text(auth.read_text().replace(
        "def _hash_password(password: str) -> bytes:",
        "def _hash_password(password: str):"))
    assert cli.main(["reveal", "4", str(folder)]) == cli.EXIT_FAIL
    assert "does not pass yet" in capsys.readouterr().err


STEP_04_STARTED = '''

def _hash_password(password: str) -> bytes:
    """Hash nothing yet: the step is only begun."""
    raise NotImplementedError("to do")
'''


def test_status_names_done_failing_and_not_started_steps(
        tmp_path: Path) -> None:
    """A workspace at step 3 whose steps 3 and 4 are begun reads as such.

    Step 04 fails every check of its spec, yet its code is there: failing.
    """
    folder = tmp_path / "ws"
    workspace.init(folder, 4)
    db = folder / "db.py"
    # Step 03 half done: updates work, but unknown keywords pass silently.
    db.write_text(db.read_text().replace("        if unknown:",
                                         "        if not kwargs:"))
    # Step 04 started, and wrong in every check of its spec.
    auth = folder / "auth.py"
    auth.write_text(auth.read_text() + STEP_04_STARTED)
    statuses = status.step_statuses(folder)
    states = {item.step.number: item.state for item in statuses}
    assert [states[number] for number in (0, 1, 2)] == [status.DONE] * 3
    assert states[3] == status.FAILING
    assert states[4] == status.FAILING
    assert states[5] == status.NOT_STARTED
    assert states[6] == status.NOT_STARTED
    lines = status.status_lines(statuses)
    assert len(lines) == len(STEPS) + 1
    assert lines[-1].startswith("3/21 steps done. Next: step 03 Update user")


def test_run_executes_a_file_of_the_workspace_in_its_folder(
        tmp_path: Path) -> None:
    """run FILE uses the kata's Python, in the folder, with the arguments."""
    folder = tmp_path / "ws"
    workspace.init(folder, 6)
    (folder / "main_05.py").write_text(
        "import sys\nfrom auth import Auth\n"
        "print(Auth().register_user('a@b.c', 'pw').email, sys.argv[1:])\n")
    done = subprocess.run(
        [str(REPO_ROOT / "checker.sh"), "run", "--impl", str(folder),
         "main_05.py", "-v", "x"], cwd=str(tmp_path), capture_output=True,
        text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "a@b.c ['-v', 'x']\n"
    assert (folder / "a.db").is_file()


def test_run_of_a_missing_file_says_where_it_looked(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A file that is not in the workspace is a usage error, not a crash."""
    folder = tmp_path / "ws"
    workspace.init(folder)
    assert cli.main(["run", "--impl", str(folder), "main_00.py"]) == 2
    assert "has no file main_00.py" in capsys.readouterr().err


def test_pytest_command_runs_a_spec_with_the_kata_configuration(
        tmp_path: Path) -> None:
    """checker.sh pytest works from the kata's folder as statements say."""
    done = subprocess.run(
        [str(REPO_ROOT / "checker.sh"), "pytest",
         "tests/" + step(0).spec.name, "--impl", str(SOLUTION_DIR), "-q"],
        cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHON": sys.executable})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert " passed" in done.stdout


def test_a_hostile_workspace_cannot_hold_status_up(tmp_path: Path) -> None:
    """status reads the folder as a grading does: bounded, and fast.

    A file of a million blank lines that does not parse once made the
    text search quadratic; a FIFO in place of auth.py would block a read.
    """
    lines = tmp_path / "lines"
    lines.mkdir()
    (lines / "auth.py").write_text("def (\n" + "\n" * 1000000)
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(str(fifo / "auth.py"))
    for folder in (lines, fifo):
        assert not status.started(step(5), folder)


def test_a_started_step_is_found_by_its_code_beyond_the_starter(
        tmp_path: Path) -> None:
    """The starter starts nothing; a renamed view still starts its step."""
    workspace.init(tmp_path / "ws", 0)
    assert not [item.number for item in STEPS
                if status.started(item, tmp_path / "ws")]
    app = tmp_path / "ws" / "app.py"
    app.write_text('from flask import Flask\n\napp = Flask(__name__)\n\n\n'
                   '@app.route("/reset_password", methods=["POST"])\n'
                   'def my_own_name() -> str:\n    """Begun."""\n'
                   '    return ""\n')
    assert [item.number for item in STEPS
            if status.started(item, tmp_path / "ws")] == [6, 17]
    app.write_text("def profile(:\n")
    assert [item.number for item in STEPS
            if status.started(item, tmp_path / "ws")] == [6, 15]
