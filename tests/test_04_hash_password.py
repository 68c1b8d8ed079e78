#!/usr/bin/env python3
"""Spec of step 04: _hash_password in auth.py returns a salted bcrypt hash."""
import hashlib
import re
from typing import Any, Callable, Tuple

import bcrypt
import pytest
from hypothesis import assume, example, given, strategies as st

from spec_support import Remote, Submission, short

PASSWORD = "correct horse battery staple"
# Any text without NUL (bcrypt stops reading a password at a NUL byte), cut
# to bcrypt's limit of 72 UTF-8 bytes on a character boundary. The empty
# password is one of them: the contract says any password up to 72 bytes.
PASSWORDS = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=72).map(
    lambda text: text.encode("utf-8")[:72].decode("utf-8", "ignore"))
# A real bcrypt hash: version, the default cost 12, 53 characters of salt
# and digest.
DEFAULT_COST_HASH = re.compile(rb"\$2[aby]\$12\$[./A-Za-z0-9]{53}")


def kind_name(value: Any) -> str:
    """Return the short name of a value's class, local or in the subject."""
    if isinstance(value, Remote):
        return value.type_name
    return type(value).__name__


def hash_password(submission: Submission) -> Callable[[str], Any]:
    """Return the submission's module-level _hash_password function."""
    return submission.get("auth", "_hash_password")


def check(password: str, hashed: Any) -> Tuple[bool, str]:
    """Return whether bcrypt.checkpw accepts password, and why not."""
    if not isinstance(hashed, bytes):
        return False, "it returned {}, not bytes".format(kind_name(hashed))
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed), ""
    except ValueError as error:
        return False, "bcrypt cannot read {} as a bcrypt hash ({})".format(
            short(hashed), error)


def test_returns_bytes(submission: Submission) -> None:
    """The hash is bytes, as bcrypt.hashpw returns it."""
    hashed = hash_password(submission)(PASSWORD)
    assert isinstance(hashed, bytes), (
        "_hash_password must return bytes (what bcrypt.hashpw returns); it "
        "returned a {}: {}".format(kind_name(hashed), short(hashed)))


def test_is_not_the_password(submission: Submission) -> None:
    """The password itself is never the result."""
    hashed = hash_password(submission)(PASSWORD)
    assert hashed not in (PASSWORD, PASSWORD.encode("utf-8")), (
        "_hash_password must not return the password itself: anyone who "
        "reads the database would read every password")


def test_is_not_an_unsalted_digest(submission: Submission) -> None:
    """A plain sha256 or md5 digest is not a password hash."""
    hashed = hash_password(submission)(PASSWORD)
    data = PASSWORD.encode("utf-8")
    for name in ("sha256", "md5"):
        digest = hashlib.new(name, data)
        assert hashed not in (digest.digest(), digest.hexdigest(),
                              digest.hexdigest().encode("ascii")), (
            "_hash_password must not return a plain {} digest: it is "
            "unsalted and fast, so an attacker with the database cracks it "
            "with precomputed tables; use bcrypt".format(name))


def test_two_hashes_of_one_password_differ(submission: Submission) -> None:
    """Every call uses a fresh salt, so the same password hashes anew."""
    function = hash_password(submission)
    first, second = function(PASSWORD), function(PASSWORD)
    assert first != second, (
        "two calls of _hash_password with the same password must give "
        "different hashes (a new bcrypt.gensalt() every time); both gave "
        "{}, so equal passwords show up as equal hashes".format(short(first)))


@given(password=PASSWORDS, other=PASSWORDS)
@example(password="", other=PASSWORD)
@example(password=PASSWORD, other="")
def test_checkpw_accepts_only_the_password(submission: Submission,
                                           password: str,
                                           other: str) -> None:
    """For any password, bcrypt.checkpw accepts it and rejects others."""
    assume(password != other)
    hashed = hash_password(submission)(password)
    accepted, why = check(password, hashed)
    assert accepted, (
        "bcrypt.checkpw must accept the password {} against the result of "
        "_hash_password({}); {}".format(
            short(password), short(password),
            why or "it refused it"))
    accepted, why = check(other, hashed)
    assert not accepted, (
        "bcrypt.checkpw must reject the password {} against the result of "
        "_hash_password({}); it accepted it".format(
            short(other), short(password)))


@pytest.mark.real_bcrypt
def test_real_bcrypt_hash_with_default_cost(submission: Submission) -> None:
    """The result is a real bcrypt hash made with gensalt()'s default cost.

    That it matches the password is the property above, at a lower cost:
    checking it again at cost 12 would only make every run slower.
    """
    hashed = hash_password(submission)(PASSWORD)
    assert isinstance(hashed, bytes) and \
        DEFAULT_COST_HASH.fullmatch(hashed), (
            "_hash_password must return a bcrypt hash made with "
            "bcrypt.gensalt() and its default cost 12, like "
            "b'$2b$12$' followed by 53 characters; it returned {}".format(
                short(hashed)))
