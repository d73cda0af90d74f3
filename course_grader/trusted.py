"""Test cells run here, in the grader's process, never in the student's.

A test cell's code (its hidden part included) executes in a fresh namespace of the
grader. Every name it needs from the student (``confusion_matrix``, ...) is a proxy
that sends the arguments to the sandbox as plain values, runs the student's function
there, and rebuilds what it returned as fresh objects (``canonical``). So the check, the
reference implementation and ``numpy.testing`` are the grader's own: a submission cannot
patch them, blank the cell, hook the shell, or return an object that compares equal to
anything. Warnings the student's code raised are raised again here, so that a test that
turns warnings into errors still does, and any other warning costs nothing.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import io
import numbers
import time
import warnings
from dataclasses import dataclass, field

from course_grader.canonical import (
    Decoder,
    Encoder,
    NotPortableError,
    builtin_base,
    rebuild_exception,
)
from course_grader.remote import RemoteObject, argument_device, connect, to_device
from course_grader.sandbox import Sandbox, SandboxDied

OUTPUT_LIMIT = 20_000
# Libraries a test cell may use under the student's alias without importing them itself.
MIRRORED_MODULES = frozenset(
    {"numpy", "torch", "math", "random", "scipy", "collections", "itertools", "functools"}
)


class StudentTimeout(BaseException):
    """A student's function did not return in time (a BaseException: tests cannot catch it)."""


class GraderError(BaseException):
    """The grader could not run a check: the instructor's problem, never the student's."""


def loaded_names(source: str) -> set[str]:
    """Global names a cell reads, less those it binds itself."""
    tree = ast.parse(source)
    loads, binds = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else binds).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            binds.add(node.name)
        elif isinstance(node, ast.alias):
            binds.add((node.asname or node.name).split(".")[0])
    return loads - binds - set(dir(builtins))


def bound_names(source: str) -> set[str]:
    """Top-level names a cell binds (functions, classes, assignments, imports)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            names |= {
                n.id
                for n in ast.walk(node)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
    return names - {"*"}


class Proxy:
    """Stands for a student's function: calls it in the sandbox with plain values."""

    def __init__(self, session: TrustedSession, name: str):
        self._session, self.__name__ = session, name

    def __call__(self, *args, **kwargs):
        return self._session.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"


@dataclass
class Outcome:
    score: float | None
    status: str  # passed, failed, timeout, not_run, grader_error
    reason: str
    outputs: list = field(default_factory=list)


class TrustedSession:
    """The grader's side of one notebook: its namespace and its line to the sandbox."""

    def __init__(self, sandbox: Sandbox, cell_timeout: float):
        self.sandbox, self.cell_timeout = sandbox, cell_timeout
        self.namespace: dict = {"__name__": "__grader__", "__builtins__": builtins}
        self.trusted_names: set[str] = set()  # bound by the instructor's locked cells
        self.student_names: set[str] = set()  # bound at top level by the student's cells
        self.deadline = 0.0
        self.warnings_seen = 0

    # --- the student's functions ----------------------------------------------------
    def portable_classes(self) -> dict[str, type]:
        return {
            name: value
            for name in self.trusted_names
            if isinstance(value := self.namespace.get(name), type)
        }

    def call(self, name: str, args: tuple, kwargs: dict):
        return self.exchange({"name": name, "what": "call"}, args, kwargs, name)

    def exchange(self, target: dict, args: tuple, kwargs: dict, label: str):
        """One request about the student's code: call, attribute, iteration, backward."""
        classes = self.portable_classes()
        encoder = Encoder(set(classes))
        try:
            payload = {"args": encoder.encode(tuple(args)), "kwargs": encoder.encode(dict(kwargs))}
        except NotPortableError as error:
            raise GraderError(f"the grader cannot pass {error} to {label}") from None
        remaining = max(self.deadline - time.monotonic(), 1.0)
        request = {"op": "call", "portable": sorted(classes), **target, **payload}
        reply = self.sandbox.request(request, remaining)
        status = reply.get("status")
        if status in ("timeout", "interrupted"):
            raise StudentTimeout(
                f"{label}(...) did not return within {self.cell_timeout:.0f} s and was interrupted"
            )
        if status == "missing":
            raise NameError(f"name {label!r} is not defined")
        if status == "not_callable":
            raise TypeError(f"{label} is a {reply.get('type')}, not a function")
        if status == "raised":
            raise rebuild_exception(reply.get("exception", {}))
        if status == "unportable":
            raise TypeError(f"{label}(...) returned {reply.get('message')}")
        if status != "returned":
            raise TypeError(f"{label}(...) could not be checked: {reply.get('message', status)}")
        try:
            decoder = Decoder(
                classes, objects=encoder.objects, handles=lambda info: RemoteObject(self, info)
            )
            for number, state in dict(reply.get("objects", {})).items():
                decoder.update(encoder.objects[int(number)], state)
            value = decoder.decode(reply.get("value"))
        except (ValueError, KeyError, TypeError, NotPortableError) as error:
            raise TypeError(
                f"{label}(...) returned a value the grader cannot read: {error}"
            ) from None
        for record in reply.get("warnings", [])[:20]:
            self._warn(label, record)
        if isinstance(reply.get("graph"), int):
            return connect(self, reply["graph"], args, kwargs, value)
        device = argument_device(args, kwargs)
        return value if device is None else to_device(value, device)

    def _warn(self, name: str, record: dict) -> None:
        category = builtin_base(record.get("mro", []), Warning, UserWarning)
        self.warnings_seen += 1
        warnings.warn(f"{name}: {record.get('message', '')}", category, stacklevel=3)

    def _install(self, source: str) -> None:
        """Bind the names a trusted cell needs from the student: proxies or plain values."""
        wanted = (loaded_names(source) | self.student_names) - self.trusted_names
        wanted = sorted(n for n in wanted if not n.startswith("__"))
        if not wanted:
            return
        reply = self.sandbox.request({"op": "describe", "names": wanted}, self.cell_timeout)
        if reply.get("status") != "ok":
            raise StudentTimeout("the student's kernel did not answer in time")
        described = reply.get("names", {})
        for name in wanted:
            info = described.get(name, {}) if isinstance(described, dict) else {}
            kind = info.get("kind") if isinstance(info, dict) else None
            if kind == "callable":
                self.namespace[name] = Proxy(self, name)
            elif kind == "value":
                try:
                    self.namespace[name] = Decoder().decode(info.get("value"))
                except (ValueError, NotPortableError):
                    self.namespace.pop(name, None)
            elif kind == "module" and name not in self.namespace:
                self._mirror(name, str(info.get("module", "")))
            elif kind == "missing":  # a renamed function: let the test say NameError
                self.namespace.pop(name, None)

    def _mirror(self, name: str, module: str) -> None:
        """A library the student imported (``np``): the grader's own copy, same alias."""
        if module.split(".")[0] in MIRRORED_MODULES:
            try:
                self.namespace[name] = importlib.import_module(module)
            except ImportError:
                pass

    # --- cells ----------------------------------------------------------------------
    def run_locked(self, source: str) -> None:
        """An instructor's locked code cell (a class the tests use): run it here too."""
        self.deadline = time.monotonic() + self.cell_timeout
        self._install(source)
        exec(compile(source, "<locked cell>", "exec"), self.namespace)
        self.trusted_names |= bound_names(source)

    def run_test(self, source: str, points: float) -> Outcome:
        """Run a test cell; full points unless it raises (or returns a partial score)."""
        self.deadline = time.monotonic() + self.cell_timeout
        stdout = io.StringIO()
        before = self.warnings_seen
        try:
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
                with warnings.catch_warnings():
                    warnings.simplefilter("always")
                    self._install(source)
                    exec(compile(tree, "<test cell>", "exec"), self.namespace)
                    value = None
                    if last is not None:
                        expression = ast.Expression(last.value)
                        value = eval(compile(expression, "<test cell>", "eval"), self.namespace)
        except SandboxDied:
            raise
        except StudentTimeout as error:
            return Outcome(0.0, "timeout", str(error), self._outputs(stdout, error))
        except GraderError as error:
            return Outcome(
                None, "grader_error", f"needs manual grading: {error}", self._outputs(stdout, error)
            )
        except Exception as error:
            return Outcome(0.0, "failed", _first_line(error), self._outputs(stdout, error))
        score, status, reason = points, "passed", "passed"
        partial = _partial(value, points)
        if partial is not None and partial < points:
            score, status, reason = partial, "partial", f"partial credit: {partial:g} of {points:g}"
        if self.warnings_seen > before:
            reason += " (the code raised warnings; they cost no points)"
        return Outcome(score, status, reason, self._outputs(stdout, None))

    @staticmethod
    def _outputs(stdout: io.StringIO, error: BaseException | None) -> list:
        outputs = []
        text = stdout.getvalue()
        if text:
            if len(text) > OUTPUT_LIMIT:
                text = (
                    text[:OUTPUT_LIMIT] + f"\n[... {len(text) - OUTPUT_LIMIT} characters dropped]"
                )
            outputs.append({"output_type": "stream", "name": "stdout", "text": text})
        if error is not None:
            message = str(error)
            outputs.append(
                {
                    "output_type": "error",
                    "ename": type(error).__name__,
                    "evalue": message,
                    # the message only: a traceback would quote the hidden tests' source
                    "traceback": [f"{type(error).__name__}: {message}"],
                }
            )
        return outputs


def _first_line(error: BaseException) -> str:
    message = str(error).strip().splitlines()
    if isinstance(error, NotImplementedError) and not message:
        return "NotImplementedError: the function is still the released stub"
    text = f"{type(error).__name__}: {message[0]}" if message else type(error).__name__
    return text[:300]


def _partial(value, points: float) -> float | None:
    """nbgrader's partial credit: a test cell whose last expression is a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value) if 0 <= float(value) <= points else None
