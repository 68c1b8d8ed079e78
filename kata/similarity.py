#!/usr/bin/env python3
"""Pairs of submissions that are suspiciously alike, for roster --similarity.

The comparison is copydetect's winnowing: each submission's Python code is
tokenised (names, strings and comments are abstracted away, so renaming
variables or rewriting docstrings changes nothing), cut into k-grams of
noise_threshold characters and winnowed into fingerprints. A pair's score
is the share of a submission's code covered by fingerprints the other one
has too. Code everyone is given does not count: the starter (kata/starter/)
and the code blocks of the statements (steps/*/README.md) are boilerplate.

Student code is only read, never imported or run.
"""
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from kata.steps import (REPO_ROOT, SOLUTION_DIR, STARTER_DIR, STEPS,
                        SUBMISSION_FILES)

SOLUTION_NAME = "solution/"
# copydetect's own defaults: matches shorter than the noise threshold are
# ignored, matches at least the guarantee threshold long are always found.
NOISE_THRESHOLD = 25
GUARANTEE_THRESHOLD = 30
SCORE_THRESHOLD = 0.6
# Characters of normalised code a pair must share to be flagged: a lone
# user.py is the same in everyone's work (the contract fixes its columns),
# and all of it is a high share of a submission that holds nothing else.
# A complete submission normalises to about 3,000 characters.
MIN_SHARED = 500
# A file larger than this is not a hand-written exercise file; reading it
# all would only slow the comparison down.
MAX_FILE_BYTES = 256 * 1024
# How many lines of one shared fragment the reports quote.
QUOTED_LINES = 40
PYTHON_FILES = tuple(name for name in SUBMISSION_FILES if name.endswith(".py"))
MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
CODE_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Options:
    """The thresholds of a comparison."""

    threshold: float = SCORE_THRESHOLD
    noise: int = NOISE_THRESHOLD
    guarantee: int = GUARANTEE_THRESHOLD
    min_shared: int = MIN_SHARED


def problem_of(options: Options) -> str:
    """Say what makes thresholds unusable by copydetect, or return ""."""
    if options.noise < 1:
        return "--noise-threshold must be at least 1"
    if options.guarantee < options.noise:
        return "--guarantee-threshold must be at least --noise-threshold"
    return ""


@dataclass
class Document:
    """A submission's Python files joined into one text, with a line map."""

    name: str
    text: str
    # (offset where the file starts in text, file name), in text order.
    starts: List[Tuple[int, str]] = field(default_factory=list)

    def place(self, offset: int) -> Tuple[str, int]:
        """Return the file and the line number of a character of text."""
        name, start = "", 0
        for begin, file_name in self.starts:
            if begin > offset:
                break
            name, start = file_name, begin
        return name, self.text.count("\n", start, offset) + 1

    def lines(self, file_name: str, first: int, last: int) -> List[str]:
        """Return lines first to last (from 1) of one of the files."""
        for begin, name in self.starts:
            if name == file_name:
                end = self.text.find("\0", begin)
                body = self.text[begin:end if end >= 0 else None]
                return body.split("\n")[first - 1:last]
        return []


def read_code(folder: Path, extra_modules: Iterable[str] = ()) -> Dict[
        str, str]:
    """Return the exercise's Python files of a folder and its helpers.

    A missing, unreadable, oversized or symlinked file is left out: the
    folder is a student's and may hold anything.
    """
    code: Dict[str, str] = {}
    names = list(PYTHON_FILES) + sorted(
        name for name in extra_modules if MODULE_NAME.match(name)
        and name not in PYTHON_FILES)
    for name in names:
        path = folder / name
        try:
            if path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            code[name] = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
    return code


def handed_out_code() -> List[str]:
    """Return the code every student is given: starter and statements."""
    pieces = [path.read_text() for path in sorted(STARTER_DIR.glob("*.py"))]
    for item in STEPS:
        pieces.extend(CODE_BLOCK.findall(item.readme.read_text()))
    return pieces


def make_document(name: str, code: Dict[str, str]) -> Document:
    """Join files into one document; a NUL ends each file's text."""
    document = Document(name, "")
    parts = []
    offset = 0
    for file_name, text in code.items():
        text = text.replace("\0", "")
        document.starts.append((offset, file_name))
        parts.append(text + "\0\n")
        offset += len(text) + 2
    document.text = "".join(parts)
    return document


class Comparer:
    """Fingerprints documents against the boilerplate and compares them."""

    def __init__(self, options: Options,
                 boilerplate: Optional[List[str]] = None) -> None:
        """Fingerprint the boilerplate once, with every k-gram kept."""
        # copydetect imports matplotlib for its own HTML report; make sure
        # that never looks for a display.
        os.environ.setdefault("MPLBACKEND", "Agg")
        import numpy
        from copydetect import CodeFingerprint, compare_files

        self._fingerprint = CodeFingerprint
        self._compare = compare_files
        self.options = options
        hashes: List[int] = []
        for text in handed_out_code() if boilerplate is None else boilerplate:
            hashes.extend(CodeFingerprint(
                "boilerplate.py", options.noise, 1, language="python",
                fp=io.StringIO(text)).hashes)
        self._boilerplate = numpy.unique(
            numpy.array(hashes, dtype=numpy.int64))

    def fingerprint(self, document: Document) -> Any:
        """Return copydetect's fingerprint of a document."""
        window = max(1, self.options.guarantee - self.options.noise + 1)
        return self._fingerprint(
            document.name + ".py", self.options.noise, window,
            boilerplate=self._boilerplate, language="python",
            fp=io.StringIO(document.text))

    def compare(self, first: Tuple[Document, Any],
                second: Tuple[Document, Any]) -> Dict[str, Any]:
        """Return the score of a pair, and its fragments when flagged."""
        (document_a, print_a), (document_b, print_b) = first, second
        if not print_a.hashes or not print_b.hashes:
            shared, shares = 0, (0.0, 0.0)
            slices: Tuple[Any, Any] = ([], [])
        else:
            shared, shares, slices = self._compare(print_a, print_b)
        score = round(float(max(shares)), 3)
        pair: Dict[str, Any] = {
            "a": document_a.name, "b": document_b.name, "score": score,
            "flagged": bool(score >= self.options.threshold
                            and shared >= self.options.min_shared),
            "shared": int(shared),
            "share_a": round(float(shares[0]), 3),
            "share_b": round(float(shares[1]), 3)}
        if pair["flagged"]:
            pair["fragments_a"] = fragments(document_a, slices[0])
            pair["fragments_b"] = fragments(document_b, slices[1])
        return pair


def fragments(document: Document, slices: Any) -> List[Dict[str, Any]]:
    """Return the line ranges, and their code, of copied character slices."""
    ranges: List[List[Any]] = []
    if len(slices) == 0 or len(slices[0]) == 0:
        return []
    for start, end in zip(slices[0], slices[1]):
        first_file, first = document.place(int(start))
        last_file, last = document.place(max(int(start), int(end) - 1))
        if last_file != first_file:
            # A match across the end of a file: keep the first file's part.
            last = first + len(document.lines(first_file, first, 10 ** 9)) - 1
        if (ranges and ranges[-1][0] == first_file
                and first <= ranges[-1][2] + 1):
            ranges[-1][2] = max(ranges[-1][2], last)
        else:
            ranges.append([first_file, first, last])
    return [{"file": name, "first_line": first, "last_line": last,
             "code": "\n".join(document.lines(name, first, last)[
                 :QUOTED_LINES])}
            for name, first, last in ranges]


def compare_class(code_by_student: Dict[str, Dict[str, str]],
                  options: Options = Options(),
                  solution: Optional[Dict[str, str]] = None,
                  boilerplate: Optional[List[str]] = None) -> List[
                      Dict[str, Any]]:
    """Return the pairs to report: flagged pairs, and each one's solution/.

    Every student is compared with every other and with the reference
    solution. The list holds every flagged pair, and each student's pair
    with "solution/" whatever its score, best score first.
    """
    comparer = Comparer(options, boilerplate)
    reference = make_document(SOLUTION_NAME, solution if solution is not None
                              else read_code(SOLUTION_DIR))
    printed = [(document, comparer.fingerprint(document)) for document in (
        make_document(name, code_by_student[name])
        for name in sorted(code_by_student))]
    reference_print = (reference, comparer.fingerprint(reference))
    pairs = [comparer.compare(entry, reference_print) for entry in printed]
    for first, second in _candidates(printed):
        result = comparer.compare(printed[first], printed[second])
        if result["flagged"]:
            pairs.append(result)
    return sorted(pairs, key=lambda item: (-item["score"], item["a"],
                                           item["b"]))


def _candidates(printed: List[Tuple[Document, Any]]) -> List[Tuple[int, int]]:
    """Return the pairs of students that share at least one fingerprint.

    An index from fingerprint to students spares comparing the many pairs
    of a large class that have nothing in common.
    """
    holders: Dict[int, List[int]] = {}
    for index, (_, printed_code) in enumerate(printed):
        for value in printed_code.hashes:
            holders.setdefault(int(value), []).append(index)
    pairs = set()
    for indexes in holders.values():
        for position, first in enumerate(indexes):
            for second in indexes[position + 1:]:
                pairs.add((first, second))
    return sorted(pairs)


def compare_folders(folders: Dict[str, Tuple[Path, List[str]]],
                    options: Options = Options()) -> List[Dict[str, Any]]:
    """Return compare_class's pairs for submission folders, reproducibly.

    folders maps a student to their submission and its helper modules.
    copydetect hashes k-grams with Python's hash(), which is salted per
    process: the comparison runs in a child with a fixed seed, so that the
    same class always gets the same scores.
    """
    request = {"code": {name: read_code(folder, extra)
                        for name, (folder, extra) in folders.items()},
               "threshold": options.threshold, "noise": options.noise,
               "guarantee": options.guarantee,
               "min_shared": options.min_shared}
    child = subprocess.run(
        [sys.executable, "-m", "kata.similarity"], cwd=str(REPO_ROOT),
        input=json.dumps(request), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True,
        env=dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg"))
    if child.returncode != 0:
        raise RuntimeError("the similarity check failed: {}".format(
            child.stderr.strip()[-2000:]))
    pairs: List[Dict[str, Any]] = json.loads(child.stdout)
    return pairs


def main() -> int:
    """Compare the class given as JSON on stdin; print the pairs as JSON."""
    request = json.loads(sys.stdin.read())
    options = Options(float(request["threshold"]), int(request["noise"]),
                      int(request["guarantee"]), int(request["min_shared"]))
    json.dump(compare_class(request["code"], options), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
