#!/usr/bin/env python3
"""Golden files of the report formats: text, JSON, JUnit of two grades.

Step 0 is graded, with the real command line, on solution/ and on the
solution with a wrong table name. The reports, once their volatile fields
(the submission's path, the isolation in use, whether tests/ has local
changes, times) are normalised, must equal the files under
selftest/fixtures/golden/. When a report changes on purpose (a new check,
a renamed test), regenerate them with::

    KATA_UPDATE_GOLDEN=1 ./checker.sh selftest selftest/test_report_golden.py

and review the difference before committing it.
"""
import contextlib
import difflib
import io
import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import pytest

from kata import cli
from kata.catalogue import overlays
from kata.catalogue.steps import REPO_ROOT, SOLUTION_DIR

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
UPDATE = os.environ.get("KATA_UPDATE_GOLDEN") == "1"
VOLATILE_ATTRIBUTES = ("time", "timestamp", "hostname")
MACHINE_LINES = ("WARNING: the grading tree was modified",
                 "Graded while the machine was busy")
WRONG_TABLE = overlays.Overlay("wrong-table", "the table is named user", (
    overlays.Edit("user.py", '__tablename__ = "users"',
                  '__tablename__ = "user"'),))
# name: (overlay on the solution or None, expected exit status)
CASES: Dict[str, Tuple[Optional[overlays.Overlay], int]] = {
    "solution-step0": (None, 0),
    "wrong-table-step0": (WRONG_TABLE, 1),
}


def replace_strings(value: Any, old: str, new: str) -> Any:
    """Return value with old replaced by new in every string inside it."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [replace_strings(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: replace_strings(item, old, new)
                for key, item in value.items()}
    return value


def normalise_json(text: str, folder: Path) -> str:
    """Return the JSON report with its volatile fields replaced."""
    data = replace_strings(json.loads(text), str(folder), "<submission>")
    data["isolation"] = "<isolation>"
    data["specs_modified"] = "<specs_modified>"
    # The tree is checked against its manifest by selftest/test_intake.py.
    data["tampering"] = "<tampering>"
    # Present only when this grading ran on a busy machine.
    data.pop("graded_under_load", None)
    return json.dumps(data, indent=2) + "\n"


def normalise_text(text: str, folder: Path) -> str:
    """Return the text report without the lines about this machine's state.

    Those say whether the tree was modified (checked by test_intake.py)
    and whether the machine was busy.
    """
    lines = [line for line in text.replace(str(folder), "<submission>")
             .split("\n") if not line.startswith(MACHINE_LINES)]
    return "\n".join(lines)


def normalise_junit(text: str, folder: Path) -> str:
    """Return the JUnit report without times, with the folder replaced."""
    root = ElementTree.fromstring(text)
    for element in root.iter():
        for name in VOLATILE_ATTRIBUTES:
            element.attrib.pop(name, None)
        for name, value in element.attrib.items():
            element.set(name, value.replace(str(folder), "<submission>"))
        if element.text:
            element.text = element.text.replace(str(folder), "<submission>")
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode") + "\n"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory,
            ) -> Dict[str, Dict[str, Any]]:
    """Grade every case once, through cli.main, into every format."""
    made = {}
    for name, (overlay, _) in CASES.items():
        root = tmp_path_factory.mktemp(name)
        folder = SOLUTION_DIR if overlay is None else overlay.apply(
            root / "submission")
        junit = root / "report.xml"
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            code = cli.main([str(folder), "--step", "0", "--json",
                             "--junit", str(junit)])
        text = io.StringIO()
        with contextlib.redirect_stdout(text):
            cli.main([str(folder), "--step", "0"])
        made[name] = {"code": code, "folder": folder,
                      "json": stdout.getvalue(), "text": text.getvalue(),
                      "junit": junit.read_text()}
    return made


def compare(actual: str, golden: Path) -> None:
    """Assert actual equals the golden file, or rewrite it when updating."""
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual)
        return
    assert golden.is_file(), (
        "{} is missing: run with KATA_UPDATE_GOLDEN=1 to create it".format(
            golden.relative_to(REPO_ROOT)))
    expected = golden.read_text()
    difference = "".join(difflib.unified_diff(
        expected.splitlines(True), actual.splitlines(True),
        str(golden.relative_to(REPO_ROOT)), "actual"))
    assert actual == expected, (
        "the report differs from its golden file (KATA_UPDATE_GOLDEN=1 "
        "regenerates it):\n" + difference)


@pytest.mark.parametrize("name", sorted(CASES))
def test_exit_status(reports: Dict[str, Dict[str, Any]], name: str) -> None:
    """The solution exits 0, the wrong answer 1."""
    assert reports[name]["code"] == CASES[name][1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_matches_golden(reports: Dict[str, Dict[str, Any]],
                             name: str) -> None:
    """The normalised JSON report equals its golden file."""
    made = reports[name]
    compare(normalise_json(made["json"], made["folder"]),
            GOLDEN / (name + ".json"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_matches_golden(reports: Dict[str, Dict[str, Any]],
                             name: str) -> None:
    """The text report, what a student reads, equals its golden file."""
    made = reports[name]
    compare(normalise_text(made["text"], made["folder"]),
            GOLDEN / (name + ".txt"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_junit_matches_golden(reports: Dict[str, Dict[str, Any]],
                              name: str) -> None:
    """The normalised JUnit report equals its golden file."""
    made = reports[name]
    compare(normalise_junit(made["junit"], made["folder"]),
            GOLDEN / (name + ".xml"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_junit_agrees_with_json(reports: Dict[str, Dict[str, Any]],
                                name: str) -> None:
    """One test case per check, one failure per failed check, same names."""
    data = json.loads(reports[name]["json"])
    root = ElementTree.fromstring(reports[name]["junit"])
    cases = root.findall(".//testcase")
    checks = [check for task in data["tasks"] for check in task["checks"]]
    assert len(cases) == len(checks) == data["checks_total"]
    for case, check in zip(cases, checks):
        assert case.get("name") == check["name"]
        assert case.get("classname", "").endswith("." + check["kind"])
        failures = case.findall("failure")
        assert len(failures) == (0 if check["passed"] else 1)
        if failures:
            assert failures[0].get("message") == check["message"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_validates(reports: Dict[str, Dict[str, Any]],
                        name: str) -> None:
    """Passing and failing reports both match the report's JSON schema."""
    import jsonschema

    schema = json.loads((REPO_ROOT / "kata" / "reports" / "report.schema.json")
                        .read_text())
    jsonschema.validate(json.loads(reports[name]["json"]), schema,
                        jsonschema.Draft202012Validator)
