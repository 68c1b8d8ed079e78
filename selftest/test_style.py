#!/usr/bin/env python3
"""Tests of kata/style/, the style rules G1-G10 of TASKS.md.

Every rule has a passing and a failing fixture folder under
selftest/fixtures/style/; the remaining tests write small files of their own
to check the edge cases: unreadable, unparsable and hostile files.
"""
import os
import shutil
import stat
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from kata.catalogue.steps import (REPO_ROOT, SOLUTION_DIR, STARTER_DIR,
                                  SUBMISSION_FILES)
from kata.style.checking import (MAX_PROBLEMS_PER_RULE, StyleProblem,
                                 check_file, check_readme)
from kata.style.kinds import PYTHON, FileKind, kind_of
from kata.style.registry import REGISTRY, RULES, Rule, register, rules_for

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "style"
# The checker's own modules, which must pass every rule they check.
STYLE_MODULES = sorted((REPO_ROOT / "kata" / "style").glob("*.py"))
HEADER = '#!/usr/bin/env python3\n"""A small module written by a test."""\n'

# case folder, file name, the (rule, line) of every problem expected.
FIXTURE_CASES: List[Tuple[str, str, List[Tuple[str, int]]]] = [
    ("G1-pass", "user.py", []),
    ("G1-fail", "user.py", [("G1", 1)]),
    ("G2-pass", "user.py", []),
    ("G2-fail", "user.py", [("G2", 7), ("G4", 7)]),
    ("G3-pass", "user.py", []),
    ("G3-fail", "user.py", [("G3", 0)]),
    ("G4-pass", "user.py", []),
    ("G4-fail", "user.py", [("G4", 5), ("G4", 10)]),
    ("G5-pass", "user.py", []),
    ("G5-fail", "user.py", [("G5", 2), ("G5", 5), ("G5", 8), ("G5", 9),
                            ("G5", 14)]),
    ("G6-pass", "user.py", []),
    ("G6-fail", "user.py", [("G6", 8), ("G6", 13), ("G6", 17), ("G6", 17),
                            ("G6", 17), ("G6", 22)]),
    ("G7-pass", "app.py", []),
    ("G7-fail", "app.py", [("G7", 3), ("G7", 4), ("G7", 11), ("G8", 11)]),
    ("G8-pass", "db.py", []),
    ("G8-pass", "auth.py", []),
    ("G8-fail", "auth.py", [("G8", 15), ("G8", 20)]),
    ("G8-fail", "main.py", [("G8", 4), ("G8", 9), ("G8", 10)]),
    ("G9-pass", "README.md", []),
    ("G10-pass", "db.py", []),
    ("G10-fail", "db.py", [("G10", 3), ("G10", 4)]),
    ("G10-fail-syntax", "user.py", [("G10", 7)]),
]


def copy_case(case: str, destination: Path) -> Path:
    """Copy a fixture folder as the checker copies submissions; return it.

    The copy keeps mode bits (shutil.copy2); they are also set here, so the
    G3 fixtures do not depend on how git checked the files out.
    """
    folder = destination / case
    folder.mkdir()
    for source in (FIXTURES / case).iterdir():
        target = folder / source.name
        shutil.copy2(str(source), str(target))
        if source.suffix == ".py":
            os.chmod(str(target), 0o644 if case == "G3-fail" else 0o755)
    return folder


def write(folder: Path, name: str, text: str, mode: int = 0o755) -> Path:
    """Write text (str, or bytes as is) to folder/name with the given mode."""
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    os.chmod(str(path), mode)
    return path


def found(problems: List[StyleProblem],
          rule: str = "") -> List[Tuple[str, int]]:
    """Return the sorted (rule, line) pairs, of one rule if one is given."""
    return sorted((problem.rule, problem.line) for problem in problems
                  if not rule or problem.rule == rule)


def check_source(tmp_path: Path, body: str, name: str = "user.py",
                 min_doc_words: int = 2) -> List[StyleProblem]:
    """Check a module made of HEADER and body, saved under name."""
    write(tmp_path, name, HEADER + body)
    return check_file(tmp_path, name, min_doc_words)


@pytest.mark.parametrize("case, name, expected", FIXTURE_CASES,
                         ids=["{}/{}".format(case, name)
                              for case, name, _ in FIXTURE_CASES])
def test_fixture(tmp_path: Path, case: str, name: str,
                 expected: List[Tuple[str, int]]) -> None:
    """Each fixture gives exactly the problems its rule expects."""
    folder = copy_case(case, tmp_path)
    problems = check_file(folder, name)
    assert found(problems) == sorted(expected), "\n".join(
        problem.message for problem in problems)


def test_every_rule_has_a_passing_and_a_failing_fixture() -> None:
    """The fixture table covers both verdicts of every rule."""
    cases = {case for case, _, _ in FIXTURE_CASES} | {"G9-fail"}
    for rule in RULES:
        assert "{}-pass".format(rule) in cases, rule
        assert "{}-fail".format(rule) in cases, rule
        assert (FIXTURES / "{}-fail".format(rule)).is_dir(), rule


def test_messages_name_file_line_and_rule(tmp_path: Path) -> None:
    """Every message starts with file:line and ends with the rule id.

    A problem of the whole file (line 0) names the file alone: no message
    shows a line 0.
    """
    whole_file = 0
    for case, name, _ in FIXTURE_CASES:
        folder = copy_case(case, tmp_path) if not (tmp_path / case).exists() \
            else tmp_path / case
        for problem in check_file(folder, name):
            assert problem.file == name
            assert problem.rule in RULES
            where = name if problem.line == 0 else "{}:{}".format(
                name, problem.line)
            whole_file += problem.line == 0
            assert problem.message.startswith(where + ": "), problem.message
            assert ":0" not in problem.message, problem.message
            assert problem.message.endswith(
                "({})".format(problem.rule)), problem.message
    assert whole_file, "G3-fail should give a problem of the whole file"


def test_message_example_of_the_api(tmp_path: Path) -> None:
    """A missing return annotation reads as the API's example says."""
    problems = check_source(tmp_path, '\n\ndef valid_login(email: str):\n'
                            '    """Tell whether the login is valid."""\n'
                            '    return True\n', name="auth.py")
    assert [problem.message for problem in problems] == [
        "auth.py:5: function valid_login has no return annotation (write "
        "-> None if it returns nothing) (G6)"]


def test_rules_describe_g1_to_g10() -> None:
    """RULES has one one-line description per rule, G1 to G10 in order."""
    assert list(RULES) == ["G{}".format(n) for n in range(1, 11)]
    for description in RULES.values():
        assert description and "\n" not in description


def test_problems_are_frozen() -> None:
    """A StyleProblem cannot be changed once made."""
    problem = StyleProblem("G3", "db.py", 0, "db.py: x (G3)")
    with pytest.raises(AttributeError):
        problem.line = 2  # type: ignore


@pytest.mark.parametrize("folder", [SOLUTION_DIR, STARTER_DIR],
                         ids=["solution", "starter"])
def test_reference_files_are_clean(folder: Path, tmp_path: Path) -> None:
    """The solution and the starter break no rule, also once copied."""
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in SUBMISSION_FILES:
        if (folder / name).exists():
            shutil.copy2(str(folder / name), str(copy / name))
    for where in (folder, copy):
        for name in SUBMISSION_FILES:
            problems = check_file(where, name)
            assert problems == [], [problem.message for problem in problems]
        assert check_readme(where) == []


@pytest.mark.parametrize("path", STYLE_MODULES + [Path(__file__)],
                         ids=[path.name for path in STYLE_MODULES] +
                         ["test_style.py"])
def test_the_checker_follows_its_own_rules(path: Path) -> None:
    """kata/style/'s modules and this test file pass the rules they check."""
    problems = check_file(path.parent, path.name)
    assert problems == [], [problem.message for problem in problems]


def test_missing_file_gives_no_problem(tmp_path: Path) -> None:
    """The caller reports missing files, so check_file says nothing."""
    assert check_file(tmp_path, "auth.py") == []
    assert check_file(tmp_path, "README.md") == []
    assert check_file(tmp_path / "nowhere", "auth.py") == []


def test_checks_print_nothing(tmp_path: Path,
                              capsys: pytest.CaptureFixture) -> None:
    """pycodestyle runs quietly: problems are returned, not printed."""
    folder = copy_case("G4-fail", tmp_path)
    assert check_file(folder, "user.py")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_project_config_cannot_weaken_pycodestyle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A setup.cfg or tox.ini in the submission does not change G4."""
    folder = copy_case("G4-fail", tmp_path)
    for config in ("setup.cfg", "tox.ini"):
        write(folder, config, "[pycodestyle]\nignore = E225,E501\n"
              "max-line-length = 200\n", 0o644)
    monkeypatch.chdir(folder)
    assert found(check_file(folder, "user.py")) == [("G4", 5), ("G4", 10)]


def test_pycodestyle_default_ignores_apply(tmp_path: Path) -> None:
    """Checks pycodestyle skips by default (W503 here) are not reported."""
    problems = check_source(tmp_path, "\nTOTAL = (1\n         + 2)\n")
    assert problems == [], [problem.message for problem in problems]


def test_many_problems_are_capped(tmp_path: Path) -> None:
    """A file with hundreds of problems gives a bounded, summed-up list."""
    problems = check_source(tmp_path, "x=1\n" * 200)
    assert len(problems) == MAX_PROBLEMS_PER_RULE + 1
    assert "and 150 more" in problems[-1].message


def test_shebang_variants(tmp_path: Path) -> None:
    """G1 wants the exact line: no CRLF, no BOM, no other interpreter."""
    crlf = HEADER.replace("\n", "\r\n").encode("utf-8")
    for name, data in (("crlf.py", crlf),
                       ("bom.py", b"\xef\xbb\xbf" + HEADER.encode("utf-8")),
                       ("env.py", b"#!/usr/bin/env python\n" +
                        HEADER.encode("utf-8").split(b"\n", 1)[1]),
                       ("space.py", b"#! /usr/bin/env python3\n" +
                        HEADER.encode("utf-8").split(b"\n", 1)[1])):
        write(tmp_path, name, data)
        assert found(check_file(tmp_path, name), "G1") == [("G1", 1)]
    assert "CRLF" in check_file(tmp_path, "crlf.py")[0].message


def test_empty_python_file(tmp_path: Path) -> None:
    """An empty file lacks its shebang and its module docstring."""
    write(tmp_path, "main.py", "")
    assert found(check_file(tmp_path, "main.py")) == [("G1", 1), ("G5", 0)]


def test_binary_file_is_a_problem(tmp_path: Path) -> None:
    """A NUL byte makes a binary file: one problem at its line."""
    write(tmp_path, "db.py", HEADER.encode("utf-8") + b"x = 1\x00\n")
    assert found(check_file(tmp_path, "db.py")) == [("G10", 3)]


def test_not_utf8_is_a_problem(tmp_path: Path) -> None:
    """A byte that is not UTF-8 is reported at its line, without raising."""
    write(tmp_path, "db.py", HEADER.encode("utf-8") + b"# caf\xe9\n")
    problems = check_file(tmp_path, "db.py")
    assert found(problems) == [("G10", 3)]
    assert "UTF-8" in problems[0].message


def test_unknown_coding_is_a_problem(tmp_path: Path) -> None:
    """A coding declaration Python does not know stops it reading the file."""
    write(tmp_path, "db.py", "#!/usr/bin/env python3\n# coding: nowhere\n"
          '"""A module with a strange coding line."""\n')
    assert found(check_file(tmp_path, "db.py")) == [("G10", 0)]


def test_huge_file_is_reported_not_checked(tmp_path: Path) -> None:
    """A file far bigger than any of the exercise gives one quick problem."""
    write(tmp_path, "app.py", HEADER + "x = 1 + " * 40000 + "1\n")
    problems = check_file(tmp_path, "app.py")
    assert found(problems) == [("G4", 0)]
    assert "larger than" in problems[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_files_that_are_not_regular(tmp_path: Path) -> None:
    """A directory or a FIFO named like a module is a problem, not a hang."""
    (tmp_path / "user.py").mkdir()
    os.mkfifo(str(tmp_path / "db.py"))
    (tmp_path / "auth.py").symlink_to("/dev/zero")
    for name in ("user.py", "db.py", "auth.py"):
        assert found(check_file(tmp_path, name)) == [("G10", 0)]


def test_unparsable_file_skips_the_tree_rules(tmp_path: Path) -> None:
    """A syntax error is reported with its line; G5-G8 are not judged."""
    problems = check_source(tmp_path, "\n\ndef f(x):\n    return (x\n"
                            "\n\ndef g(:\n    pass\n", name="app.py")
    rules = {problem.rule for problem in problems}
    assert found(problems, "G10") and not rules & {"G5", "G6", "G7", "G8"}
    assert all(problem.line > 0 for problem in problems
               if problem.rule == "G10")


@pytest.mark.parametrize("body, line", [
    ("\nif (n := 3):\n    pass\n", 4),
    ("\n\ndef f(a: int, /) -> int:\n    \"\"\"Return a.\"\"\"\n"
     "    return a\n", 5),
    ("\nX = [1, 2]\n\n\n@X[0].real\ndef f() -> None:\n"
     "    \"\"\"Do nothing at all.\"\"\"\n", 7),
    ("\n\ndef f(a: list) -> tuple:\n    \"\"\"Return a tuple.\"\"\"\n"
     "    return 1, *a\n", 7),
    ("\nfor i in range(3):\n    try:\n        pass\n    finally:\n"
     "        continue\n", 8),
    ("\nwith (open('a') as a, open('b') as b):\n    pass\n", 4),
], ids=["walrus", "positional-only", "decorator", "star-return",
        "continue-in-finally", "parenthesized-with"])
def test_newer_python_syntax(tmp_path: Path, body: str, line: int) -> None:
    """Syntax newer than Python 3.7 is a G10 problem at its line."""
    problems = check_source(tmp_path, body)
    lines = [number for rule, number in found(problems, "G10")]
    assert lines and abs(lines[0] - line) <= 1, [
        problem.message for problem in problems]


def test_newer_syntax_does_not_hide_other_rules(tmp_path: Path) -> None:
    """Code only Python 3.8 parses is still judged by G5 and G6."""
    problems = check_source(tmp_path, "\n\ndef f(n):\n"
                            "    return (m := n)\n")
    assert {"G5", "G6", "G10"} <= {problem.rule for problem in problems}


def test_python37_syntax_is_fine(tmp_path: Path) -> None:
    """f-strings, starred assignment and async code all parse in 3.7."""
    problems = check_source(tmp_path, (
        "\n\nasync def f(a: list, *rest: int) -> str:\n"
        "    \"\"\"Return a text built in several ways.\"\"\"\n"
        "    first, *others = a\n    b = (1, *a)\n"
        "    for item in (1, *a):\n        continue\n"
        "    return f\"{first!r:>10} {others} {b}\"\n"))
    assert problems == [], [problem.message for problem in problems]


def test_min_doc_words_can_be_raised(tmp_path: Path) -> None:
    """A three-word docstring passes at 2 and 3 words, fails at 4."""
    body = '\n\ndef f() -> None:\n    """Do nothing here."""\n'
    assert check_source(tmp_path, body, min_doc_words=3) == []
    assert found(check_source(tmp_path, body, min_doc_words=4)) == [
        ("G5", 6)]
    assert found(check_source(tmp_path, body, min_doc_words=8)) == [
        ("G5", 2), ("G5", 6)]


def test_punctuation_is_not_a_word(tmp_path: Path) -> None:
    """A docstring of one word and a dash still counts as one word."""
    problems = check_source(tmp_path, '\n\ndef f() -> None:\n    """Hi -"""\n')
    assert found(problems) == [("G5", 6)]
    assert "not a real sentence" in problems[0].message


@pytest.mark.parametrize("signature, missing", [
    ("def f(self) -> None:", 1),
    ("def f(*, key) -> None:", 1),
    ("def f(**options) -> None:", 1),
    ("def f(a: int, *args) -> None:", 1),
    ("async def f(a: int) :", 1),
    ("def f(a: int, b: str = 'x', *c: int, d: int, **e: str) -> None:", 0),
], ids=["self-of-function", "keyword-only", "kwargs", "args", "async",
        "all-annotated"])
def test_function_annotations(tmp_path: Path, signature: str,
                              missing: int) -> None:
    """Every parameter of a plain function is annotated, and its return."""
    signature = signature.replace(" :", ":")
    problems = check_source(tmp_path, "\n\n{}\n    \"\"\"Do nothing at "
                            "all.\"\"\"\n".format(signature))
    assert len(found(problems, "G6")) == missing, [
        problem.message for problem in problems]


def test_method_annotations(tmp_path: Path) -> None:
    """self and cls are exempt in methods, but not in static methods."""
    problems = check_source(tmp_path, '''

class A:
    """A class with methods of every kind."""

    def __new__(cls) -> "A":
        """Make the object."""
        return super().__new__(cls)

    @staticmethod
    def make(cls) -> "A":
        """Make an object from a static method."""
        return cls()

    def run(self) -> None:
        """Run with a helper inside."""
        def helper(self) -> None:
            """Help the running method."""
''')
    assert found(problems) == [("G6", 13), ("G6", 19)], [
        problem.message for problem in problems]


@pytest.mark.parametrize("body, expected", [
    ("import db\n", 1),
    ("import db as database\n", 1),
    ("from db import DB\n", 1),
    ("from .db import DB\n", 1),
    ("from auth import DB\n", 1),
    ("import auth as DB\n", 1),
    ("import auth\n\nX = auth.DB\n", 1),
    ("from auth import Auth\n\nX = getattr(Auth(), '_db')\n", 1),
    ("import dbus\nfrom auth import Auth\n", 0),
], ids=["import-db", "import-db-as", "from-db", "relative", "DB-from-auth",
        "as-DB", "attribute-DB", "getattr-_db", "other-modules"])
def test_app_talks_only_to_auth(tmp_path: Path, body: str,
                                expected: int) -> None:
    """G7 finds every way app.py could reach the database."""
    problems = check_source(tmp_path, body, name="app.py")
    assert len(found(problems, "G7")) == expected, [
        problem.message for problem in problems]


def test_g7_is_about_app_only(tmp_path: Path) -> None:
    """Other files may import DB: auth.py must."""
    problems = check_source(tmp_path, "from db import DB\n", name="auth.py")
    assert problems == []


def test_private_members_by_file(tmp_path: Path) -> None:
    """_session and _engine belong to DB in db.py, _db to Auth in auth.py."""
    db_source = (FIXTURES / "G8-pass" / "db.py").read_text()
    write(tmp_path, "user.py", db_source)
    assert found(check_file(tmp_path, "user.py")) == [
        ("G8", 10), ("G8", 11), ("G8", 15)]
    problems = check_source(tmp_path, '''

class DB:
    """A class that is DB in name only."""

    def wrong(self) -> object:
        """Use the attribute of another class."""
        return self._db
''', name="db.py")
    assert found(problems) == [("G8", 10)]


def test_private_functions_in_any_form(tmp_path: Path) -> None:
    """getattr and from-imports of the auth helpers count as uses too."""
    problems = check_source(tmp_path, '''import auth
from auth import _generate_uuid as make

TOKEN = getattr(auth, "_generate_uuid")()
''', name="app.py")
    assert found(problems) == [("G8", 4), ("G8", 6)]


@pytest.mark.parametrize("body, expected", [
    ("import sqlalchemy.exc\n\nE = sqlalchemy.exc.NoResultFound\n", [5]),
    ("from sqlalchemy import exc\n\nE = exc.NoResultFound\n", [5]),
    ("import sqlalchemy as sa\n\nBase = sa.orm.declarative_base()\n", [5]),
    ("from sqlalchemy.orm import Mapped, mapped_column\n", [3]),
    ("from sqlalchemy.orm import DeclarativeBase\n", [3]),
    ("from sqlalchemy.future import select\n", [3]),
    ("from sqlalchemy.orm import exc\n\nE = exc.NoResultFound\n", []),
    ("from sqlalchemy.orm import sessionmaker\n", []),
], ids=["module-attribute", "exc-module", "alias", "mapped", "declarative",
        "future", "orm-exc", "sessionmaker"])
def test_sqlalchemy_13_names(tmp_path: Path, body: str,
                             expected: List[int]) -> None:
    """Names SQLAlchemy 1.3 lacks are G10 problems, wherever they come from."""
    problems = check_source(tmp_path, body, name="db.py")
    assert [line for _, line in found(problems, "G10")] == expected, [
        problem.message for problem in problems]


def test_readme_presence(tmp_path: Path) -> None:
    """check_readme wants README.md itself, and names a misnamed one."""
    folder = copy_case("G9-fail", tmp_path)
    problems = check_readme(folder)
    assert found(problems) == [("G9", 0)]
    assert "Readme.md" in problems[0].message
    assert check_file(folder, "README.md") == []
    assert check_readme(copy_case("G9-pass", tmp_path)) == []
    (tmp_path / "README.md").mkdir()
    assert found(check_readme(tmp_path)) == [("G9", 0)]
    assert check_file(tmp_path, "README.md") == []


@pytest.mark.parametrize("data, g9, g2", [
    (b"# Project\n", [], []),
    (b"  \n", [("G9", 0)], []),
    (b"# Project", [], [("G2", 1)]),
    (b"# Caf\xe9\n", [("G9", 1)], []),
    (b"\x89PNG\r\n\x1a\n\x00\x00", [("G9", 3)], []),
], ids=["good", "empty", "no-newline", "latin-1", "binary"])
def test_readme_content(tmp_path: Path, data: bytes,
                        g9: List[Tuple[str, int]],
                        g2: List[Tuple[str, int]]) -> None:
    """README.md is non-empty UTF-8 text (G9) ending with a newline (G2).

    check_readme judges G9 and check_file the other rules, so that no
    problem is reported twice.
    """
    write(tmp_path, "README.md", data, 0o644)
    assert found(check_readme(tmp_path)) == g9
    assert found(check_file(tmp_path, "README.md")) == g2


def test_mode_bits_survive_copy2(tmp_path: Path) -> None:
    """G3 reads the mode bits, which shutil.copy2 keeps."""
    source = write(tmp_path, "user.py", (FIXTURES / "G3-pass" /
                                         "user.py").read_text(), 0o644)
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy2(str(source), str(copy / "user.py"))
    assert found(check_file(copy, "user.py")) == [("G3", 0)]
    os.chmod(str(source), stat.S_IRWXU)
    shutil.copy2(str(source), str(copy / "user.py"))
    assert check_file(copy, "user.py") == []


def test_rule_of_each_fixture_folder() -> None:
    """A failing fixture's problems include the rule it is named after."""
    expected: Dict[str, List[str]] = {}
    for case, _, problems in FIXTURE_CASES:
        if "-fail" in case:
            expected.setdefault(case.split("-")[0], []).extend(
                rule for rule, _ in problems)
    for rule, named in expected.items():
        assert rule in named, rule


def test_registry_declares_which_files_each_rule_judges() -> None:
    """G7 judges app.py only, G9 the README, helpers get G1-G6, ..."""
    def ids(kind: FileKind) -> List[str]:
        """Return the ids of the rules of a kind of file."""
        return [rule.id for rule in rules_for(kind)]

    python = ["G1", "G2", "G3", "G4", "G5", "G6"]
    assert ids(FileKind.APP) == python + ["G7", "G8", "G10"]
    assert ids(FileKind.MODULE) == python + ["G8", "G10"]
    assert ids(FileKind.HELPER) == python
    assert ids(FileKind.README) == ["G9"]
    assert ids(FileKind.TEXT) == ["G2"]
    assert RULES == {rule.id: rule.title for rule in REGISTRY.values()}
    assert REGISTRY["G4"].reference == "steps/STYLE.md#g4"
    assert [kind_of(name) for name in (
        "app.py", "user.py", "README.md", "notes.txt")] == [
        FileKind.APP, FileKind.MODULE, FileKind.README,
        FileKind.TEXT]
    assert kind_of("wrappers.py", helper=True) is FileKind.HELPER


def test_a_rule_is_declared_once() -> None:
    """Declaring an id again is refused; the registry keeps the first."""
    first = REGISTRY["G1"]
    with pytest.raises(ValueError, match="G1 is declared twice"):
        register(Rule("G1", "again", PYTHON, lambda source: []))
    assert REGISTRY["G1"] is first


def test_a_helper_module_gets_only_its_rules(tmp_path: Path) -> None:
    """kind=HELPER runs G1-G6: a helper may use DB's private members."""
    body = ('\n\ndef peek(db: object) -> object:\n'
            '    """Return the session of a DB, privately."""\n'
            '    return db._session\n')
    assert found(check_source(tmp_path, body, name="wrappers.py")) == [
        ("G8", 7)]
    assert check_file(tmp_path, "wrappers.py", kind=FileKind.HELPER) == []
    (tmp_path / "wrappers.py").chmod(0o644)
    assert found(check_file(tmp_path, "wrappers.py",
                            kind=FileKind.HELPER)) == [("G3", 0)]
