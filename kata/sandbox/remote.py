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
import math
import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from kata.sandbox.subject import wire

# Every limit of a request is CPU seconds of the subject's child, which a
# busy machine does not use up (kata/sandbox/subject/serve.py, Limits).
DEFAULT_CALL_SECONDS = 20.0
# The wall clock is only the far backstop of a CPU-time limit, for code
# that waits instead of computing: a machine loaded 3 times over its cores
# slows an honest request 3 times, far from this.
BACKSTOP_FACTOR = 10.0
# The subject writes its stack this long before the judge stops waiting.
WHERE_LEAD = 1.0
# The share of its backstop that a request cut short by the run's deadline
# must have waited for its stop to count as the backstop's.
BACKSTOP_SHARE = 0.9
# The subject is told when to write its stack to within this many
# seconds, earlier rather than later.
DUMP_GRAIN = 1.0
WHERE_LIMIT = 64 * 1024
# How many of a stopped request's innermost student frames a message names.
WHERE_FRAMES = 2
# How long a sealed child may take to make its namespaces and file systems
# (trusted code, milliseconds of CPU: only a backstop).
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
# The CPU seconds that a spec run's requests stopped by their CPU limit may
# use up together (set by the grading for each run): one endless loop per
# test costs a run its limit, not a limit per test.
CPU_BUDGET_KEY = "KATA_CPU_BUDGET"
# The CPU seconds this judge's stopped requests used up so far.
_SPENT = [0.0]
# A line of faulthandler's stack: 'File "/submission/auth.py", line 42 in f'.
_FRAME = re.compile(r'^\s*File "(?P<file>[^"\n]*)", line (?P<line>\d+) '
                    r'in (?P<name>[^\n]*)$', re.M)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.<>-]")


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
        when it is in another file (see ``kata/sandbox/subject/serve.py``).
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
                "against; add it to JUDGED_CLASSES in "
                "kata/sandbox/subject/wire.py".format(name))
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


def _budget_left() -> Optional[float]:
    """Return the run's CPU seconds left for stopped requests, or None."""
    budget = os.environ.get(CPU_BUDGET_KEY)
    if not budget:
        return None
    return float(budget) - _SPENT[0]


def _seconds(value: float) -> str:
    """Return a number of seconds as a person writes it: 10, 2.5."""
    return "{:.1f}".format(value).rstrip("0").rstrip(".")


def _frame_text(match: "re.Match[str]") -> str:
    """Return 'auth.py:42 in valid_login' for a frame of faulthandler."""
    name = os.path.basename(match.group("file"))
    if _SAFE_NAME.search(name) or not 0 < len(name) <= 60:
        return ""
    function = _SAFE_NAME.sub("?", match.group("name").strip())[:60]
    return "{}:{} in {}".format(name, int(match.group("line")[:9]),
                                function)


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
        # How a request was stopped: "cpu" (its CPU limit, proved by the
        # stack the kernel's SIGXCPU made it write) or "wall" (the backstop);
        # full tells whether that limit was the request's whole own limit,
        # not cut short by the run's budget or deadline.
        self.stopped: Optional[str] = None
        self.full_limit = False
        # The limits the subject holds (the last LIMITS message sent).
        self.limits_sent: Optional[List[Any]] = None
        # The folder of the student's files as the subject names them, and
        # the code the run executes (the submission or a spliced variant).
        self.code = "/submission"
        self.variant = ""
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

        The request may use seconds of CPU time (the connection's default
        when None), less when the run's budget has less left; the wall
        clock stops it only at BACKSTOP_FACTOR times that, or at the
        judge's own deadline.
        """
        doing = doing or operation
        if self.broken:
            raise SubjectBroke(self.broken)
        cpu = self.call_seconds if seconds is None else seconds
        left = _budget_left()
        own_cpu = left is None or left >= cpu
        if not own_cpu:
            cpu = left
        if cpu <= 0:
            self.timed_out = True
            self.broken = ("timed out: {} was not run: the run's {} CPU "
                           "seconds were used up by the requests stopped "
                           "before it".format(
                               doing, _seconds(left + _SPENT[0])))
            raise SubjectBroke(self.broken)
        wall = BACKSTOP_FACTOR * cpu
        own_wall = own_cpu
        deadline = os.environ.get(DEADLINE_KEY)
        if deadline:
            remaining = float(deadline) - DEADLINE_MARGIN - time.monotonic()
            if remaining < wall:
                # Nearly the whole backstop still proves a wait; a stop
                # because the run was ending proves nothing.
                own_wall = own_wall and remaining >= BACKSTOP_SHARE * wall
                wall = max(0.1, remaining)
        dump_after = max(0.05, wall - min(WHERE_LEAD, wall / 2))
        if dump_after > DUMP_GRAIN:
            # Cut to the grain, so that a deadline drawing nearer changes
            # the limits, and costs a message, once a grain, not each time.
            dump_after = DUMP_GRAIN * math.floor(dump_after / DUMP_GRAIN)
        limits = [wire.LIMITS, cpu, dump_after]
        try:
            # The subject keeps them until told others: most requests of a
            # test have the same, and a message less is a wake-up less.
            if limits != self.limits_sent:
                self.limits_sent = None
                self.channel.send(limits)
                self.limits_sent = limits
            self.channel.send([operation, *arguments])
            answer, _ = self.channel.receive(timeout=wall)
        except wire.ChannelTimeout:
            self._stop("wall", own_wall)
            self.broken = (
                "timed out: {} did not finish within {:.0f} s, yet used "
                "less than its {} CPU seconds: it was waiting (for input, a "
                "socket, a lock?), not computing{}".format(
                    doing, wall, _seconds(cpu),
                    self.where("waiting at") or ""))
            self.close()
            raise SubjectBroke(self.broken) from None
        except wire.ChannelClosed:
            where = self.where("running")
            if where is None:
                self.broken = ("the submission's process ended during {} "
                               "(does it call sys.exit() or os._exit(), or "
                               "crash?)".format(doing))
            else:
                self._stop("cpu", own_cpu)
                _SPENT[0] += cpu
                self.broken = ("timed out: {} did not finish within {} CPU "
                               "seconds{} (an endless loop?)".format(
                                   doing, _seconds(cpu), where))
            raise SubjectBroke(self.broken) from None
        except wire.ProtocolError as error:
            self.broken = "the submission broke the grading protocol " \
                "during {}: {}".format(doing, error)
            raise SubjectBroke(self.broken) from None
        return self._answer(answer, doing)

    def _stop(self, how: str, full: bool) -> None:
        """Record that a request was stopped by a limit, and which."""
        self.timed_out = True
        self.stopped = how
        self.full_limit = full

    def where(self, doing: str) -> Optional[str]:
        """Say where the student's code was when the subject was stopped.

        Return None when the subject wrote no stack (it was not stopped by
        a limit), "" when no line of the student's files was on it, else
        "; it was <doing> auth.py:42 in valid_login". The stack comes from
        the student's process, so it is read as hostile text: bounded,
        only lines of files directly in the student's folder, names cut to
        plain characters.
        """
        if self.workdir is None:
            return None
        text = self.workdir.read(wire.WHERE_FILE, WHERE_LIMIT)
        if not text or not text.strip():
            return None
        blocks = text.decode("ascii", "replace").split("\n\n")
        # The thread that took SIGXCPU first; then the others.
        blocks.sort(key=lambda block: not block.lstrip().startswith(
            "Current thread"))
        for block in blocks:
            frames = [_frame_text(match) for match in _FRAME.finditer(block)
                      if os.path.dirname(match.group("file")) == self.code]
            frames = [frame for frame in frames if frame][:WHERE_FRAMES]
            if frames:
                return "; it was {} {}".format(doing, ", called from ".join(
                    frames))
        return ""

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
    """The judge's link to one submission's zygote (see kata/sandbox/jail.py).

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
        if not self.isolated and self.code:
            connection.code = self.code
        connection.variant = self.code
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
