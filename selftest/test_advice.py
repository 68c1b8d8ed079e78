#!/usr/bin/env python3
"""The advisor's golden cases: each comment fires where it should, only there.

Every key of the catalogue has a submission that triggers it (its place
pointing at the student's line) and one that does not, built from
solution/ by text edits (selftest/fixtures/advice/cases.toml). The advisor
reads text only, so these tests run no spec; they also feed it every
mutant and alternative, the starter, hostile folders and broken files,
none of which may make it raise.
"""
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import pytest

from helpers import failures, run_specs, spec_passed
from kata.catalogue import overlays
from kata.catalogue.steps import (MAX_FILE_BYTES, REPO_ROOT, SOLUTION_DIR,
                                  STARTER_DIR, STEPS, step)
from kata.reading import advice
from kata.reading.ownership import MAX_OUTLINED_BYTES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - older Pythons read TOML with the tomli backport
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES: Dict[str, Dict[str, Any]] = {
    case["key"]: case for case in tomllib.loads(
        (FIXTURES / "advice" / "cases.toml").read_text())["case"]}
KEYS = sorted(CASES)
PLACE = re.compile(r"^[a-z]+\.py:[1-9][0-9]*$")
# The HTTP calls of solution/main.py, which the quiet side of the timeout
# case gives a timeout.
MAIN_CALL = re.compile(r"requests\.(get|post|put|delete)\(URL \+ ")


def _overlay(name: str) -> overlays.Overlay:
    """Return a known mutant or alternative by its "kind/name"."""
    kind, _, stem = name.partition("/")
    found = [item for item in overlays.load(kind) if item.name == stem]
    assert found, "no overlay {}".format(name)
    return found[0]


def _build(folder: Path, edits: Sequence[Dict[str, str]],
           overlay: str = "") -> Path:
    """Write solution/ with an overlay or edits into folder; return it."""
    if overlay:
        return _overlay(overlay).apply(folder)
    folder.mkdir(parents=True)
    for name in os.listdir(str(SOLUTION_DIR)):
        if name.endswith((".py", ".md")):
            shutil.copy2(str(SOLUTION_DIR / name), str(folder / name))
    for edit in edits:
        target = folder / edit["file"]
        text = target.read_text()
        assert text.count(edit["old"]) == 1, edit["old"]
        target.write_text(text.replace(edit["old"], edit["new"]))
    return folder


def _keys(folder: Path, number: int) -> List[str]:
    """Return the keys of the advice on one step of a folder."""
    return [item.key for item in advice.advise(folder, [step(number)])]


def _comment(key: str) -> advice.Comment:
    """Return the catalogue's comment of a key."""
    return next(item for item in advice.catalogue() if item.key == key)


def test_every_catalogue_key_has_one_detector_and_golden_cases() -> None:
    """Keys, detectors and golden cases are the same set, keys unique."""
    keys = [comment.key for comment in advice.catalogue()]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(advice.DETECTORS)
    assert set(keys) == set(CASES)


def test_catalogue_spans_the_steps_with_known_kinds_and_pages() -> None:
    """25 comments or more, over many steps, each linking a real page."""
    comments = advice.catalogue()
    assert len(comments) >= 25
    assert len({comment.step for comment in comments}) >= 10
    numbers = {item.number for item in STEPS}
    for comment in comments:
        assert comment.kind in advice.KINDS, comment.key
        assert comment.step in numbers, comment.key
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", comment.key)
        assert comment.text.strip() and "\n" not in comment.text
        page, _, anchor = comment.link.partition("#")
        text = (REPO_ROOT / page).read_text()
        if anchor:
            headings = {re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip()
                               .lower()).replace(" ", "-")
                        for line in text.splitlines()
                        if line.startswith("#")}
            assert anchor in headings, comment.link
        if page.startswith("steps/") and page != "steps/STYLE.md":
            assert page == step(comment.step).readme_ref, comment.key


@pytest.mark.parametrize("key", KEYS)
def test_comment_fires_on_its_trigger_at_the_students_line(
        key: str, tmp_path: Path) -> None:
    """The trigger gets the advice, placed on the line that earns it."""
    case = CASES[key]
    comment = _comment(key)
    folder = _build(tmp_path / "trigger", case.get("trigger", []),
                    case.get("trigger_overlay", ""))
    found = [item for item in advice.advise(folder, [step(comment.step)])
             if item.key == key]
    assert len(found) == 1, [item.key for item in advice.advise(
        folder, [step(comment.step)])]
    item = found[0]
    assert (item.kind, item.step, item.text) == (
        comment.kind, comment.step, comment.text)
    assert PLACE.match(item.where), item.where
    name, line = item.where.split(":")
    text = (folder / name).read_text().splitlines()[int(line) - 1]
    assert case["marker"] in text, (item.where, text)


@pytest.mark.parametrize("key", KEYS)
def test_comment_stays_quiet_on_its_counterpart(key: str,
                                                tmp_path: Path) -> None:
    """The counterpart, close to the trigger, gets no such advice."""
    case = CASES[key]
    folder = _build(tmp_path / "quiet", case.get("quiet", []),
                    case.get("quiet_overlay", ""))
    if case.get("quiet_timeouts"):
        main = folder / "main.py"
        main.write_text(MAIN_CALL.sub(r"requests.\1(timeout=5, url=URL + ",
                                      main.read_text()))
    assert key not in _keys(folder, _comment(key).step)


def test_solution_gets_no_essential_or_actionable_advice() -> None:
    """The reference earns only information and praise."""
    found = advice.advise(SOLUTION_DIR, STEPS)
    assert found, "the reference should earn some praise"
    assert [item.key for item in found
            if item.kind in ("essential", "actionable")] == []


def test_advice_is_ordered_and_only_for_the_steps_asked(
        tmp_path: Path) -> None:
    """Most useful first; a step not asked about is not read for advice."""
    folder = _build(tmp_path / "many", [
        CASES["password-printed-or-logged"]["trigger"][0],
        CASES["valid-login-broad-except"]["trigger"][0],
        CASES["print-in-find-user-by"]["trigger"][0]])
    found = advice.advise(folder, [step(2), step(8)])
    ranks = [(advice.KINDS.index(item.kind), item.step, item.key)
             for item in found]
    assert ranks == sorted(ranks)
    assert [item.key for item in advice.shown(found, 8)] == [
        "password-printed-or-logged", "valid-login-broad-except"]
    assert [item.key for item in advice.shown(found, 8, limit=1)] == [
        "password-printed-or-logged"]
    assert {item.step for item in advice.advise(folder, [step(8)])} == {8}
    assert advice.advise(folder, []) == []


def test_a_steps_comment_reads_its_own_code_and_its_helpers(
        tmp_path: Path) -> None:
    """== on hashes in register_user is not step 08's; in its helper it is.

    A helper of the student's own belongs to the earliest step using it
    (kata.reading.ownership), so a comparison moved into valid_login's helper
    is still step 08's, placed on the helper's line.
    """
    elsewhere = _build(tmp_path / "elsewhere", [{
        "file": "auth.py",
        "old": "            return self._db.add_user(email, "
               "_hash_password(password))\n",
        "new": "            hashed = _hash_password(password)\n"
               "            if hashed == password.encode():\n"
               "                raise ValueError(\"not hashed\")\n"
               "            return self._db.add_user(email, hashed)\n"}])
    assert "hash-compared-with-equals" not in _keys(elsewhere, 8)
    helper = _build(tmp_path / "helper", [{
        "file": "auth.py",
        "old": "        return bcrypt.checkpw(password.encode(\"utf-8\"),\n"
               "                              _as_bytes(user.hashed_password))"
               "\n",
        "new": "        return _matches(password, user.hashed_password)\n"}, {
        "file": "auth.py",
        "old": "\n\ndef _generate_uuid",
        "new": "\n\ndef _matches(password: str, hashed: bytes) -> bool:\n"
               "    \"\"\"Tell whether the password hashes to hashed.\"\"\"\n"
               "    return bcrypt.hashpw(password.encode(), hashed) == hashed"
               "\n\n\ndef _generate_uuid"}])
    found = [item for item in advice.advise(helper, [step(8)])
             if item.key == "hash-compared-with-equals"]
    assert len(found) == 1
    line = int(found[0].where.split(":")[1])
    assert "== hashed" in (helper / "auth.py").read_text().splitlines()[
        line - 1]


def test_a_detector_that_raises_costs_only_its_own_advice(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A detector's surprise loses its comment, never the others'."""
    def explode(code: advice.Submission, number: int) -> None:
        """Fail the way a detector's unforeseen case would."""
        raise RecursionError("deep")

    monkeypatch.setitem(advice.DETECTORS, "checkpw-used", explode)
    keys = _keys(SOLUTION_DIR, 8)
    assert "checkpw-used" not in keys
    monkeypatch.undo()
    assert "checkpw-used" in _keys(SOLUTION_DIR, 8)
    assert advice.catalogue() is advice.catalogue()


def _assert_harmless(folder: Path) -> List[advice.Advice]:
    """Advise on every step of folder; the answer is a list of Advice."""
    found = advice.advise(folder, STEPS)
    assert isinstance(found, list)
    for item in found:
        assert isinstance(item, advice.Advice)
        assert PLACE.match(item.where), item.where
    return found


@pytest.mark.parametrize("kind", ["mutants", "alternatives"])
def test_every_overlay_is_advised_without_raising(kind: str,
                                                  tmp_path: Path) -> None:
    """Every known wrong and right answer goes through the advisor."""
    for overlay in overlays.load(kind):
        _assert_harmless(overlay.apply(tmp_path / overlay.name))


def test_starter_empty_missing_and_hostile_folders(tmp_path: Path) -> None:
    """Folders with little, nothing or malice in them get no exception."""
    assert _assert_harmless(STARTER_DIR) == []
    (tmp_path / "empty").mkdir()
    assert _assert_harmless(tmp_path / "empty") == []
    assert _assert_harmless(tmp_path / "missing") == []
    (tmp_path / "a-file").write_text("not a folder\n")
    assert _assert_harmless(tmp_path / "a-file") == []
    for folder in sorted((FIXTURES / "hostile").iterdir()):
        if folder.is_dir():
            _assert_harmless(folder)


def test_broken_odd_and_linked_files_get_no_advice(tmp_path: Path) -> None:
    """A file that does not parse, is not regular or is a link is skipped.

    Each file below would earn advice (uuid1 in step 09) if it were read:
    a syntax error, null bytes, bad UTF-8 and deep nesting
    (RecursionError) leave it unparsed, a symbolic link is not followed,
    and a FIFO is not opened for reading, let alone waited on.
    """
    source = (SOLUTION_DIR / "auth.py").read_text().replace(
        "uuid.uuid4()", "uuid.uuid1()")
    broken = {
        "syntax": source + "\ndef (:\n",
        "nulls": source + "\x00\n",
        "nesting": source + "x = " + "(" * 100000 + ")" * 100000 + "\n"}
    for label, text in broken.items():
        folder = tmp_path / label
        folder.mkdir()
        (folder / "auth.py").write_text(text)
        assert _keys(folder, 9) == [], label
    (tmp_path / "bytes").mkdir()
    (tmp_path / "bytes" / "auth.py").write_bytes(
        source.encode() + b"\n\xff\xfe = 1\n")
    assert _keys(tmp_path / "bytes", 9) == []
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "auth.py").write_text(source)
    assert _keys(tmp_path / "real", 9) == ["uuid1-leaks-host"]
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "auth.py").symlink_to(tmp_path / "real" / "auth.py")
    assert _keys(tmp_path / "link", 9) == []
    (tmp_path / "fifo").mkdir()
    os.mkfifo(str(tmp_path / "fifo" / "auth.py"))
    assert _keys(tmp_path / "fifo", 9) == []
    (tmp_path / "folder" / "auth.py").mkdir(parents=True)
    assert _keys(tmp_path / "folder", 9) == []


def test_files_are_advised_up_to_the_size_ownership_outlines(
        tmp_path: Path) -> None:
    """A file ownership outlines is advised on; a larger one is not.

    A megabyte of code (kata.grading.grader's bound) goes through quickly and
    quietly: it is not read past the bound, nor outlined.
    """
    source = (SOLUTION_DIR / "auth.py").read_text().replace(
        "uuid.uuid4()", "uuid.uuid1()")
    filler = "# padding so that the file reaches the bound\n"
    padded = source + filler * (
        (MAX_OUTLINED_BYTES - len(source.encode())) // len(filler))
    padded += "#" * (MAX_OUTLINED_BYTES - len(padded.encode()) - 1) + "\n"
    assert len(padded.encode()) == MAX_OUTLINED_BYTES
    (tmp_path / "at").mkdir()
    (tmp_path / "at" / "auth.py").write_text(padded)
    assert _keys(tmp_path / "at", 9) == ["uuid1-leaks-host"]
    (tmp_path / "past").mkdir()
    (tmp_path / "past" / "auth.py").write_text(padded + "\n")
    assert _keys(tmp_path / "past", 9) == []
    for label, size in (("megabyte", MAX_FILE_BYTES),
                        ("more", MAX_FILE_BYTES + 1)):
        (tmp_path / label).mkdir()
        (tmp_path / label / "auth.py").write_text(
            "x = 1\n" * (size // len("x = 1\n")) + "#" * (size % 6))
        assert _assert_harmless(tmp_path / label) == []


@pytest.fixture(scope="module")
def triggers(tmp_path_factory: pytest.TempPathFactory
             ) -> Dict[str, Tuple[Path, int]]:
    """Write every key's trigger submission, with the step it concerns."""
    root = tmp_path_factory.mktemp("triggers")
    return {key: (_build(root / key, CASES[key].get("trigger", []),
                         CASES[key].get("trigger_overlay", "")),
                  _comment(key).step) for key in KEYS}


@pytest.mark.parametrize("key", KEYS)
def test_a_trigger_passes_its_step_so_the_advice_is_shown(
        key: str, triggers: Dict[str, Tuple[Path, int]]) -> None:
    """Advice is given on passing code: each trigger passes its step.

    A trigger its step's spec rejects would be advice no student sees.
    """
    folder, number = triggers[key]
    result = run_specs([step(number)], folder)[number]
    assert spec_passed(result), failures(result)
