#!/usr/bin/env python3
"""The judge's side of the grading protocol: proxies for the subject's objects.

A spec holds ``Remote`` proxies, never the student's objects: reading an
attribute, calling, indexing or iterating one sends a request to the
subject's child for the test, and the answer comes back as plain data or as
another proxy. An exception raised in the subject comes back as a
``RemoteError`` that names its classes and lists the judged classes
(``wire.JUDGED_CLASSES``) it really is an instance of, so
``error.is_a(ValueError)`` holds for a subclass of ValueError too, and not
for a class that only calls itself ValueError. Nothing the subject sends is
unpickled, imported or evaluated here; a malformed, oversized or late
answer raises a ``SubjectBroke`` whose message a student can read.
"""
import json
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union


from kata.subject import wire

DEFAULT_CALL_SECONDS = 20.0
# How long a sealed child may take to make its namespaces and file systems.
SPAWN_SECONDS = 20.0
SCRATCH_FILE_LIMIT = 16 * 1024 * 1024
# Attributes with double underscores that specs read from the subject;
# every other one is Python's machinery and stays local.
REMOTE_DUNDERS = {"__table__", "__tablename__", "__name__", "__doc__",
                  "__module__", "__qualname__"}
ENVIRONMENT_KEY = "KATA_SUBJECT"
# The judge's deadline (time.monotonic()), set by the grading for each run.
DEADLINE_KEY = "KATA_DEADLINE"
DEADLINE_MARGIN = 0.5


class SubjectBroke(Exception):
    """The subject did not answer as the protocol requires."""


class SubjectFailure(Exception):
    """The subject could not carry out a request, for a stated reason."""

    def __init__(self, kind: str, text: str) -> None:
        """Keep the kind of failure ('missing', 'syntax', ...) and details."""
        super().__init__("{}: {}".format(kind, text))
        self.kind = kind
        self.text = text


class RemoteError(Exception):
    """An exception that student code raised in the subject."""

    def __init__(self, types: Sequence[str], message: str,
                 where: Optional[str],
                 raised_in: Optional[str] = None,
                 instance_of: Sequence[str] = ()) -> None:
        """Keep the qualified names of its classes, its message and places.

        ``where`` is the student's line to look at, in the file the call
        entered the submission by; ``raised_in`` is the line that raised,
        when it is in another file (see ``kata/subject/serve.py``).
        ``instance_of`` names the judged classes the subject found the
        error to be an instance of; ``types`` are only for messages.
        """
        super().__init__(message)
        self.types = tuple(types)
        self.message = message
        self.where = where
        self.raised_in = raised_in
        self.instance_of = frozenset(instance_of)

    @property
    def name(self) -> str:
        """Return the short name of the exception's class."""
        return self.types[0].rsplit(".", 1)[-1] if self.types else "?"

    def is_a(self, kind: type) -> bool:
        """Tell whether the exception is an instance of kind.

        The answer comes from the subject's test against the real class
        objects it captured before student code ran, never from the names
        the error's classes give themselves: a class named
        ``builtins.ValueError`` is not a ValueError. A subject that patches
        its own serving code can still lie (it runs among student code);
        the sandbox contains that, this does not. Asking about a class
        outside ``wire.JUDGED_CLASSES`` is a mistake of the spec and raises
        LookupError, since nothing but names would answer it.
        """
        name = qualified_name(kind)
        if _judged().get(name) is not kind:
            raise LookupError(
                "{} is not among the classes the subject tests errors "
                "against; add it to JUDGED_CLASSES in kata/subject/wire.py"
                .format(name))
        return name in self.instance_of

    def describe(self, limit: int = 0) -> str:
        """Return 'Type: message (at a.py:1, raised in b.py:2)'.

        A message longer than limit characters (when limit is not 0) is cut.
        """
        message = self.message
        if limit and len(message) > limit:
            message = message[:limit - 3] + "..."
        name = self.name
        if self.instance_of and self.types and \
                self.types[0] in _judged() and \
                self.types[0] not in self.instance_of:
            name += " (a class of its own that takes the name {})".format(
                self.types[0])
        text = "{}: {}".format(name, message) if message else name
        return text + wire.place_text(self.where, self.raised_in)

    def __str__(self) -> str:
        """Return the exception's message."""
        return self.message


def qualified_name(kind: type) -> str:
    """Return module.QualifiedName of a class, as the subject reports it."""
    return "{}.{}".format(kind.__module__, kind.__qualname__)


_JUDGED: Dict[str, type] = {}


def _judged() -> Dict[str, type]:
    """Return the judge's own table of the judged classes (made once)."""
    if not _JUDGED:
        _JUDGED.update(wire.judged_classes())
    return _JUDGED


def valid_error(payload: Any) -> bool:
    """Tell whether an error record has the expected shape.

    ``instance_of`` may be missing (nothing is vouched for), but when
    present it must be a list of names.
    """
    vouched = payload.get("instance_of", []) \
        if isinstance(payload, dict) else None
    return (isinstance(payload, dict) and
            isinstance(payload.get("types"), list) and
            all(type(name) is str for name in payload["types"]) and
            isinstance(vouched, list) and
            all(type(name) is str for name in vouched) and
            type(payload.get("message")) is str and
            all(payload.get(place) is None or type(payload[place]) is str
                for place in ("where", "raised_in")))


def error_from_record(payload: Dict[str, Any]) -> RemoteError:
    """Return the RemoteError of an error record that valid_error accepts."""
    return RemoteError(payload["types"], payload["message"],
                       payload.get("where"), payload.get("raised_in"),
                       payload.get("instance_of", []))


class Connection:
    """The judge's end of one test's channel."""

    def __init__(self, channel: wire.Channel, lifeline: Any,
                 call_seconds: float = DEFAULT_CALL_SECONDS) -> None:
        """Talk on channel; closing lifeline ends the subject's child."""
        self.channel = channel
        self.lifeline = lifeline
        self.call_seconds = call_seconds
        self.broken: Optional[str] = None
        self.timed_out = False
        self.workdir: "Optional[Workdir]" = None
        channel._default = self._encode_argument  # type: ignore

    def _encode_argument(self, value: Any) -> Any:
        """Send proxies as their handles, tuples as lists."""
        if isinstance(value, Remote):
            handle = object.__getattribute__(value, "_handle")
            return wire.handle_record(handle.number, [], False, False)
        if isinstance(value, (tuple, set, frozenset)):
            return list(value)
        raise TypeError("{} cannot be sent to the subject".format(
            type(value).__name__))

    def request(self, operation: str, *arguments: Any,
                seconds: Optional[float] = None, doing: str = "") -> Any:
        """Send one request and return its answer as data or a proxy.

        The answer may take seconds (the connection's default when None),
        and never longer than the judge's own deadline allows.
        """
        doing = doing or operation
        if self.broken:
            raise SubjectBroke(self.broken)
        allowed = self.call_seconds if seconds is None else seconds
        deadline = os.environ.get(DEADLINE_KEY)
        if deadline:
            allowed = max(0.1, min(allowed, float(deadline) - DEADLINE_MARGIN
                                   - time.monotonic()))
        try:
            self.channel.send([operation, *arguments])
            answer, _ = self.channel.receive(timeout=allowed)
        except wire.ChannelTimeout:
            self.timed_out = True
            self.broken = ("timed out: {} did not finish within {:.0f} s "
                           "(an endless loop, or a wait for input?)".format(
                               doing, allowed))
            self.close()
            raise SubjectBroke(self.broken) from None
        except wire.ChannelClosed:
            self.broken = ("the submission's process ended during {} (does "
                           "it call sys.exit() or os._exit(), or crash?)"
                           .format(doing))
            raise SubjectBroke(self.broken) from None
        except wire.ProtocolError as error:
            self.broken = "the submission broke the grading protocol " \
                "during {}: {}".format(doing, error)
            raise SubjectBroke(self.broken) from None
        return self._answer(answer, doing)

    def _answer(self, answer: Any, doing: str) -> Any:
        """Check an answer's shape and turn it into a value or an error."""
        if isinstance(answer, list) and len(answer) == 2:
            kind, payload = answer
            if kind == "ok":
                return self._wrap(payload)
            if kind == "raised" and valid_error(payload):
                raise error_from_record(payload)
            if kind == "failed" and isinstance(payload, dict) and \
                    type(payload.get("kind")) is str and \
                    type(payload.get("text")) is str:
                if payload["kind"] == "protocol":
                    raise SubjectBroke(
                        "the submission broke the grading protocol during "
                        "{}: {}".format(doing, payload["text"]))
                raise SubjectFailure(payload["kind"], payload["text"])
        self.broken = "the submission broke the grading protocol during " \
            "{}: a malformed answer".format(doing)
        raise SubjectBroke(self.broken)

    def _wrap(self, value: Any) -> Any:
        """Replace handles by proxies, throughout a value."""
        if isinstance(value, wire.Handle):
            return Remote(self, value)
        if isinstance(value, list):
            return [self._wrap(item) for item in value]
        if isinstance(value, dict):
            return {key: self._wrap(item) for key, item in value.items()}
        return value

    def close(self) -> None:
        """Close the channel and the lifeline: the subject's child ends."""
        for end in (self.channel.sock, self.lifeline):
            try:
                end.close()
            except OSError:
                pass

    def release(self) -> None:
        """End the child and let its working folder go."""
        self.close()
        if self.workdir is not None:
            self.workdir.close()


class Remote:
    """A proxy for an object that stays in the subject."""

    __slots__ = ("_connection", "_handle", "_label")

    def __init__(self, connection: Connection, handle: wire.Handle,
                 label: str = "") -> None:
        """Stand for the subject's object of handle, named label."""
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_label", label)

    def _request(self, operation: str, *arguments: Any,
                 doing: str = "") -> Any:
        """Send a request about this object."""
        connection = object.__getattribute__(self, "_connection")
        return connection.request(operation, self, *arguments, doing=doing)

    def __getattr__(self, name: str) -> Any:
        """Read an attribute in the subject."""
        if name.startswith("__") and name not in REMOTE_DUNDERS:
            raise AttributeError(name)
        try:
            value = self._request("getattr", name,
                                  doing="reading ." + name)
        except SubjectFailure as failure:
            if failure.kind == "no-attribute":
                raise AttributeError(name) from None
            raise
        if isinstance(value, Remote):
            object.__setattr__(value, "_label", name)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        """Refuse: a spec changes the subject only through spies."""
        raise AttributeError("a remote object is read-only here")

    def __call__(self, *arguments: Any, **keywords: Any) -> Any:
        """Call the object in the subject."""
        label = object.__getattribute__(self, "_label") or self.type_name
        return self._request("call", list(arguments), keywords,
                             doing="the call of " + label)

    def __getitem__(self, key: Any) -> Any:
        """Return self[key] from the subject."""
        return self._request("getitem", key)

    def __contains__(self, key: Any) -> bool:
        """Return key in self, as the subject answers."""
        return self._request("contains", key) is True

    def __len__(self) -> int:
        """Return len(self) from the subject."""
        length = self._request("len")
        if type(length) is not int or length < 0:
            raise SubjectBroke("the submission broke the grading protocol: "
                               "a length that is not a count")
        return length

    def __iter__(self) -> Iterator[Any]:
        """Iterate over the items the subject lists."""
        items = self._request("list")
        if not isinstance(items, list):
            raise SubjectBroke("the submission broke the grading protocol: "
                               "a listing that is not a list")
        return iter(items)

    def __bool__(self) -> bool:
        """Return the object's truth, as the subject answers."""
        return self._request("bool") is True

    def __str__(self) -> str:
        """Return str() of the object, computed in the subject."""
        text = self._request("str")
        return text if type(text) is str else "?"

    def __repr__(self) -> str:
        """Describe the proxy without asking the subject."""
        return "<{}>".format(self.type_name)

    def __eq__(self, other: Any) -> bool:
        """Two proxies are equal when they stand for the same object."""
        if not isinstance(other, Remote):
            return False
        mine = object.__getattribute__(self, "_handle")
        theirs = object.__getattribute__(other, "_handle")
        return mine.number == theirs.number

    def __hash__(self) -> int:
        """Hash by the handle's number."""
        return hash(object.__getattribute__(self, "_handle").number)

    @property
    def type_name(self) -> str:
        """Return the short name of the object's class (a class: its own)."""
        handle = object.__getattribute__(self, "_handle")
        names = handle.types[1:] if handle.is_class else handle.types
        return names[0].rsplit(".", 1)[-1] if names else "?"

    @property
    def type_names(self) -> Sequence[str]:
        """Return the qualified names of the object's classes."""
        return object.__getattribute__(self, "_handle").types

    @property
    def is_class(self) -> bool:
        """Tell whether the object is a class."""
        return object.__getattribute__(self, "_handle").is_class

    def is_instance(self, kind: Any) -> bool:
        """Tell whether the object is an instance of kind (a proxy or type)."""
        if isinstance(kind, Remote):
            return self._request("isinstance", kind) is True
        return qualified_name(kind) in self.type_names

    def is_subclass(self, kind: "Remote") -> bool:
        """Tell whether the object is a subclass of the class kind."""
        return self._request("issubclass", kind) is True


def is_instance(value: Any, kind: Any) -> bool:
    """isinstance() for data and proxies alike."""
    if isinstance(value, Remote):
        return value.is_instance(kind)
    if isinstance(kind, Remote):
        return False
    return isinstance(value, kind)


class Workdir:
    """A test's working folder, as the judge reaches it.

    The judge holds a descriptor of the folder, handed over by the test's
    child before any student code ran: in a sandbox the folder is a file
    system of the run's own, which no path of the judge's names. path is
    the host folder to remove afterwards, where there is no sandbox.
    """

    def __init__(self, fd: int, path: Optional[Path] = None) -> None:
        """Keep the folder's descriptor (ours to close) and its path."""
        self.fd = fd
        self.path = path

    def read(self, name: str, limit: int = SCRATCH_FILE_LIMIT
             ) -> Optional[bytes]:
        """Return a regular file of the folder, read without a link."""
        return read_scratch_file(self, name, limit)

    def close(self) -> None:
        """Let the folder go: the run's file system ends with its run."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.path is not None:
            shutil.rmtree(str(self.path), ignore_errors=True)


@dataclass
class SubjectLink:
    """The judge's link to one submission's zygote (see kata/jail.py).

    scratch is where tests' working folders are made where there is no
    sandbox; services holds the sockets of the judge's services, each in a
    folder that only the run that asked for it sees.
    """

    control_fd: int
    scratch: Path
    judge: Path
    services: Path
    isolated: bool
    missing: List[str]
    code: str = ""

    def to_environment(self) -> str:
        """Return the link as the text of an environment variable."""
        return json.dumps({"control_fd": self.control_fd,
                           "scratch": str(self.scratch),
                           "judge": str(self.judge),
                           "services": str(self.services),
                           "isolated": self.isolated,
                           "missing": self.missing,
                           "code": self.code})

    @classmethod
    def from_environment(cls) -> Optional["SubjectLink"]:
        """Return the link a grading run handed over, if any."""
        text = os.environ.get(ENVIRONMENT_KEY)
        if not text:
            return None
        fields = json.loads(text)
        return cls(int(fields["control_fd"]), Path(fields["scratch"]),
                   Path(fields["judge"]), Path(fields["services"]),
                   bool(fields["isolated"]),
                   list(fields["missing"]), str(fields.get("code", "")))

    def service_folder(self) -> Path:
        """Make a folder for one run's service socket; the run sees it."""
        return Path(tempfile.mkdtemp(prefix="run-", dir=str(self.services)))

    def spawn(self, fast_bcrypt: bool,
              call_seconds: float = DEFAULT_CALL_SECONDS,
              service: Optional[Path] = None) -> Connection:
        """Ask the zygote for a fresh child that serves one test.

        The connection's workdir is the test's working folder. service, a
        folder of service_folder(), is where the run's port 5000 leads.
        """
        import socket
        path = None
        if not self.isolated:
            path = Path(tempfile.mkdtemp(prefix="test-",
                                         dir=str(self.scratch)))
        ours, theirs = wire.pair()
        lifeline, their_lifeline = wire.pair()
        control = socket.socket(fileno=os.dup(self.control_fd))
        try:
            wire.Channel(control).send(
                ["spawn", {"cwd": str(path or ""),
                           "fast_bcrypt": fast_bcrypt,
                           "code": self.code,
                           "service": service.name if service else ""}],
                [theirs.fileno(), their_lifeline.fileno()])
        except wire.ProtocolError:
            ours.close()
            lifeline.close()
            raise SubjectBroke("the submission's sandbox is gone (an "
                               "earlier test killed it?)") from None
        finally:
            control.close()
            theirs.close()
            their_lifeline.close()
        connection = Connection(wire.Channel(ours), lifeline, call_seconds)
        connection.workdir = Workdir(_received_workdir(connection), path)
        return connection


def _received_workdir(connection: Connection) -> int:
    """Receive the descriptor of a new child's working folder.

    The child sends it before any student code runs; a child that could
    not be set up sends nothing and closes its channel.
    """
    try:
        message, fds = connection.channel.receive(timeout=SPAWN_SECONDS,
                                                  max_fds=1)
    except wire.ProtocolError as error:
        connection.close()
        raise SubjectBroke("the submission's sandbox could not start a "
                           "test ({})".format(error)) from None
    if message != ["workdir"] or len(fds) != 1 or \
            not stat.S_ISDIR(os.fstat(fds[0]).st_mode):
        for fd in fds:
            os.close(fd)
        connection.close()
        raise SubjectBroke("the submission's sandbox could not start a "
                           "test (no working folder)")
    return fds[0]


def read_scratch_file(folder: Union[Path, Workdir], name: str,
                      limit: int = SCRATCH_FILE_LIMIT) -> Optional[bytes]:
    """Read a file the subject wrote, refusing links and special files.

    Return None when there is no such regular file. The folder is a test's
    Workdir (its descriptor) or a path, opened without following a link;
    the file inside it is opened the same way, so a submission cannot
    point the judge at a file outside its scratch space.
    """
    if isinstance(folder, Workdir):
        folder_fd = os.dup(folder.fd) if folder.fd >= 0 else -1
    else:
        try:
            folder_fd = os.open(str(folder), os.O_RDONLY | os.O_DIRECTORY
                                | os.O_NOFOLLOW)
        except OSError:
            return None
    if folder_fd < 0:
        return None
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK,
                     dir_fd=folder_fd)
    except OSError:
        os.close(folder_fd)
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)[:limit]
    finally:
        os.close(fd)
        os.close(folder_fd)


__all__ = ["Connection", "Remote", "RemoteError", "SubjectBroke",
           "SubjectFailure", "SubjectLink", "Workdir", "is_instance",
           "read_scratch_file"]
