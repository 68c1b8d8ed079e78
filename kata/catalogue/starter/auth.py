#!/usr/bin/env python3
"""Authentication: password hashing, sessions and reset tokens over DB."""
from db import DB


class Auth:
    """The service's only door to the user database."""

    def __init__(self) -> None:
        """Create the database this object works on."""
        self._db = DB()
