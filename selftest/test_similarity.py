#!/usr/bin/env python3
"""roster --similarity: copies are flagged, independent work is not."""
import re
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from kata import cli, similarity
from kata.steps import SOLUTION_DIR, STARTER_DIR, STEPS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "similarity"
# A complete, correct submission written from the contract, in another
# style than solution/ (it grades 21/21).
INDEPENDENT = FIXTURES / "independent"
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
    """The threshold decides: at 0.2 the independent pair is flagged too."""
    pairs = similarity.compare_folders(
        {"ben": (INDEPENDENT, [])}, similarity.Options(threshold=0.2))
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
