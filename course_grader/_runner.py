"""Runs inside the sandbox: executes a student's cells and answers calls to their functions.

Started by ``course_grader.sandbox`` as ``python -P -m course_grader._runner``
with the grader's channel on stdin/stdout. Each message is an 8-byte length and a JSON
object. Requests: ``run`` (a cell's source), ``describe`` (what some names are),
``call`` (call a function by name with encoded arguments) and ``exit``. The test cells
never come here: only the student's cells and the instructor's locked code cells do.

Everything in this process is under the student's control once their first cell has run,
so nothing it answers is taken on trust: the grader only accepts plain encoded values.
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import traceback
import types
import warnings

HEADER = struct.Struct("!Q")
STREAM_LIMIT = 20_000  # characters of stdout/stderr kept per cell
DISPLAY_LIMIT = 200_000  # characters of one rich output kept
MISSING = object()


class CappedStream(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int = STREAM_LIMIT):
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def text(self) -> str:
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[... {self.dropped} more characters of output were dropped]\n"
        return out


class Runner:
    def __init__(self, channel_in, channel_out):
        self.channel_in, self.channel_out = channel_in, channel_out
        self.pid = os.getpid()
        self.handles: dict[int, object] = {}
        # A child forked by the student's code must not read or write the channel.
        os.register_at_fork(after_in_child=self._close_channel)
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False
        self.shell = InteractiveShell.instance(config=config)
        self.shell.showtraceback = lambda *args, **kwargs: None
        self.shell.showsyntaxerror = lambda *args, **kwargs: None

    # --- the channel -------------------------------------------------------------
    def _close_channel(self) -> None:
        for stream in (self.channel_in, self.channel_out):
            try:
                os.close(stream.fileno())
            except OSError:
                pass

    def receive(self) -> dict | None:
        header = self.channel_in.read(HEADER.size)
        if len(header) < HEADER.size:
            return None
        (size,) = HEADER.unpack(header)
        return json.loads(self.channel_in.read(size))

    def send(self, message: dict) -> None:
        if os.getpid() != self.pid:
            os._exit(0)
        data = json.dumps(message).encode()
        self.channel_out.write(HEADER.pack(len(data)) + data)
        self.channel_out.flush()

    def serve(self) -> None:
        self.send({"status": "ready"})
        while (request := self.receive()) is not None:
            if os.getpid() != self.pid:  # a forked child never speaks on the channel
                os._exit(0)
            op = request.get("op")
            if op == "exit":
                break
            handler = {"run": self.run, "describe": self.describe, "call": self.call}.get(op)
            try:
                reply = handler(request) if handler else {"status": "bad_request"}
            except KeyboardInterrupt:
                reply = {"status": "interrupted"}
            except Exception as error:  # a malformed request, or a student's broken class
                reply = {"status": "runner_error", "message": f"{type(error).__name__}: {error}"}
            self.send(reply)

    # --- requests -----------------------------------------------------------------
    def run(self, request: dict) -> dict:
        """Run one cell; return its outputs in nbformat's shape and how it ended."""
        from IPython.core.displaypub import CapturingDisplayPublisher

        out, err = CappedStream(), CappedStream()
        publisher = CapturingDisplayPublisher()
        saved = sys.stdout, sys.stderr, self.shell.display_pub
        sys.stdout, sys.stderr, self.shell.display_pub = out, err, publisher
        try:
            result = self.shell.run_cell(request["source"], store_history=False)
        except KeyboardInterrupt:
            result = None
        finally:
            sys.stdout, sys.stderr, self.shell.display_pub = saved
        outputs = [
            {"output_type": "stream", "name": name, "text": stream.text()}
            for name, stream in (("stdout", out), ("stderr", err))
            if stream.kept
        ]
        for item in publisher.outputs[:20]:
            data = {k: v for k, v in item.data.items() if isinstance(v, str)}
            if sum(len(v) for v in data.values()) <= DISPLAY_LIMIT:
                outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
        if result is None:
            return {"status": "interrupted", "outputs": outputs}
        error = result.error_before_exec or result.error_in_exec
        if isinstance(error, KeyboardInterrupt):
            return {"status": "interrupted", "outputs": outputs}
        if error is not None:
            outputs.append(error_output(error))
            return {"status": "error", "outputs": outputs}
        return {"status": "ok", "outputs": outputs}

    def describe(self, request: dict) -> dict:
        answer = {}
        for name in request.get("names", []):
            value = self.shell.user_ns.get(name, MISSING)
            if value is MISSING:
                answer[name] = {"kind": "missing"}
            elif isinstance(value, types.ModuleType):
                answer[name] = {"kind": "module", "module": str(getattr(value, "__name__", ""))}
            elif callable(value):
                answer[name] = {"kind": "callable"}
            else:
                try:
                    answer[name] = {"kind": "value", "value": self.encoder().encode(value)}
                except Exception as error:  # a value that cannot even be turned into a handle
                    answer[name] = {"kind": "other", "message": str(error)}
        return {"status": "ok", "names": answer}

    # --- objects that stay here: handles ----------------------------------------------
    def handle(self, value) -> dict:
        """Keep ``value`` here and describe it to the grader, which gets a stand-in."""
        number = len(self.handles)
        self.handles[number] = value
        cls = type(value)
        return {
            "t": "handle",
            "id": number,
            "cls": f"{cls.__module__}.{cls.__qualname__}",
            "name": cls.__name__,
        }

    def encoder(self, portable=()):
        from course_grader.canonical import Encoder

        return Encoder(set(portable), fallback=self.handle)

    def lookup(self, data: dict):
        number = data.get("id")
        if number not in self.handles:
            raise ValueError("reference to an unknown handle")
        return self.handles[number]

    def call(self, request: dict) -> dict:
        """Call, get or set something in the student's namespace or on a handle."""
        from course_grader.canonical import Decoder, NotPortableError, describe_exception

        op = request.get("what", "call")
        if request.get("handle") is not None:
            target = self.lookup({"id": request["handle"]})
        else:
            target = self.shell.user_ns.get(request.get("name"), MISSING)
            if target is MISSING:
                return {"status": "missing"}
        if op == "call" and not callable(target):
            return {"status": "not_callable", "type": type(target).__name__}
        portable = set(request.get("portable", []))
        classes = {
            name: cls for name in portable if isinstance(cls := self.shell.user_ns.get(name), type)
        }
        decoder = Decoder(classes, handles=self.lookup)
        args = decoder.decode(request.get("args", {"t": "tuple", "v": []}))
        kwargs = decoder.decode(request.get("kwargs", {"t": "dict", "v": []}))
        actions = {
            "call": lambda: target(*args, **kwargs),
            "getattr": lambda: getattr(target, str(request.get("attr"))),
            "setattr": lambda: setattr(target, str(request.get("attr")), args[0]),
            "iter": lambda: list(target),
            "len": lambda: len(target),
            "getitem": lambda: target[args[0]],
            "backward": lambda: self.backward(target, args),
        }
        if op not in actions:
            return {"status": "bad_request"}
        stdout = CappedStream(2_000)
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = stdout
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = actions[op]()
            except KeyboardInterrupt:
                return {"status": "interrupted"}
            except BaseException as error:  # SystemExit too: the grader decides what it means
                return {"status": "raised", "exception": describe_exception(error)}
            finally:
                sys.stdout, sys.stderr = saved
        encoder = self.encoder(portable)
        encoder.objects = dict(decoder.objects)
        encoder._ids = {id(obj): number for number, obj in decoder.objects.items()}
        try:
            graph = self.graph(args, kwargs, value) if op == "call" else None
            encoded = encoder.encode(value)
            states = {str(n): encoder.state(obj) for n, obj in decoder.objects.items()}
        except NotPortableError as error:
            return {"status": "unportable", "message": str(error)}
        return {
            "status": "returned",
            "value": encoded,
            "objects": states,
            "graph": graph,
            "warnings": [warning_record(w) for w in caught[:20]],
        }

    # --- gradients across the boundary --------------------------------------------------
    def graph(self, args, kwargs, value) -> int | None:
        """Keep the autograd graph of a call whose result needs gradients; its handle."""
        torch = sys.modules.get("torch")
        if torch is None:
            return None
        from course_grader.canonical import tensors

        outputs = [t for t in tensors(value) if t.requires_grad and t.grad_fn is not None]
        if not outputs:
            return None
        inputs = [t for t in tensors((args, kwargs)) if t.requires_grad]
        return self.handle((inputs, outputs))["id"]

    @staticmethod
    def backward(graph, grads):
        """Back-propagate the grader's output gradients; the inputs' gradients come back."""
        import torch

        inputs, outputs = graph
        pairs = [(o, g) for o, g in zip(outputs, grads[0], strict=False) if g is not None]
        torch.autograd.backward([o for o, _ in pairs], [g.to(o.dtype) for o, g in pairs])
        return [None if t.grad is None else t.grad.detach().clone() for t in inputs]


def warning_record(caught) -> dict:
    category = caught.category if isinstance(caught.category, type) else UserWarning
    return {
        "mro": [c.__name__ for c in category.__mro__],
        "type": category.__name__,
        "message": str(caught.message)[:2000],
    }


def error_output(error: BaseException) -> dict:
    """An nbformat error output; frames of IPython and of this runner are left out."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "IPython" not in frame.filename and "course_grader" not in frame.filename
    ]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(error), error)
    try:
        evalue = str(error)
    except Exception:
        evalue = "<unprintable message>"
    return {
        "output_type": "error",
        "ename": type(error).__name__,
        "evalue": evalue[:4000],
        "traceback": ["Traceback (most recent call last):", *lines][-30:],
    }


def main() -> None:
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    # The student's own writes to file descriptors 0-2 go nowhere near the channel.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr = CappedStream(0)
    runner = Runner(channel_in, channel_out)
    sys.path.insert(0, os.getcwd())  # like a kernel: the notebook's folder is importable
    runner.serve()
    os._exit(0)


if __name__ == "__main__":
    main()
