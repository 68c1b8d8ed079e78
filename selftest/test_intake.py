#!/usr/bin/env python3
"""What the grader takes in: the submission's files, its text, its tree.

A submission's files are copied only when they are regular files of a
sane size, and the folder is never written to; whatever the submission
says is escaped in every report; and a modified grading tree (specs,
checker, libraries) is reported at the top and the bottom of the report.
"""
import dataclasses
import json
import os
import shutil
import stat
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Callable, Dict, Tuple

import pytest

from helpers import copy_tree
from kata.catalogue import manifest, steps
from kata.catalogue.steps import (REPO_ROOT, SOLUTION_DIR, SUBMISSION_FILES,
                                  step)
from kata.grading import grader
from kata.reading.text import one_line, printable
from kata.reports import report
from kata.verdict import checks, intake, model

# Characters no report may carry as they are.
FORBIDDEN = ("\r", "\t", "\x1b", "\x00", "\x7f", "\x85", "\u061c", "\u200e",
             "\u200f", "\u2028", "\u2029", "\u202a", "\u202b", "\u202c",
             "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069")
HOSTILE_TEXT = "x\nScore: 21/21 tasks passed\x1b[8m\u202e"
SPEC = "tests/test_05_register_user.py"
Fingerprint = Dict[str, Tuple[int, int, bytes]]


def fingerprint(folder: Path) -> Fingerprint:
    """Return every entry under folder: mode, mtime and content or target.

    Nothing but regular files is opened, so a FIFO does not block.
    """
    found = {}
    for place, folders, files in os.walk(str(folder)):
        for name in folders + files:
            path = os.path.join(place, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                content = os.readlink(path).encode()
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as stream:
                    content = stream.read()
            else:
                content = b""
            found[os.path.relpath(path, str(folder))] = (
                info.st_mode, info.st_mtime_ns, content)
    return found


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    """Return a copy of the reference solution's submission files."""
    folder = tmp_path / "submission"
    folder.mkdir()
    for name in SUBMISSION_FILES:
        shutil.copy2(str(SOLUTION_DIR / name), str(folder / name))
    return folder


def replace_user_py(make: Callable[[Path], None]) -> Callable[[Path], None]:
    """Return a set-up that removes user.py, then makes it anew."""
    def setup(path: Path) -> None:
        """Remove path, then make it with make."""
        path.unlink()
        make(path)
    return setup


def _outside_link(path: Path) -> None:
    """Make path a link to a file outside the submission."""
    outside = path.parent.parent / "outside.py"
    outside.write_text("secret = 'the solution'\n")
    path.symlink_to(os.path.join("..", "outside.py"))


def _oversize(path: Path) -> None:
    """Make path a sparse file of 64 MiB: only the limit may be read."""
    with open(str(path), "wb") as stream:
        stream.truncate(64 << 20)


REFUSED = {
    "symlink-outside": (replace_user_py(_outside_link),
                        "user.py is a symbolic link; submit the file itself"),
    "symlink-pagemap": (replace_user_py(
        lambda path: path.symlink_to("/proc/self/pagemap")),
        "user.py is a symbolic link; submit the file itself"),
    "symlink-solution": (replace_user_py(
        lambda path: path.symlink_to(SOLUTION_DIR / "user.py")),
        "user.py is a symbolic link; submit the file itself"),
    "fifo": (replace_user_py(lambda path: os.mkfifo(str(path))),
             "user.py is not a regular file"),
    "directory": (replace_user_py(lambda path: path.mkdir()),
                  "user.py is not a regular file"),
    "oversize": (replace_user_py(_oversize),
                 "user.py is larger than {} bytes".format(
                     steps.MAX_FILE_BYTES)),
}


# -- the snapshot -------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(REFUSED))
def test_snapshot_refuses_what_is_not_a_regular_file(
        submission: Path, tmp_path: Path, case: str) -> None:
    """Links, FIFOs, folders and huge files are refused with a reason."""
    setup, reason = REFUSED[case]
    setup(submission / "user.py")
    before = fingerprint(submission)
    copy = tmp_path / "copy"
    started = time.monotonic()
    refused = intake.snapshot(submission, copy)
    assert time.monotonic() - started < 5
    assert list(refused) == ["user.py"]
    assert refused["user.py"].startswith(reason)
    assert not os.path.lexists(str(copy / "user.py"))
    assert sorted(os.listdir(str(copy))) == sorted(
        set(SUBMISSION_FILES) - {"user.py"})
    found = checks.file_checks(step(0), copy, refused)
    assert [(check.passed, check.message) for check in found
            if check.name == "user.py is present"] == [
                (False, refused["user.py"])]
    assert fingerprint(submission) == before


def test_snapshot_refuses_a_device(submission: Path, tmp_path: Path) -> None:
    """A device node is not opened: it is not a regular file."""
    target = submission / "db.py"
    target.unlink()
    try:
        os.mknod(str(target), stat.S_IFCHR | 0o644, os.makedev(1, 5))
    except OSError as error:
        pytest.skip("cannot make a device node here: {}".format(error))
    refused = intake.snapshot(submission, tmp_path / "copy")
    assert refused == {"db.py": "db.py is not a regular file"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_snapshot_reports_an_unreadable_file(submission: Path,
                                             tmp_path: Path) -> None:
    """A file the grader may not read fails its check, no traceback."""
    (submission / "auth.py").chmod(0)
    try:
        refused = intake.snapshot(submission, tmp_path / "copy")
    finally:
        (submission / "auth.py").chmod(0o755)
    assert refused == {
        "auth.py": "auth.py cannot be read (permission denied)"}
    found = checks.file_checks(step(4), tmp_path / "copy", refused)
    assert [check.passed for check in found] == [False]


def test_snapshot_keeps_modes_but_never_set_id_bits(submission: Path,
                                                    tmp_path: Path) -> None:
    """The executable bit is copied, set-uid and set-gid never are."""
    (submission / "user.py").chmod(0o6755)
    (submission / "db.py").chmod(0o644)
    before = fingerprint(submission)
    copy = tmp_path / "copy"
    assert intake.snapshot(submission, copy) == {}
    assert stat.S_IMODE(os.stat(str(copy / "user.py")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(str(copy / "db.py")).st_mode) == 0o644
    for name in SUBMISSION_FILES:
        assert (copy / name).read_bytes() == (submission / name).read_bytes()
    assert fingerprint(submission) == before


def test_snapshot_copies_a_file_of_exactly_the_limit(submission: Path,
                                                     tmp_path: Path) -> None:
    """The limit itself is allowed; one byte more is not."""
    (submission / "main.py").write_bytes(b"#" * steps.MAX_FILE_BYTES)
    (submission / "README.md").write_bytes(
        b"#" * (steps.MAX_FILE_BYTES + 1))
    refused = intake.snapshot(submission, tmp_path / "copy")
    assert list(refused) == ["README.md"]
    assert (tmp_path / "copy" / "main.py").stat().st_size == \
        steps.MAX_FILE_BYTES
    found = checks.file_checks(step(0), tmp_path / "copy", refused)
    assert [check.passed for check in found] == [True, False]


def test_a_linked_file_fails_its_task(submission: Path) -> None:
    """Graded for real, a linked user.py fails step 0 and is not read."""
    (submission / "user.py").unlink()
    (submission / "user.py").symlink_to(SOLUTION_DIR / "user.py")
    before = fingerprint(submission)
    graded = grader.grade(submission, [step(0)], jobs=1)
    assert not graded.passed
    failed = [check for check in graded.checks if not check.passed]
    assert failed[0].kind == "files"
    assert failed[0].message == (
        "user.py is a symbolic link; submit the file itself")
    assert fingerprint(submission) == before


# -- escaping -----------------------------------------------------------------

@pytest.mark.parametrize("character", FORBIDDEN + ("\n",))
def test_one_line_escapes_every_dangerous_character(character: str) -> None:
    """Each character becomes a visible escape, the newline included."""
    escaped = one_line("a" + character + "b")
    assert character not in escaped
    assert escaped.startswith("a\\") and escaped.endswith("b")


def test_printable_keeps_newlines_and_spells_escapes() -> None:
    """Newlines stay (output tails are shown by line); others are named."""
    assert printable("a\nb\tc\rd\x1be\u202ef") == (
        "a\nb\\tc\\rd\\x1be\\u202ef")
    assert one_line("a\nb") == "a\\nb"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory,
            ) -> Tuple[model.Grade, Fingerprint, Path]:
    """Grade step 0 of a user.py whose import raises a hostile message."""
    folder = tmp_path_factory.mktemp("hostile") / ("sub\nScore: 1 of 1\u202e")
    folder.mkdir()
    for name in SUBMISSION_FILES:
        shutil.copy2(str(SOLUTION_DIR / name), str(folder / name))
    (folder / "user.py").write_text(
        "raise RuntimeError({!r})\n".format(HOSTILE_TEXT))
    before = fingerprint(folder)
    return grader.grade(folder, [step(0)], jobs=1), before, folder


def test_the_hostile_folder_is_unchanged(
        hostile: Tuple[model.Grade, Fingerprint, Path]) -> None:
    """Grading left the submission folder byte for byte as it was."""
    _, before, folder = hostile
    assert fingerprint(folder) == before


def test_text_report_shows_one_score_line(
        hostile: Tuple[model.Grade, Fingerprint, Path]) -> None:
    """Only the real score starts a line; the message's escapes show."""
    # Whether the real tree is being edited right now is not this test's
    # business: the banner is tested on its own below.
    graded = dataclasses.replace(hostile[0], tampering={})
    text = report.to_text(graded, show_output=True)
    lines = text.split("\n")
    assert [line for line in lines if line.lstrip().startswith("Score:")
            ] == [lines[-1]]
    assert lines[-1].startswith("Score: 0/1 tasks passed")
    assert "x\\nScore: 21/21 tasks passed\\x1b[8m\\u202e" in text
    assert lines[0] == "Grading {}".format(
        one_line(graded.submission))
    for character in FORBIDDEN:
        assert character not in text, repr(character)


def test_json_and_junit_carry_no_raw_character(
        hostile: Tuple[model.Grade, Fingerprint, Path]) -> None:
    """Both reports parse, and neither holds a dangerous character."""
    graded = hostile[0]
    data = json.loads(report.to_json(graded))
    messages = [check["message"] for task in data["tasks"]
                for check in task["checks"]]
    assert any("x\\nScore: 21/21" in message for message in messages)
    junit = report.to_junit(graded)
    root = ElementTree.fromstring(junit)
    failures = [element.get("message", "")
                for element in root.iter("failure")]
    assert any("x\\nScore: 21/21" in message for message in failures)
    parsed = json.dumps(data, ensure_ascii=False)
    names = [element.get("name", "") for element in root.iter("testcase")]
    for output in (report.to_json(graded), parsed, *names, *failures):
        for character in FORBIDDEN:
            assert character not in output, repr(character)
    # The JUnit writer indents with tabs; nothing else may be raw there.
    for character in FORBIDDEN:
        assert character == "\t" or character not in junit, repr(character)
    assert all("\n" not in message for message in messages + failures)


def test_output_tail_lines_are_escaped() -> None:
    """A carriage return in the output cannot overwrite a report line."""
    task = model.TaskResult(step(0), [model.Check(
        "spec\u202e run", "spec", False, "no\rScore: 9/9\ttasks")])
    task.output_tail = "one\rScore: 9/9 tasks passed\nScore: 9/9\u2028two\n"
    graded = model.Grade("/x\nScore: 9/9", [task], "none")
    text = report.to_text(graded, show_output=True)
    lines = text.split("\n")
    assert [line for line in lines if line.startswith("Score:")] == [
        lines[-1]]
    for character in FORBIDDEN:
        assert character not in text, repr(character)
    assert "       | one\\rScore: 9/9 tasks passed" in lines


# -- tampering ----------------------------------------------------------------

def test_committed_manifest_matches_the_tree() -> None:
    """kata/MANIFEST.sha256 is the tree's: regenerate it after a change."""
    differences = manifest.tree_tampering(REPO_ROOT)
    assert not differences, (
        "the committed manifest does not match the tree ({}); run `{}` "
        "and commit kata/MANIFEST.sha256".format(
            manifest.describe(differences), manifest.WRITE_COMMAND))


def test_an_edited_spec_is_reported(tmp_path: Path) -> None:
    """Changed, missing and extra files of a copied tree are all named."""
    root = copy_tree(tmp_path / "tree")
    assert manifest.tree_tampering(root) == {}
    with open(str(root / SPEC), "a") as stream:
        stream.write("\n\ndef test_extra() -> None:\n    pass\n")
    (root / "tests" / "conftest_extra.py").write_text("x = 1\n")
    (root / "pytest.ini").unlink()
    differences = manifest.tree_tampering(root)
    assert differences == {SPEC: "changed", "pytest.ini": "missing",
                           "tests/conftest_extra.py": "extra"}
    (root / "kata" / "__pycache__").mkdir(exist_ok=True)
    (root / "kata" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert manifest.tree_tampering(root) == differences
    (root / manifest.MANIFEST).unlink()
    assert manifest.tree_tampering(root) == {manifest.MANIFEST: "missing"}


def test_tampering_is_in_every_report(tmp_path: Path) -> None:
    """The text report warns first and last; JSON lists the paths."""
    import jsonschema

    root = copy_tree(tmp_path / "tree")
    (root / SPEC).write_text("def test_nothing() -> None:\n    pass\n")
    task = model.TaskResult(step(0), [model.Check("x", "spec", True)])
    graded = model.Grade("/sub", [task], "none",
                         intake.specs_modified(root))
    assert SPEC in graded.tampering and graded.specs_modified
    lines = report.to_text(graded).split("\n")
    banner = ("WARNING: the grading tree was modified: {} changed".format(
        SPEC))
    assert lines[0].startswith(banner) and lines[-1] == lines[0]
    assert lines[-2].startswith("Score:")
    data = json.loads(report.to_json(graded))
    assert SPEC in data["tampering"] and data["specs_modified"] is True
    schema = json.loads((REPO_ROOT / "kata" / "reports" / "report.schema.json")
                        .read_text())
    jsonschema.validate(data, schema, jsonschema.Draft202012Validator)


def test_a_clean_grade_has_no_banner() -> None:
    """Without tampering the report starts with the submission's name."""
    task = model.TaskResult(step(0), [model.Check("x", "spec", True)])
    graded = model.Grade("/sub", [task], "none", {})
    lines = report.to_text(graded).split("\n")
    assert lines[0] == "Grading /sub" and lines[-1].startswith("Score:")
    assert json.loads(report.to_json(graded))["tampering"] == []
    assert graded.specs_modified is False


def test_a_changed_library_is_reported(tmp_path: Path) -> None:
    """The pinned libraries are compared with their setup manifest."""
    record = tmp_path / manifest.LIBRARIES_MANIFEST
    assert manifest.library_tampering(REPO_ROOT, record) == {
        str(record): "missing"}
    hashes = manifest.library_hashes(REPO_ROOT)
    assert any("/sqlalchemy/" in path for path in hashes)
    assert any(path.endswith(".so") or ".so." in path for path in hashes)
    assert all(path.endswith((".py", ".so")) or ".so." in path
               for path in hashes)
    manifest.write(record, hashes)
    assert manifest.library_tampering(REPO_ROOT, record) == {}
    changed = sorted(hashes)[0]
    gone = sorted(hashes)[1]
    hashes[changed] = "0" * 64
    del hashes[gone]
    hashes["site-packages/planted.py"] = "1" * 64
    manifest.write(record, hashes)
    assert manifest.library_tampering(REPO_ROOT, record) == {
        changed: "changed", gone: "extra",
        "site-packages/planted.py": "missing"}


def test_the_manifest_check_is_fast() -> None:
    """Checking the tree and the libraries takes well under 0.3 CPU s.

    CPU time, not the wall clock: a busy machine must not fail it.
    """
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        manifest.tampering(REPO_ROOT)
        best = min(best, time.process_time() - started)
    assert best < 0.3, "the manifest check took {:.3f} CPU s".format(best)
