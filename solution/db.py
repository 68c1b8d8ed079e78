#!/usr/bin/env python3
"""The DB class: the only code that talks to the SQLite database."""
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import NoResultFound
from sqlalchemy.orm.session import Session

from user import Base, User


class DB:
    """Users stored in the SQLite file a.db, through one memoised session."""

    def __init__(self) -> None:
        """Open a.db and start from empty tables."""
        self._engine = create_engine("sqlite:///a.db", echo=False)
        Base.metadata.drop_all(self._engine)
        Base.metadata.create_all(self._engine)
        self.__session = None

    @property
    def _session(self) -> Session:
        """Return the session, creating it on first use."""
        if self.__session is None:
            DBSession = sessionmaker(bind=self._engine)
            self.__session = DBSession()
        return self.__session

    def add_user(self, email: str, hashed_password: str) -> User:
        """Save a new user and return it, its id set by the database."""
        user = User(email=email, hashed_password=hashed_password)
        self._session.add(user)
        self._session.commit()
        return user

    def find_user_by(self, **kwargs: Any) -> User:
        """Return the first user whose columns equal all the given values.

        Raise NoResultFound when no user matches, and SQLAlchemy's
        InvalidRequestError when a keyword is not a column.
        """
        user = self._session.query(User).filter_by(**kwargs).first()
        if user is None:
            raise NoResultFound("no user matches {}".format(kwargs))
        return user

    def update_user(self, user_id: int, **kwargs: Any) -> None:
        """Set the given columns of user user_id and save the change.

        Raise ValueError, changing nothing, when a keyword is not a column.
        """
        user = self.find_user_by(id=user_id)
        columns = User.__table__.columns.keys()
        unknown = [name for name in kwargs if name not in columns]
        if unknown:
            raise ValueError("users has no column {}".format(
                ", ".join(unknown)))
        for name, value in kwargs.items():
            setattr(user, name, value)
        self._session.commit()
