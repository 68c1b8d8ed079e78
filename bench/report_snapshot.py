#!/usr/bin/env python3
"""Write every report the checker makes for a fixed set of submissions.

A refactoring that must not change behaviour is checked by running this on
the tree before it and on the tree after it, and comparing the two folders
(``diff -r``). The submissions are solution/, the starter, every mutant
(graded on its own step) and the hostile corpus with solution/ and the
starter as a class (graded as a roster, with its CSV, JSON and HTML
outputs). Fields that change from one run to the next (times, temporary
paths, the host) are replaced by placeholders.

Run it through the checker's environment, from the tree to snapshot::

    .venv/bin/python bench/report_snapshot.py OUT_FOLDER
"""
import argparse
import importlib
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, List, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKER = str(REPO_ROOT / "checker.sh")
HOSTILE = REPO_ROOT / "selftest" / "fixtures" / "hostile"
# Patterns of what differs between two runs of the same grading.
VOLATILE = (
    (re.compile(r"/tmp/[A-Za-z0-9_.-]+"), "<tmp>"),
    (re.compile(r"\d+(\.\d+)? ?(s|ms|seconds)\b"), "<time>"),
    (re.compile(r'"(time|timestamp|hostname|generated|duration|seconds|'
                r'elapsed)": ?[^,}\n]+'), r'"\1": "<volatile>"'),
    (re.compile(r'(time|timestamp|hostname)="[^"]*"'), r'\1="<volatile>"'),
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?"
                r"\d\d)?"), "<date>"),
    # Whether the machine was busy, and how busy, is not the grading's.
    (re.compile(r"Graded while the machine was busy[^\n]*\n"), ""),
    (re.compile(r'\s*"graded_under_load": \{[^}]*\},?'), ""),
    (re.compile(r'\s*"load": \{[^}]*\},?'), ""),
    (re.compile(r",(\s*[}\]])"), r"\1"),
)


def normalise(text: str, folders: Sequence[Path]) -> str:
    """Return text with the given folders and volatile fields replaced."""
    for number, folder in enumerate(folders):
        text = text.replace(str(folder), "<folder{}>".format(number))
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def checker(arguments: Sequence[str]) -> Tuple[int, str, str]:
    """Run checker.sh with arguments; return its status and its outputs."""
    done = subprocess.run([CHECKER, *arguments], capture_output=True,
                          text=True, cwd=str(REPO_ROOT), check=False)
    return done.returncode, done.stdout, done.stderr


def kata_module(*names: str) -> Any:
    """Import the first of the kata's modules that exists (it may move)."""
    sys.path.insert(0, str(REPO_ROOT))
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("none of " + ", ".join(names))


def mutants(scratch: Path) -> List[Tuple[str, Path, int]]:
    """Apply every mutant to a copy of solution/; return name, folder, step."""
    overlays = kata_module("kata.catalogue.overlays",
                           "kata.overlays")
    steps = kata_module("kata.catalogue.steps", "kata.steps")
    found = []
    for mutant in overlays.load("mutants"):
        folder = mutant.apply(scratch / mutant.name)
        found.append((mutant.name, folder, steps.step(mutant.step).number))
    return found


def grade_one(case: Tuple[str, Path, int], out: Path) -> None:
    """Write the text and JSON reports of one mutant's step."""
    name, folder, number = case
    for suffix, extra in (("txt", []), ("json", ["--json"])):
        status, stdout, stderr = checker(
            ["grade", str(folder), "--step", str(number), "--jobs", "1",
             *extra])
        (out / "mutants" / "{}.{}".format(name, suffix)).write_text(
            "exit {}\n{}\n--- stderr\n{}".format(
                status, normalise(stdout, [folder]),
                normalise(stderr, [folder])))


def main() -> None:
    """Write the snapshot into the folder given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    arguments = parser.parse_args()
    out = arguments.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    (out / "mutants").mkdir(parents=True)
    with tempfile.TemporaryDirectory() as temporary:
        scratch = Path(temporary)
        with ThreadPoolExecutor(arguments.jobs) as pool:
            list(pool.map(lambda case: grade_one(case, out),
                          mutants(scratch / "mutants")))
        starter = scratch / "starter"
        status, stdout, stderr = checker(["init", str(starter)])
        for name, folder in (("solution", REPO_ROOT / "solution"),
                             ("starter", starter)):
            for suffix, extra in (("txt", []), ("json", ["--json"])):
                status, stdout, stderr = checker(
                    ["grade", str(folder), *extra])
                (out / "{}.{}".format(name, suffix)).write_text(
                    "exit {}\n{}\n--- stderr\n{}".format(
                        status, normalise(stdout, [folder]),
                        normalise(stderr, [folder])))
        klass = scratch / "class"
        shutil.copytree(HOSTILE, klass)
        shutil.copytree(REPO_ROOT / "solution", klass / "solution")
        shutil.copytree(starter, klass / "starter")
        status, stdout, stderr = checker(
            ["roster", str(klass), "--csv", str(out / "roster.csv"),
             "--json", str(out / "roster.json"),
             "--html", str(out / "roster.html")])
        (out / "roster.out").write_text("exit {}\n{}\n--- stderr\n{}".format(
            status, normalise(stdout, [klass]), normalise(stderr, [klass])))
        for path in out.glob("roster.*"):
            path.write_text(normalise(path.read_text(), [klass]))


if __name__ == "__main__":
    main()
