#!/usr/bin/env python3
"""The judge reads a hostile a.db within bounds of time and memory.

Each case writes an a.db the way a submission could, then has the judge's
reader (``Submission.stored_user`` and ``Submission.rows`` of
tests/spec_support.py) read it in a fresh child process. Every read must
end as a failed check with a reason, or as an ordinary answer, and the
reading may add no more than READER_GROWTH_MB to the child's peak resident
memory, where an unbounded reader of the view case grew to gigabytes.
"""
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from kata.catalogue.steps import REPO_ROOT, SPECS_DIR

sys.path.insert(0, str(SPECS_DIR))
import spec_support  # noqa: E402

# The child's peak RSS: the interpreter with pytest, werkzeug and the
# specs' helpers takes about 35 MB before it reads anything.
# How much reading may add to the peak resident memory of a process that
# has imported the judge's libraries (their own size depends on the Python).
READER_GROWTH_MB = 64
USERS = ("CREATE TABLE {} (id INTEGER PRIMARY KEY, email VARCHAR(250) NOT "
         "NULL, hashed_password VARCHAR(250) NOT NULL, session_id "
         "VARCHAR(250), reset_token VARCHAR(250))")
BOB = "INSERT INTO {} (email, hashed_password) VALUES ('bob@example.com', 'h')"
# Read in the child: the judge's three kinds of reading.
CHILD = """
import json, resource, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from pathlib import Path
import pytest
import spec_support
submission = spec_support.Submission(None, Path("."), Path(sys.argv[3]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
readings = (lambda: submission.stored_user("bob@example.com"),
            lambda: submission.rows("SELECT * FROM users"),
            lambda: submission.rows("SELECT COUNT(*) FROM users"))
outcomes = []
for reading in readings:
    try:
        outcomes.append(["read", repr(reading())[:200]])
    except pytest.fail.Exception as failure:
        outcomes.append(["failed", str(failure.msg)])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcomes": outcomes, "peak_kb": peak,
                  "before_kb": before}))
"""
Statements = List[str]
CASES: Dict[str, Statements] = {
    "honest": [USERS.format("users"), BOB.format("users")],
    "view-of-randomblob": [
        USERS.format("real_users"), BOB.format("real_users"),
        "CREATE VIEW users AS SELECT id, randomblob(900000000) AS email, "
        "randomblob(900000000) AS hashed_password, NULL AS session_id, "
        "NULL AS reset_token FROM real_users"],
    "endless-view": [
        USERS.format("real_users"),
        "CREATE VIEW users AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
        "SELECT i + 1 FROM n) SELECT i AS id, 'bob@example.com' AS email, "
        "'h' AS hashed_password, NULL AS session_id, NULL AS reset_token "
        "FROM n"],
    "trigger-named-users": [
        USERS.format("accounts"), BOB.format("accounts"),
        "CREATE TRIGGER users AFTER INSERT ON accounts BEGIN SELECT "
        "randomblob(900000000); END"],
    "virtual-table": [
        "CREATE VIRTUAL TABLE users USING fts5(email, hashed_password)"],
    "a-million-rows": [
        USERS.format("users"), BOB.format("users"),
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
        "WHERE i < 1000000) INSERT INTO users (email, hashed_password) "
        "SELECT 'u', 'h' FROM n"],
    "a-12-mb-value": [
        USERS.format("users"),
        "INSERT INTO users (email, hashed_password) VALUES "
        "('bob@example.com', CAST(zeroblob(12000000) AS TEXT))"],
    "generated-900-mb-column": [
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, "
        "hashed_password TEXT, session_id TEXT, reset_token TEXT, huge "
        "BLOB GENERATED ALWAYS AS (zeroblob(900000000)) VIRTUAL)",
        BOB.format("users")],
    "1500-columns": [
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, "
        "hashed_password TEXT, " + ", ".join(
            "c{} TEXT".format(number) for number in range(1500)) + ")"],
}
# What each case's three readings must say: a text its failure holds, or
# "read" for an ordinary answer.
EXPECTED: Dict[str, List[str]] = {
    "honest": ["read", "read", "read"],
    "view-of-randomblob": ["users in a.db is a view, not a table"] * 3,
    "endless-view": ["users in a.db is a view, not a table"] * 3,
    "trigger-named-users": ["users in a.db is a trigger, not a table"] * 3,
    "virtual-table": ["users in a.db is a virtual table, not a table"] * 3,
    "a-million-rows": ["read", "gives more than 10000 rows", "read"],
    "a-12-mb-value": ["string or blob too big", "string or blob too big",
                      "read"],
    "generated-900-mb-column": ["string or blob too big",
                                "string or blob too big", "read"],
    "1500-columns": ["too many columns on users"] * 3,
}


def write_database(folder: Path, statements: Statements) -> Path:
    """Write an a.db made by statements into folder; return the folder."""
    folder.mkdir(parents=True)
    connection = sqlite3.connect(str(folder / "a.db"))
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()
    return folder


def read_in_child(folder: Path) -> Dict[str, Any]:
    """Read folder's a.db with the judge's reader in a new process."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(REPO_ROOT), str(SPECS_DIR),
         str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result: Dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_database_is_read_within_bounds(case: str,
                                                tmp_path: Path) -> None:
    """Each reading answers or fails with its reason, in little memory."""
    folder = write_database(tmp_path / case, CASES[case])
    assert (folder / "a.db").stat().st_size < spec_support.DATABASE_LIMIT
    result = read_in_child(folder)
    for (how, text), expected in zip(result["outcomes"], EXPECTED[case]):
        if expected == "read":
            assert how == "read", text
        else:
            assert how == "failed" and expected in text, text
    grown_mb = (result["peak_kb"] - result["before_kb"]) / 1024
    assert grown_mb < READER_GROWTH_MB, "reading grew the reader's peak " \
        "RSS by {:.0f} MB".format(grown_mb)


def test_a_long_query_is_interrupted(tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A statement that runs on and on is stopped by the step budget."""
    monkeypatch.setattr(spec_support, "DATABASE_SECONDS", 60.0)
    connection = sqlite3.connect(":memory:")
    spec_support.guard_database(connection)
    endless = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
               "FROM n) SELECT COUNT(*) FROM n")
    with pytest.raises(sqlite3.OperationalError, match="interrupt"):
        connection.execute(endless).fetchall()
    connection.close()


def test_an_interrupted_read_is_a_failed_check() -> None:
    """The time budget's interruption reads as a sentence, not a crash."""
    with pytest.raises(pytest.fail.Exception, match="took longer than"):
        with spec_support._database_errors():
            raise sqlite3.OperationalError("interrupted")


def test_the_limits_hold_even_for_a_view(tmp_path: Path) -> None:
    """Without the table check, SQLite's own limits refuse huge values."""
    folder = write_database(tmp_path / "view",
                            CASES["view-of-randomblob"])
    connection = sqlite3.connect("file:{}?mode=ro&immutable=1".format(
        folder / "a.db"), uri=True)
    spec_support.guard_database(connection)
    with pytest.raises(sqlite3.DataError, match="too big"):
        spec_support.bounded_rows(connection.execute("SELECT * FROM users"))
    connection.close()
