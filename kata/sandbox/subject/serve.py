#!/usr/bin/env python3
"""A test's child in the sandbox: import the student's modules, answer.

The judge asks for modules, attributes, calls and HTTP requests; this
module performs them on the student's objects and answers with plain data,
or with a handle for an object that has to stay here. It runs among student
code and can be subverted by it: the judge trusts none of its answers.
"""
import contextlib
import faulthandler
import importlib
import math
import os
import resource
import runpy
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import msgpack
from flask.signals import got_request_exception

from . import wire

SUBMISSION = Path(os.environ.get("KATA_SUBMISSION", "/submission"))
TEXT_LIMIT = 4000
ITEMS_LIMIT = 2000
INT_RANGE = (-(2 ** 63), 2 ** 64 - 1)
PLAIN = (type(None), bool, int, float, str, bytes)
# Library objects a spec may ask for by name (to build SQL, for instance).
LIBRARY = {"sqlalchemy.schema.CreateTable"}
# The real exception classes a spec may ask about, captured when the zygote
# imports this module, before any student code runs (see error_record).
JUDGED = wire.judged_classes()
_is_subclass = issubclass
_type_of = type


class Refused(Exception):
    """A request the subject cannot carry out, with the reason in words."""

    def __init__(self, kind: str, text: str = "") -> None:
        """Keep the kind of failure and its details."""
        super().__init__(kind, text)
        self.kind = kind
        self.text = text


class ServerStartedAtImport(Exception):
    """Raised in place of starting a server while a module is imported."""


class RequestAtImport(Exception):
    """Raised in place of an HTTP request sent while a module is imported."""


@contextlib.contextmanager
def no_requests() -> Iterator[None]:
    """Make every request of the requests library raise for the duration."""
    import requests
    real = requests.Session.request

    def refuse(session: Any, method: str, url: str, *arguments: Any,
               **keywords: Any) -> None:
        """Refuse to send a request while a module is only imported."""
        raise RequestAtImport("{} {}".format(str(method).upper(), url))

    requests.Session.request = refuse
    try:
        yield
    finally:
        requests.Session.request = real


class Objects:
    """The objects the judge holds handles to, by number."""

    def __init__(self) -> None:
        """Start with no object."""
        self._by_number: Dict[int, Any] = {}
        self._numbers: Dict[int, int] = {}

    def handle(self, value: Any) -> msgpack.ExtType:
        """Return the handle record of value, numbering it once."""
        number = self._numbers.get(id(value))
        if number is None:
            number = len(self._by_number) + 1
            self._by_number[number] = value
            self._numbers[id(value)] = number
        kind = value if isinstance(value, type) else type(value)
        names = [_qualified(cls) for cls in getattr(kind, "__mro__", [kind])]
        if isinstance(value, type):
            names = [_qualified(type(value))] + names
        return wire.handle_record(number, names[:32], callable(value),
                                  isinstance(value, type))

    def get(self, number: int) -> Any:
        """Return the object of a handle number."""
        if number not in self._by_number:
            raise Refused("protocol", "no object has handle {}".format(
                number))
        return self._by_number[number]

    def encode(self, value: Any, depth: int = 0) -> Any:
        """Return value as plain data, or as a handle where it cannot be."""
        kind = type(value)
        if kind in PLAIN:
            if kind is int and not INT_RANGE[0] <= value <= INT_RANGE[1]:
                return self.handle(value)
            return _utf8(value) if kind is str else value
        if isinstance(value, (str, bytes)) and not isinstance(value, type):
            # A subclass (SQLAlchemy's quoted_name, say) travels as its
            # plain value: the judge compares data, never the subclass.
            return str.__str__(value) if isinstance(value, str) \
                else bytes(value)
        if kind is type and value.__name__ in wire.BUILTIN_TYPES and \
                wire.BUILTIN_TYPES[value.__name__] is value:
            return wire.type_record(value.__name__)
        if depth < wire.MAX_DEPTH - 2:
            if kind in (list, tuple) and len(value) <= ITEMS_LIMIT:
                return [self.encode(item, depth + 1) for item in value]
            if kind is dict and len(value) <= ITEMS_LIMIT and all(
                    type(key) is str for key in value):
                return {key: self.encode(item, depth + 1)
                        for key, item in value.items()}
        return self.handle(value)

    def decode(self, value: Any) -> Any:
        """Replace the handles in a request by their objects."""
        if isinstance(value, _HandleArgument):
            return self.get(value.number)
        if isinstance(value, list):
            return [self.decode(item) for item in value]
        if isinstance(value, dict):
            return {key: self.decode(item) for key, item in value.items()}
        return value


class _HandleArgument:
    """A handle the judge sent back as an argument."""

    def __init__(self, number: int) -> None:
        """Remember the handle's number."""
        self.number = number


def _request_ext(code: int, data: bytes) -> Any:
    """Decode the judge's extension records: handles and builtin types."""
    if code == wire.HANDLE_CODE:
        return _HandleArgument(msgpack.unpackb(data)[0])
    if code == wire.TYPE_CODE:
        return wire.BUILTIN_TYPES[data.decode()]
    raise wire.ProtocolError("unknown extension record")


def _qualified(cls: Any) -> str:
    """Return module.QualifiedName of a class."""
    return "{}.{}".format(getattr(cls, "__module__", "?"),
                          getattr(cls, "__qualname__", "?"))


def _text(value: Any, how: Any = str) -> str:
    """Return str() or repr() of a value, cut to a readable size."""
    try:
        text = how(value)
    except Exception as error:  # a broken __str__ is still an answer
        text = "<{} failed: {}>".format(how.__name__, type(error).__name__)
    if type(text) is not str:
        text = "<not a string>"
    return _utf8(text[:TEXT_LIMIT])


def _utf8(text: str) -> str:
    """Return text that UTF-8 can carry: lone surrogates spelled out."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def places(error: BaseException) -> Tuple[Optional[str], Optional[str]]:
    """Return where an exception points in the submission, as 'file.py:line'.

    The first place is the student's line to look at: the deepest frame in
    the file by which the call entered the submission (the file of the step
    under test: ``auth.py`` for a call of ``Auth.valid_login``), the line
    that called down into the raising code. The second is the frame that
    raised, when it is in another file (``db.py``), else None.
    """
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        try:
            inside = Path(frame.filename).parent == SUBMISSION
        except (TypeError, ValueError):
            inside = False
        if inside:
            frames.append((Path(frame.filename).name, frame.lineno))
    if not frames:
        return None, None
    entry = frames[0][0]
    called = [frame for frame in frames if frame[0] == entry][-1]
    raised = frames[-1]
    return ("{}:{}".format(*called),
            "{}:{}".format(*raised) if raised[0] != entry else None)


def message_of(error: BaseException) -> str:
    """Return an exception's message; none for one raised without arguments.

    ``raise NoResultFound`` has no message, yet SQLAlchemy's errors then
    print the empty tuple of their arguments, "()".
    """
    text = _text(error)
    if getattr(error, "args", None) == () and text == "()":
        return ""
    return text


def instance_of(error: BaseException) -> List[str]:
    """Return the names of the JUDGED classes the error really belongs to.

    The test is the one an ``except`` clause makes: the error's own type
    (``type()``, which no attribute can disguise) against the class objects
    captured before student code ran, so a class that merely calls itself
    ``builtins.ValueError`` is no ValueError here. This runs among student
    code, though: a submission that patches this module, or the table, can
    still make it lie, which only the sandbox around it contains.
    """
    kind = _type_of(error)
    return [name for name, judged in JUDGED.items()
            if _is_subclass(kind, judged)]


def error_record(error: BaseException) -> Dict[str, Any]:
    """Describe an exception as data: its classes, message and places.

    ``types`` are the names its classes give themselves, for messages;
    ``instance_of`` is what the judge decides by (see instance_of).
    """
    where, raised_in = places(error)
    return {"types": [_qualified(cls) for cls in type(error).__mro__][:32],
            "instance_of": instance_of(error),
            "message": message_of(error),
            "where": where, "raised_in": raised_in}


def describe_error(error: BaseException) -> str:
    """Return 'Type: message (at file.py:line, raised in file.py:line)'."""
    record = error_record(error)
    name = record["types"][0].rsplit(".", 1)[-1]
    text = "{}: {}".format(name, record["message"]) if record["message"] \
        else name
    return text + wire.place_text(record["where"], record["raised_in"])


class ServerStarts:
    """Stand-ins for the ways of starting a server; they record each start.

    While a module is imported a start raises; a module run as __main__
    only has its start recorded.
    """

    def __init__(self) -> None:
        """Install the stand-ins."""
        import flask
        import werkzeug.serving
        self.starts: List[List[Any]] = []
        self.raising: Optional[str] = None
        starts = self

        def run(app: Any, host: Any = None, port: Any = None,
                debug: Any = None, load_dotenv: bool = True,
                **options: Any) -> None:
            """Record app.run instead of serving."""
            starts.record("app.run", host, port)

        def run_simple(hostname: Any, port: Any, application: Any,
                       *args: Any, **kwargs: Any) -> None:
            """Record run_simple instead of serving."""
            starts.record("run_simple", hostname, port)

        def make_server(host: Any, port: Any, app: Any, *args: Any,
                        **kwargs: Any) -> None:
            """Refuse to build a server."""
            starts.record("make_server", host, port, always_raise=True)

        flask.Flask.run = run
        werkzeug.serving.run_simple = run_simple
        werkzeug.serving.make_server = make_server

    def record(self, what: str, host: Any, port: Any,
               always_raise: bool = False) -> None:
        """Record a start; raise while importing, or when asked to."""
        self.starts.append([what, _text(host, repr), _text(port, repr)])
        if self.raising is not None or always_raise:
            raise ServerStartedAtImport(
                "{}(host={}, port={})".format(what, _text(host, repr),
                                              _text(port, repr)))

    @contextlib.contextmanager
    def refused(self, module: str) -> Iterator[None]:
        """Make every start raise for the duration of an import."""
        self.raising = module
        try:
            yield
        finally:
            self.raising = None


class Limits:
    """The CPU-time limit of each request, and the record of its stop.

    The judge names a request's limit in CPU seconds, which holds for every
    request after it until the judge names another: past it the kernel
    sends SIGXCPU (RLIMIT_CPU), on which faulthandler writes this
    process's stack to wire.WHERE_FILE and the process ends by the signal.
    A request still waiting when the judge's wall-clock backstop nears has
    its stack written there too, on SIGALRM from a kernel timer: a watchdog
    thread (faulthandler.dump_traceback_later) would cost a thread started
    and joined per request, most of a request's own cost. Time spent
    waiting for the CPU on a busy machine counts for neither limit.
    """

    def __init__(self) -> None:
        """Open the stack file of the working folder; catch SIGXCPU."""
        self.where = os.open(wire.WHERE_FILE, os.O_WRONLY | os.O_CREAT
                             | os.O_TRUNC, 0o600)
        signal.signal(signal.SIGXCPU, signal.SIG_DFL)
        faulthandler.register(signal.SIGXCPU, file=self.where,
                              all_threads=True, chain=True)
        faulthandler.register(signal.SIGALRM, file=self.where,
                              all_threads=True)
        self.cpu: Optional[float] = None
        self.dump_after: Optional[float] = None

    def take(self, message: List[Any]) -> bool:
        """Keep the limits of a LIMITS message; tell whether it was one."""
        if not (len(message) == 3 and message[0] == wire.LIMITS and all(
                type(value) in (int, float) and 0 < value < 1e6
                for value in message[1:])):
            return False
        self.cpu, self.dump_after = float(message[1]), float(message[2])
        return True

    def cpu_limit(self, seconds: Optional[float]) -> None:
        """Let this process use seconds more CPU time (None: no limit)."""
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = hard
        if seconds is not None:
            soft = math.ceil(time.process_time() + seconds)
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """Hold the request's limits while it runs, then lift them."""
        os.ftruncate(self.where, 0)
        os.lseek(self.where, 0, os.SEEK_SET)
        self.cpu_limit(self.cpu)
        if self.dump_after is not None:
            signal.setitimer(signal.ITIMER_REAL, self.dump_after)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.cpu_limit(None)


class Subject:
    """Answers one test's requests."""

    def __init__(self, channel: wire.Channel) -> None:
        """Serve on channel."""
        self.channel = channel
        self.objects = Objects()
        self.servers = ServerStarts()
        self.spies: Dict[Tuple[int, str], List[Any]] = {}
        self.limits = Limits()

    def serve(self) -> None:
        """Answer requests until the judge closes the channel."""
        while True:
            try:
                request, _ = self.channel.receive()
            except wire.ChannelClosed:
                return
            if isinstance(request, list) and self.limits.take(request):
                continue
            with self.limits.applied():
                answer = self.answer(request)
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            try:
                self.channel.send(answer)
            except wire.ChannelClosed:
                return
            except (wire.ProtocolError, TypeError, ValueError,
                    OverflowError) as error:
                self.channel.send(["failed", {"kind": "protocol",
                                              "text": _text(error)}])

    def answer(self, request: Any) -> List[Any]:
        """Carry out one request and return the answer."""
        if not (isinstance(request, list) and request and
                type(request[0]) is str):
            return ["failed", {"kind": "protocol", "text": "bad request"}]
        operation = getattr(self, "op_" + request[0], None)
        if operation is None:
            return ["failed", {"kind": "protocol",
                               "text": "unknown request " + request[0]}]
        try:
            arguments = self.objects.decode(request[1:])
            return ["ok", self.objects.encode(operation(*arguments))]
        except Refused as refusal:
            return ["failed", {"kind": refusal.kind, "text": refusal.text}]
        except SystemExit as error:
            return ["failed", {"kind": "exit",
                               "text": _text(error.code, repr)}]
        except BaseException as error:  # student code raised: an answer
            return ["raised", error_record(error)]

    def op_import(self, name: str) -> Any:
        """Import a student module, fresh in this child."""
        if name in sys.modules:
            return sys.modules[name]
        path = SUBMISSION / (name + ".py")
        if not path.is_file():
            raise Refused("missing", name + ".py")
        try:
            with self.servers.refused(name), no_requests():
                module = importlib.import_module(name)
        except ServerStartedAtImport as error:
            raise Refused("server", str(error)) from None
        except RequestAtImport as error:
            raise Refused("request", str(error)) from None
        except SyntaxError as error:
            raise Refused("syntax", "{}: {}{}".format(
                Path(error.filename or path).name, error.msg,
                " at line {}".format(error.lineno) if error.lineno else "")
            ) from None
        except SystemExit as error:
            raise Refused("exit", _text(error.code, repr)) from None
        except BaseException as error:  # any error of student code
            raise Refused("import", describe_error(error)) from None
        origin = Path(getattr(module, "__file__", "") or "")
        if origin.parent != SUBMISSION:
            raise Refused("elsewhere", str(origin))
        return module

    def op_getattr(self, target: Any, name: str) -> Any:
        """Read an attribute."""
        try:
            return getattr(target, name)
        except AttributeError:
            if not _has(target, name):
                raise Refused("no-attribute", name) from None
            raise

    def op_hasattr(self, target: Any, name: str) -> bool:
        """Tell whether an attribute exists."""
        return _has(target, name)

    def op_call(self, target: Any, arguments: List[Any],
                keywords: Dict[str, Any]) -> Any:
        """Call a function or method."""
        return target(*arguments, **keywords)

    def op_getitem(self, target: Any, key: Any) -> Any:
        """Return target[key]."""
        return target[key]

    def op_contains(self, target: Any, key: Any) -> bool:
        """Return key in target."""
        return bool(key in target)

    def op_len(self, target: Any) -> int:
        """Return len(target)."""
        return len(target)

    def op_list(self, target: Any) -> List[Any]:
        """Return the first items of iterating target."""
        items = []
        for item in target:
            items.append(item)
            if len(items) >= ITEMS_LIMIT:
                break
        return items

    def op_str(self, target: Any) -> str:
        """Return str(target)."""
        return _text(target)

    def op_repr(self, target: Any) -> str:
        """Return repr(target)."""
        return _text(target, repr)

    def op_bool(self, target: Any) -> bool:
        """Return bool(target)."""
        return bool(target)

    def op_isinstance(self, target: Any, kind: Any) -> bool:
        """Return isinstance(target, kind)."""
        return isinstance(kind, type) and isinstance(target, kind)

    def op_issubclass(self, target: Any, kind: Any) -> bool:
        """Return issubclass(target, kind) for two classes."""
        return isinstance(target, type) and isinstance(kind, type) and \
            issubclass(target, kind)

    def op_signature(self, target: Any) -> Optional[List[List[str]]]:
        """Return a function's parameters as [name, kind], or None."""
        import inspect
        if not inspect.isfunction(target):
            return None
        return [[parameter.name, parameter.kind.name] for parameter in
                inspect.signature(target).parameters.values()]

    def op_library(self, dotted: str) -> Any:
        """Return one of the library objects a spec may use."""
        if dotted not in LIBRARY:
            raise Refused("protocol", "not a library object: " + dotted)
        module, name = dotted.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)

    def op_request(self, client: Any, method: str, path: str,
                   options: Dict[str, Any]) -> Dict[str, Any]:
        """Send a request through a Flask test client; answer as data.

        Flask turns an exception that escapes a view into a 500 and tells
        its got_request_exception signal (captured before student code
        ran); the record of the last one is sent beside the response, so
        that a failure can say what the app raised, not only "500".
        """
        allowed = {"data", "json", "headers", "follow_redirects"}
        escaped: List[BaseException] = []

        def keep(sender: Any, exception: Any = None, **extra: Any) -> None:
            """Remember an exception that escaped a view of the app."""
            if isinstance(exception, BaseException):
                escaped.append(exception)

        got_request_exception.connect(keep, weak=False)
        try:
            response = client.open(path, method=method, **{
                key: value for key, value in options.items()
                if key in allowed})
            body = response.get_data()
        finally:
            got_request_exception.disconnect(keep)
        return {"status": int(response.status_code),
                "headers": [[str(key), str(value)]
                            for key, value in response.headers.items()],
                "body": bytes(body[:wire.MESSAGE_LIMIT // 2]),
                "raised": error_record(escaped[-1]) if escaped else None}

    def op_spy(self, target: Any, name: str) -> None:
        """Record every call of target.name from now on."""
        real = getattr(target, name)
        calls = self.spies.setdefault((id(target), name), [])

        def spy(*arguments: Any, **keywords: Any) -> Any:
            """Record the call, then make it."""
            calls.append([list(arguments), dict(keywords)])
            return real(*arguments, **keywords)

        setattr(target, name, spy)

    def op_calls(self, target: Any, name: str) -> List[Any]:
        """Return the calls a spy recorded."""
        return self.spies.get((id(target), name), [])

    def op_server_starts(self) -> List[List[Any]]:
        """Return the server starts recorded so far."""
        return self.servers.starts

    def op_run_as_main(self, name: str) -> Optional[Dict[str, Any]]:
        """Run a student module as __main__, recording server starts."""
        path = SUBMISSION / (name + ".py")
        if not path.is_file():
            raise Refused("missing", name + ".py")
        try:
            runpy.run_path(str(path), run_name="__main__")
        except SystemExit as error:
            if error.code not in (None, 0):
                return {"types": ["builtins.SystemExit"],
                        "instance_of": instance_of(error),
                        "message": _text(error.code, repr), "where": None}
        except ServerStartedAtImport as error:
            return {"types": ["kata.ServerStarted"], "message": str(error),
                    "where": None}
        except BaseException as error:  # any error of student code
            return error_record(error)
        return None

    def op_run_main(self, output: str) -> Dict[str, Any]:
        """Run main.py as __main__ in a new process; return how it ended.

        Its standard output and error go to files of the working
        directory, which the judge reads itself.
        """
        path = SUBMISSION / "main.py"
        cpu = self.limits.cpu
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                # main.py's own CPU time, from nothing: a forked child's
                # count starts again (the parent's interval timer is not
                # inherited, so only the parent's stack is written at the
                # backstop).
                self.limits.cpu_limit(cpu)
                out = os.open(output + ".out", os.O_WRONLY | os.O_CREAT
                              | os.O_TRUNC, 0o600)
                err = os.open(output + ".err", os.O_WRONLY | os.O_CREAT
                              | os.O_TRUNC, 0o600)
                os.dup2(out, 1)
                os.dup2(err, 2)
                sys.stdout = open(1, "w", closefd=False)
                sys.stderr = open(2, "w", closefd=False)
                sys.argv = [str(path)]
                try:
                    runpy.run_path(str(path), run_name="__main__")
                    code = 0
                except SystemExit as error:
                    code = error.code if type(error.code) is int else (
                        0 if error.code is None else 1)
                except BaseException:  # main.py failed: its exit says so
                    traceback.print_exc()
                    code = 1
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):
                        stream.flush()
                os._exit(code & 0xFF)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            return {"exit_code": None, "signal": os.WTERMSIG(status)}
        return {"exit_code": os.WEXITSTATUS(status), "signal": None}


def _has(target: Any, name: str) -> bool:
    """Tell whether target has an attribute, an error counting as no."""
    try:
        return hasattr(target, name)
    except Exception:  # a broken __getattr__ means no such attribute
        return False


def child_channel(fd: int) -> wire.Channel:
    """Return the subject's end of a test's channel."""
    import socket
    sock = socket.socket(fileno=fd)
    objects_holder: List[Subject] = []

    def default(value: Any) -> Any:
        """Send what msgpack cannot pack as a handle."""
        if isinstance(value, tuple):
            return list(value)
        return objects_holder[0].objects.handle(value)

    channel = wire.Channel(sock, ext_hook=_request_ext, default=default)
    channel.holder = objects_holder  # type: ignore[attr-defined]
    return channel


def serve(fd: int) -> None:
    """Answer one test's requests on the channel fd until it closes."""
    channel = child_channel(fd)
    subject = Subject(channel)
    channel.holder.append(subject)  # type: ignore[attr-defined]
    subject.serve()
