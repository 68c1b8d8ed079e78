#!/usr/bin/env python3
"""Authentication: password hashing, sessions and reset tokens over DB."""
import uuid
from typing import Optional, Union

import bcrypt
from sqlalchemy.orm.exc import NoResultFound

from db import DB
from user import User


def _hash_password(password: str) -> bytes:
    """Return a salted bcrypt hash of the password."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt())


def _as_bytes(hashed: Union[bytes, str]) -> bytes:
    """Return a stored hash as bytes, whether it was stored as bytes or str."""
    return hashed.encode("utf-8") if isinstance(hashed, str) else hashed


def _generate_uuid() -> str:
    """Return the text form of a new random UUID."""
    return str(uuid.uuid4())


class Auth:
    """The service's only door to the user database."""

    def __init__(self) -> None:
        """Create the database this object works on."""
        self._db = DB()

    def register_user(self, email: str, password: str) -> User:
        """Register a new user; raise ValueError if the email is taken."""
        try:
            self._db.find_user_by(email=email)
        except NoResultFound:
            return self._db.add_user(email, _hash_password(password))
        raise ValueError("User {} already exists".format(email))

    def valid_login(self, email: str, password: str) -> bool:
        """Tell whether the password is the one of the registered email."""
        try:
            user = self._db.find_user_by(email=email)
        except NoResultFound:
            return False
        return bcrypt.checkpw(password.encode("utf-8"),
                              _as_bytes(user.hashed_password))

    def create_session(self, email: str) -> Optional[str]:
        """Start a new session for the email's user and return its id.

        Return None when the email is not registered.
        """
        try:
            user = self._db.find_user_by(email=email)
        except NoResultFound:
            return None
        session_id = _generate_uuid()
        self._db.update_user(user.id, session_id=session_id)
        return session_id

    def get_user_from_session_id(self,
                                 session_id: Optional[str]) -> Optional[User]:
        """Return the user holding the session id, or None if there is none."""
        # A filter on None would match every user without a session.
        if session_id is None:
            return None
        try:
            return self._db.find_user_by(session_id=session_id)
        except NoResultFound:
            return None

    def destroy_session(self, user_id: int) -> None:
        """End the session of the given user."""
        self._db.update_user(user_id, session_id=None)

    def get_reset_password_token(self, email: str) -> str:
        """Store and return a new reset token for the email's user.

        Raise ValueError when the email is not registered.
        """
        try:
            user = self._db.find_user_by(email=email)
        except NoResultFound:
            raise ValueError("no user is registered with {}".format(email))
        token = _generate_uuid()
        self._db.update_user(user.id, reset_token=token)
        return token

    def update_password(self, reset_token: Optional[str],
                        password: str) -> None:
        """Set a new password for the token's user and spend the token.

        Raise ValueError when the token belongs to nobody.
        """
        # A filter on None would match every user without a token.
        if reset_token is None:
            raise ValueError("a reset token is required")
        try:
            user = self._db.find_user_by(reset_token=reset_token)
        except NoResultFound:
            raise ValueError("this reset token is not valid")
        hashed = _hash_password(password)
        self._db.update_user(user.id, hashed_password=hashed,
                             reset_token=None)
