#!/usr/bin/env python3
"""The manifest covers the reference solution and the starter files.

Every step's own code is spliced into solution/, and a new workspace and
the splice read kata/catalogue/starter/: a change there changes verdicts, so it
is reported like any other tampering, and ``reference_intact`` says why the
reference cannot be trusted before anything is spliced into it.
"""
from pathlib import Path

import pytest

from helpers import copy_tree
from kata.catalogue import manifest, overlays
from kata.catalogue.steps import REPO_ROOT, step
from kata.grading import grader


def test_the_committed_manifest_covers_the_reference() -> None:
    """Every file of solution/ and of the starter has a recorded hash."""
    recorded = manifest.read(REPO_ROOT / manifest.MANIFEST) or {}
    for folder in ("solution", "kata/catalogue/starter"):
        files = [path.relative_to(REPO_ROOT).as_posix()
                 for path in sorted((REPO_ROOT / folder).iterdir())
                 if path.is_file() and path.name not in
                 manifest.SKIPPED_FILES]
        assert files and all(path in recorded for path in files), folder


def test_an_intact_reference_is_intact(tmp_path: Path) -> None:
    """A faithful copy of the tree has nothing to report."""
    root = copy_tree(tmp_path / "tree")
    assert manifest.reference_intact(root) is None
    assert manifest.tree_tampering(root) == {}


def test_a_truncated_solution_file_is_tampering(tmp_path: Path) -> None:
    """solution/auth.py emptied: reported, and the reference is not intact."""
    root = copy_tree(tmp_path / "tree")
    (root / "solution" / "auth.py").write_bytes(b"")
    assert manifest.tree_tampering(root) == {"solution/auth.py": "changed"}
    reason = manifest.reference_intact(root)
    assert reason is not None and "solution/auth.py changed" in reason


def test_a_changed_starter_or_extra_file_is_tampering(tmp_path: Path) -> None:
    """A starter file edited and a module added to solution/ are named."""
    root = copy_tree(tmp_path / "tree")
    starter_db = root / "kata" / "catalogue" / "starter" / "db.py"
    with open(str(starter_db), "a") as stream:
        stream.write("\nx = 1\n")
    (root / "solution" / "sitecustomize.py").write_text("x = 1\n")
    assert manifest.tree_tampering(root) == {
        "kata/catalogue/starter/db.py": "changed",
        "solution/sitecustomize.py": "extra"}
    reason = manifest.reference_intact(root) or ""
    assert "kata/catalogue/starter/db.py changed" in reason
    assert "solution/sitecustomize.py extra" in reason


def test_a_database_left_in_solution_is_no_tampering(tmp_path: Path) -> None:
    """Running the reference by hand leaves a.db behind: not a change."""
    root = copy_tree(tmp_path / "tree")
    (root / "solution" / "a.db").write_bytes(b"SQLite format 3\x00")
    assert manifest.reference_intact(root) is None
    assert manifest.tree_tampering(root) == {}


def test_an_unreadable_manifest_is_no_intact_reference(
        tmp_path: Path) -> None:
    """Without a manifest the reference cannot be vouched for."""
    root = copy_tree(tmp_path / "tree")
    (root / manifest.MANIFEST).unlink()
    assert "cannot be checked" in (manifest.reference_intact(root) or "")


def test_a_grading_refuses_to_splice_into_a_modified_reference(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing step is judged on the whole stack only, saying why."""
    wrong = next(overlay for overlay in overlays.load("mutants")
                 if overlay.step == 9)
    submission = wrong.apply(tmp_path / "submission")
    reason = "the reference code the steps are spliced into was modified: " \
        "solution/auth.py changed"
    monkeypatch.setattr(manifest, "reference_intact", lambda: reason)
    task = grader.grade(submission, [step(9)]).tasks[0]
    assert not task.passed
    assert not task.integrated_checks, "an own-code run was made"
    assert reason in task.note, task.note
