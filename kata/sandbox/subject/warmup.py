#!/usr/bin/env python3
"""Exercise the libraries once in the zygote, before any student code.

SQLAlchemy, Flask and Werkzeug import modules and build caches the first
time a model is mapped, an engine connects, a query is compiled or a
request is sent. Done in every test's child, that first time costs more
than the student's own code; done here once, every child is forked with
it done. The work uses throwaway objects of its own (an in-memory
database, an app named ``warm-up``) and leaves nothing a student's module
could meet: no mapper, no open engine, no warning marked as shown.
"""
import gc
import uuid
import warnings

import bcrypt
import flask
from sqlalchemy import Column, Integer, String, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import configure_mappers, sessionmaker
from sqlalchemy.orm.exc import NoResultFound
from sqlalchemy.schema import CreateTable


def warm_up() -> None:
    """Map, store, query and serve once, then drop everything made.

    Warnings are recorded and dropped; leaving catch_warnings resets
    Python's record of which ones were shown, so a student's module still
    sees each of its own.
    """
    with warnings.catch_warnings(record=True):
        _database()
        _web()
        bcrypt.checkpw(b"warm", bcrypt.hashpw(b"warm", bcrypt.gensalt(4)))
        str(uuid.uuid4())
    gc.collect()


def _database() -> None:
    """Map a model, create its table in memory, store and query a row."""
    base = declarative_base()

    class Row(base):  # type: ignore[valid-type, misc]
        """A throwaway mapped class."""

        __tablename__ = "warm_rows"
        id = Column(Integer, primary_key=True)
        email = Column(String(250), nullable=False)
        token = Column(String(250), nullable=True)

    configure_mappers()
    engine = create_engine("sqlite://")
    base.metadata.drop_all(engine)
    base.metadata.create_all(engine)
    str(CreateTable(Row.__table__).compile(engine))
    session = sessionmaker(bind=engine)()
    try:
        session.add(Row(email="warm@up"))
        session.commit()
        found = session.query(Row).filter_by(email="warm@up").one()
        found.token = "token"
        session.commit()
        try:
            session.query(Row).filter_by(email="cold@up").one()
        except NoResultFound:
            pass
    finally:
        session.close()
        engine.dispose()


def _web() -> None:
    """Route a form, a JSON body, a cookie and a redirect through an app."""
    app = flask.Flask("warm-up")

    @app.route("/", methods=["GET"])
    def index() -> str:
        """Answer JSON."""
        return flask.jsonify({"message": "Bienvenue"})

    @app.route("/form", methods=["POST", "PUT", "DELETE"])
    def form() -> flask.Response:
        """Read a form, a cookie and set a cookie."""
        flask.request.form.get("email")
        flask.request.cookies.get("session_id")
        response = flask.jsonify({"email": flask.request.form.get("email")})
        response.set_cookie("session_id", "warm")
        return response

    @app.route("/away", methods=["GET", "DELETE"])
    def away() -> flask.Response:
        """Redirect, or refuse."""
        if flask.request.method == "DELETE":
            flask.abort(403)
        return flask.redirect(flask.url_for("index"))

    client = app.test_client()
    client.get("/")
    client.post("/form", data={"email": "warm@up"},
                headers={"Cookie": "session_id=warm"})
    client.put("/form", json={"email": "warm@up"})
    client.get("/away", follow_redirects=True)
    client.delete("/away").get_data()
