#!/usr/bin/env python3
"""roster --similarity: copies are flagged, independent work is not."""
import ast
import itertools
import re
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from kata import cli
from kata.catalogue.steps import SOLUTION_DIR, STARTER_DIR, STEPS
from kata.classroom import similarity

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "similarity"
# Complete, correct submissions (each grades 21/21), written from the
# contract and the statements alone, without looking at solution/, each in
# a style of its own: the calibration set of the thresholds.
INDEPENDENTS = sorted(path for path in (FIXTURES / "independent").iterdir()
                      if path.is_dir())
INDEPENDENT = FIXTURES / "independent" / "original"
DOCSTRING = re.compile(r'"""(.*?)"""', re.DOTALL)


def disguised_copy(source: Path, target: Path,
                   renames: Dict[str, str]) -> Path:
    """Copy a submission, renaming words and rewriting every docstring."""
    target.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        text = path.read_text()
        if path.suffix == ".py":
            counter = iter(range(1, 1000))
            text = DOCSTRING.sub(lambda match: '"""Rewritten by hand, part '
                                 '{}."""'.format(next(counter)), text)
            for old, new in renames.items():
                text = re.sub(r"\b{}\b".format(old), new, text)
        (target / path.name).write_text(text)
        shutil.copymode(str(path), str(target / path.name))
    return target


def cosmetic_copy(source: Path, target: Path) -> Path:
    """Copy a submission with other blank lines, comments and locals.

    The copy still passes the style rules: a cheat keeps it working.
    """
    copy = disguised_copy(source, target, {
        "account": "acct", "reply": "fetch", "address": "addr",
        "ticket": "tok", "digest": "hashed", "visitor": "who"})
    for path in copy.glob("*.py"):
        old = path.read_text().split("\n")
        lines = []
        for index, line in enumerate(old):
            code = line.lstrip()
            indent = line[:len(line) - len(code)]
            if code.startswith("def "):
                lines.append(indent + "# reworked on my own")
            lines.append(line)
            following = old[index + 1] if index + 1 < len(old) else ""
            if indent and code.endswith('."""') and following.strip():
                lines.append("")
        path.write_text("\n".join(lines))
    return copy


def reversed_definitions(text: str) -> str:
    """Reverse the order of each run of definitions, classes' included."""
    lines = text.split("\n")
    runs: List[List[ast.stmt]] = []

    def collect(body: List[ast.stmt]) -> None:
        """Note every run of two or more definitions in a body."""
        run: List[ast.stmt] = []
        for node in body + [ast.Pass()]:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                run.append(node)
                if isinstance(node, ast.ClassDef):
                    collect(node.body)
                continue
            if len(run) > 1:
                runs.append(run)
            run = []

    collect(ast.parse(text).body)
    # From the bottom up, so that the lines above keep their numbers.
    for run in sorted(runs, key=lambda nodes: -nodes[0].lineno):
        spans = [(min([node.lineno] + [decorator.lineno for decorator
                                       in getattr(node, "decorator_list")])
                  - 1, int(getattr(node, "end_lineno"))) for node in run]
        gap = lines[spans[0][1]:spans[1][0]]
        moved: List[str] = []
        for first, last in reversed(spans):
            moved.extend((gap if moved else []) + lines[first:last])
        lines[spans[0][0]:spans[-1][1]] = moved
    return "\n".join(lines)


def reordered_copy(source: Path, target: Path,
                   renames: Dict[str, str]) -> Path:
    """Copy a submission as a cheat hides it: every surface changed.

    Renamed identifiers, reworded docstrings, definitions in reverse
    order, comments before each function and return, other blank lines.
    """
    copy = disguised_copy(source, target, renames)
    for path in copy.glob("*.py"):
        lines = []
        for line in reversed_definitions(path.read_text()).split("\n"):
            code = line.lstrip()
            indent = line[:len(line) - len(code)]
            if code.startswith(("def ", "return ")):
                lines.append(indent + "# my own approach")
            lines.append(line)
            if code.startswith("class "):
                lines.append("")
        text = "\n".join(lines)
        ast.parse(text)
        path.write_text(text)
    return copy


def pair_of(pairs: List[Dict[str, object]], a: str, b: str) -> Dict[
        str, object]:
    """Return the pair of two submissions, in either order."""
    for pair in pairs:
        if {pair["a"], pair["b"]} == {a, b}:
            return pair
    raise AssertionError("no pair {} ~ {} in {}".format(a, b, pairs))


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Tuple[
        List[Dict[str, object]], Dict[str, Path]]:
    """Compare a disguised solution, an independent one and its copy."""
    root = tmp_path_factory.mktemp("similarity")
    folders = {
        "ana": disguised_copy(SOLUTION_DIR, root / "ana", {
            "hashed": "digest", "token": "ticket", "response": "answer",
            "email": "address", "session_id": "sid", "user": "person"}),
        "ben": INDEPENDENT,
        "cy": cosmetic_copy(INDEPENDENT, root / "cy"),
    }
    pairs = similarity.compare_folders(
        {name: (folder, []) for name, folder in folders.items()})
    for pair in pairs:
        print(pair["a"], "~", pair["b"], pair["score"], pair["flagged"])
    return pairs, folders


def test_a_disguised_copy_of_the_solution_is_flagged(
        compared: Tuple[List[Dict[str, object]], Dict[str, Path]]) -> None:
    """Renamed variables and rewritten docstrings hide nothing."""
    pairs, _ = compared
    pair = pair_of(pairs, "ana", similarity.SOLUTION_NAME)
    assert pair["flagged"] and pair["score"] >= 0.9


def test_cosmetic_copies_are_flagged_as_a_pair_with_their_code(
        compared: Tuple[List[Dict[str, object]], Dict[str, Path]]) -> None:
    """Whitespace, comments and renamed locals: still one submission."""
    pairs, folders = compared
    pair = pair_of(pairs, "ben", "cy")
    assert pair["flagged"] and pair["score"] >= 0.9
    assert pair["fragments_a"] and pair["fragments_b"]
    for side in ("a", "b"):
        files = folders[str(pair[side])]
        for fragment in pair["fragments_" + side]:
            lines = (files / fragment["file"]).read_text().split("\n")
            assert 1 <= fragment["first_line"] <= fragment["last_line"]
            assert fragment["last_line"] <= len(lines)
            assert fragment["code"] == "\n".join(lines[
                fragment["first_line"] - 1:fragment["last_line"]][:40])


def test_independent_submissions_are_not_flagged(
        compared: Tuple[List[Dict[str, object]], Dict[str, Path]]) -> None:
    """Two correct solutions written apart share only what the task forces."""
    pairs, _ = compared
    for name in ("ben", "cy"):
        pair = pair_of(pairs, name, similarity.SOLUTION_NAME)
        assert not pair["flagged"] and "fragments_a" not in pair, pair
    # Pairs of students are listed only when flagged.
    assert not any({pair["a"], pair["b"]} in ({"ben", "ana"}, {"cy", "ana"})
                   for pair in pairs), "independent work was flagged"
    # Every student's pair with the solution is listed, flagged or not.
    assert {pair["a"] for pair in pairs
            if pair["b"] == similarity.SOLUTION_NAME} == {"ana", "ben", "cy"}


def test_a_threshold_below_their_score_flags_independent_work() -> None:
    """The limits decide: low enough, the independent pair is flagged."""
    pairs = similarity.compare_folders(
        {"ben": (INDEPENDENT, [])}, similarity.Options(threshold=0.2,
                                                       min_shared=100))
    assert pair_of(pairs, "ben", similarity.SOLUTION_NAME)["flagged"]


def test_a_small_overlap_is_not_flagged_however_high_its_share(
        tmp_path: Path) -> None:
    """A lone user.py is everyone's: flagged only when the minimum allows."""
    folder = tmp_path / "lone"
    folder.mkdir()
    shutil.copy2(str(SOLUTION_DIR / "user.py"), str(folder / "user.py"))
    folders = {"lone": (folder, [])}
    pair = similarity.compare_folders(folders)[0]
    assert pair["score"] == 1.0 and not pair["flagged"]
    assert pair["shared"] < similarity.MIN_SHARED
    assert similarity.compare_folders(folders, similarity.Options(
        min_shared=pair["shared"]))[0]["flagged"]


def test_handed_out_code_does_not_count(tmp_path: Path) -> None:
    """The starter and the statements' code blocks are everyone's code."""
    handed = tmp_path / "handed"
    shutil.copytree(str(STARTER_DIR), str(handed))
    blocks = [block for item in STEPS
              for block in similarity.CODE_BLOCK.findall(
                  item.readme.read_text())]
    assert blocks, "the statements hand out no code block"
    (handed / "main.py").write_text("\n".join(blocks))
    code = {"handed": similarity.read_code(handed)}
    solution = similarity.read_code(SOLUTION_DIR)
    ignored = similarity.compare_class(code, solution=solution)
    counted = similarity.compare_class(code, solution=solution,
                                       boilerplate=[])
    assert pair_of(ignored, "handed", "solution/")["score"] < 0.05
    assert pair_of(counted, "handed", "solution/")["score"] > 0.1


def test_scores_are_the_same_on_every_run() -> None:
    """copydetect's salted hashing is pinned: a class gets one answer."""
    folders = {"ben": (INDEPENDENT, [])}
    assert similarity.compare_folders(folders) == \
        similarity.compare_folders(folders)


def test_submission_files_are_only_read(tmp_path: Path) -> None:
    """Helpers count; symlinks, huge and non-UTF-8 files are no trouble."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    marker = tmp_path / "ran"
    (folder / "user.py").write_text(
        "open({!r}, 'w').write('ran')\n".format(str(marker)))
    (folder / "db.py").symlink_to(SOLUTION_DIR / "db.py")
    (folder / "auth.py").write_bytes(b"\xff\xfe x = 1\n")
    (folder / "app.py").write_text("x = 1\n" * similarity.MAX_FILE_BYTES)
    (folder / "wrappers.py").write_text("y = 2\n")
    (folder / "not_imported.py").write_text("z = 3\n")
    code = similarity.read_code(folder, ["wrappers.py", "../etc/passwd.py"])
    assert sorted(code) == ["auth.py", "user.py", "wrappers.py"]
    pairs = similarity.compare_folders({"eve": (folder, ["wrappers.py"])})
    assert pairs[0]["a"] == "eve" and not marker.exists()


def test_unusable_thresholds_are_refused_before_grading(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A guarantee below the noise threshold is a usage error."""
    code = cli.main(["roster", str(tmp_path), "--similarity",
                     "--noise-threshold", "30", "--guarantee-threshold",
                     "20", "--allow-unisolated"])
    assert code == cli.EXIT_USAGE
    assert "--guarantee-threshold" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["roster", str(tmp_path), "--similarity-threshold", "2"])


# Disguised copies of the calibration: (copy, its source, what it renames).
DISGUISES = (
    ("copy-of-solution", SOLUTION_DIR, {
        "user": "person", "token": "ticket", "email": "address",
        "response": "answer", "hashed": "digest"}),
    ("copy-of-helpers", FIXTURES / "independent" / "helpers", {
        "account": "member", "fields": "values", "reply": "result",
        "secret": "raw"}),
)


@pytest.fixture(scope="module")
def calibration(tmp_path_factory: pytest.TempPathFactory) -> Dict[
        frozenset, Dict[str, object]]:
    """Score every pair of the calibration set, flagged or not.

    The set is the independent submissions, solution/ and the disguised
    copies; with both limits at zero compare_folders returns every pair.
    """
    root = tmp_path_factory.mktemp("calibration")
    folders = {path.name: (path, []) for path in INDEPENDENTS}
    for name, source, renames in DISGUISES:
        folders[name] = (reordered_copy(source, root / name, renames), [])
    pairs = similarity.compare_folders(folders, similarity.Options(
        threshold=0.0, min_shared=0))
    by_names = {frozenset((str(pair["a"]), str(pair["b"]))): pair
                for pair in pairs}
    for pair in sorted(pairs, key=lambda item: -float(item["score"])):
        print("{:.3f} {:5d}  {} ~ {}".format(pair["score"], pair["shared"],
                                             pair["a"], pair["b"]))
    return by_names


def flagged_by_default(pair: Dict[str, object]) -> bool:
    """Tell whether the default limits flag a pair of these scores."""
    return (float(pair["score"]) >= similarity.SCORE_THRESHOLD
            and int(pair["shared"]) >= similarity.MIN_SHARED)


def test_the_calibration_set_is_many_independent_submissions() -> None:
    """Seven submissions in seven styles, none of them a copy."""
    assert len(INDEPENDENTS) >= 7
    assert INDEPENDENT in INDEPENDENTS


def test_no_independent_pair_is_flagged(
        calibration: Dict[frozenset, Dict[str, object]]) -> None:
    """Work written apart is never flagged, nor against solution/."""
    names = [path.name for path in INDEPENDENTS] + [
        similarity.SOLUTION_NAME]
    flagged = [pair for a, b in itertools.combinations(names, 2)
               for pair in [calibration[frozenset((a, b))]]
               if flagged_by_default(pair)]
    assert not flagged, flagged


def test_every_disguised_copy_is_flagged(
        calibration: Dict[frozenset, Dict[str, object]]) -> None:
    """Renamed, reordered, reworded and reflowed copies are all flagged."""
    for name, source, _ in DISGUISES:
        other = (similarity.SOLUTION_NAME if source == SOLUTION_DIR
                 else source.name)
        pair = calibration[frozenset((name, other))]
        assert flagged_by_default(pair), pair


def test_the_limits_leave_a_margin_on_both_sides(
        calibration: Dict[frozenset, Dict[str, object]]) -> None:
    """The threshold sits well between honest work and copies."""
    copies = {name for name, _, _ in DISGUISES}
    honest = [float(pair["score"]) for key, pair in calibration.items()
              if not key & copies]
    copied = [float(calibration[frozenset((name, similarity.SOLUTION_NAME
                                           if source == SOLUTION_DIR
                                           else source.name))]["score"])
              for name, source, _ in DISGUISES]
    assert max(honest) <= similarity.SCORE_THRESHOLD - 0.05
    assert min(copied) >= similarity.SCORE_THRESHOLD + 0.05


def test_the_contract_written_plainly_is_not_evidence() -> None:
    """The contract's own code shares nothing that counts with solution/."""
    code = {"plain": {name: text for name, text in zip(
        similarity.PYTHON_FILES, similarity.CONTRACT_FILES)}}
    solution = similarity.read_code(SOLUTION_DIR)
    pair = pair_of(similarity.compare_class(code, solution=solution),
                   "plain", similarity.SOLUTION_NAME)
    assert not pair["flagged"], pair
    assert pair["shared"] < similarity.MIN_SHARED / 3, pair


def test_the_command_line_defaults_are_the_calibrated_limits() -> None:
    """roster --similarity uses the limits the calibration chose."""
    assert cli.SIMILARITY_THRESHOLD == similarity.SCORE_THRESHOLD
    assert cli.SIMILARITY_MIN_SHARED == similarity.MIN_SHARED
