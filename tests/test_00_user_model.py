#!/usr/bin/env python3
"""Spec of step 00: the User model in user.py, mapped on table users."""
import pytest

from spec_support import Remote, Submission

COLUMNS = ("id", "email", "hashed_password", "session_id", "reset_token")
STRING_COLUMNS = {"email": False, "hashed_password": False,
                  "session_id": True, "reset_token": True}


def users_table(submission: Submission) -> Remote:
    """Return the table the submission's User is mapped on."""
    user = submission.get("user", "User")
    table = getattr(user, "__table__", None)
    assert table is not None, (
        "User must be a mapped SQLAlchemy class (a subclass of Base)")
    return table


def test_base_is_a_declarative_base(submission: Submission) -> None:
    """Base is the declarative base that User derives from."""
    base = submission.get("user", "Base")
    user = submission.get("user", "User")
    assert hasattr(base, "metadata"), (
        "Base must be a SQLAlchemy declarative base (declarative_base())")
    assert user.is_class and user.is_subclass(base), (
        "User must be a subclass of Base")


def test_table_is_named_users(submission: Submission) -> None:
    """The table is users, plural."""
    # SQLAlchemy names are quoted_name, a str subclass kept in the subject.
    name = str(users_table(submission).name)
    assert name == "users", (
        "User's table must be named 'users'; it is named {!r}".format(name))


def test_columns_are_exactly_the_five(submission: Submission) -> None:
    """The table has exactly the five columns of the task."""
    names = {str(name) for name in users_table(submission).columns.keys()}
    missing = [name for name in COLUMNS if name not in names]
    extra = sorted(names - set(COLUMNS))
    assert not missing, "table users lacks the column(s) {}".format(
        ", ".join(missing))
    assert not extra, "table users has unexpected column(s) {}".format(
        ", ".join(extra))


def test_id_is_an_integer_primary_key(submission: Submission) -> None:
    """The id column is the integer primary key."""
    column = users_table(submission).columns["id"]
    assert column.primary_key, "users.id must be the primary key"
    assert column.type.python_type is int, (
        "users.id must be an Integer; it is {}".format(column.type))


@pytest.mark.parametrize("name", sorted(STRING_COLUMNS))
def test_string_column_has_length_250(submission: Submission,
                                      name: str) -> None:
    """Every other column is a String(250)."""
    table = users_table(submission)
    if name not in table.columns:
        pytest.fail("table users lacks the column {}".format(name),
                    pytrace=False)
    column = table.columns[name]
    length = getattr(column.type, "length", None)
    assert column.type.python_type is str and length == 250, (
        "users.{} must be String(250), which SQL prints VARCHAR(250); it is "
        "{}".format(name, column.type))


@pytest.mark.parametrize("name,nullable", sorted(STRING_COLUMNS.items()))
def test_nullability(submission: Submission, name: str,
                     nullable: bool) -> None:
    """email and hashed_password are required; the two tokens are optional."""
    table = users_table(submission)
    if name not in table.columns:
        pytest.fail("table users lacks the column {}".format(name),
                    pytrace=False)
    column = table.columns[name]
    if nullable:
        assert column.nullable, (
            "users.{} must allow NULL: a user has no {} until one is "
            "issued".format(name, name))
    else:
        assert not column.nullable, (
            "users.{} must be NOT NULL (nullable=False): a user without "
            "one cannot exist".format(name))


def test_create_table_statement(submission: Submission) -> None:
    """The SQL of the table says VARCHAR(250) and NOT NULL where due.

    What else a column's line declares (a DEFAULT, a COLLATE, a CHECK) is
    the student's choice: the contract fixes only the type and whether
    NULL is allowed.
    """
    create_table = submission.library("sqlalchemy.schema.CreateTable")
    sql = str(create_table(users_table(submission)))
    for name, nullable in STRING_COLUMNS.items():
        line = next((text.strip() for text in sql.splitlines()
                     if text.strip().startswith(name + " ")), "")
        declared = line.rstrip(",")
        expected = "{} VARCHAR(250){}".format(
            name, "" if nullable else " NOT NULL")
        typed = declared.split()[1:2] == ["VARCHAR(250)"]
        assert typed and ("NOT NULL" in declared) != nullable, (
            "CREATE TABLE users must declare '{}'; it declares {!r}".format(
                expected, declared))
