"""Stand-ins for objects that stay in the sandbox, and gradients that cross it.

Most graded functions return plain values. Some exercises return objects: chapter 05's
``ResidualBlock`` is an ``nn.Module`` the test builds, loads weights into, runs, and
back-propagates through. Such an object stays in the student's process; the grader holds
a ``RemoteObject`` whose attribute reads, calls, iteration and indexing are requests to
the sandbox, each answered with plain values or further stand-ins. What a test compares is
still plain data rebuilt in the grader.

A stand-in compares equal only to itself and is of its own class, named after the
student's: an object whose ``__eq__`` always answers ``True`` gains nothing. One
exception, so that ``check_type(block.shortcut, nn.Identity)`` can pass: a stand-in for
an instance of a PyTorch module class (``torch.nn.*``) reports that class as its
``__class__``. The class name comes from the sandbox, so a type check on such an object
trusts the student's process; a value check never does.

A call whose result needs gradients returns tensors tied to the call's tensor arguments by
``SandboxBackward``: ``backward()`` in the grader sends the output gradients to the
sandbox, which back-propagates through the student's graph (filling the ``.grad`` of the
student's parameters there) and sends the input gradients back.
"""

from __future__ import annotations

import importlib
import sys

from course_grader.canonical import Handle, tensors

TORCH_PREFIX = "torch.nn."


def library_class(path: str) -> type | None:
    """The PyTorch module class named ``path`` (``torch.nn.modules.linear.Identity``)."""
    if not path.startswith(TORCH_PREFIX):
        return None
    module_name, _, qualname = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), qualname)
        import torch
    except (ImportError, AttributeError, ValueError):
        return None
    return cls if isinstance(cls, type) and issubclass(cls, torch.nn.Module) else None


class RemoteObject(Handle):
    """An object that lives in the sandbox; every use is a request to it."""

    def __new__(cls, session, info: dict):
        name = str(info.get("name", "object"))
        name = name if name.isidentifier() else "object"
        kind = _KINDS.get(name)
        if kind is None:  # a class named as the student's, so that messages read naturally
            kind = _KINDS[name] = type(name, (RemoteObject,), {})
        return object.__new__(kind)

    def __init__(self, session, info: dict):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_handle_id", int(info["id"]))
        object.__setattr__(self, "_path", str(info.get("cls", "")))

    @property
    def __class__(self):
        return library_class(self._path) or type(self)

    def _ask(self, what: str, *args, attr: str | None = None, **kwargs):
        label = f"{type(self).__name__}.{attr}" if attr else type(self).__name__
        return self._session.exchange(
            {"handle": self._handle_id, "what": what, "attr": attr}, args, kwargs, label
        )

    def __getattr__(self, name: str):
        if name in ("_session", "_handle_id", "_path") or (
            name.startswith("__") and name.endswith("__")
        ):
            raise AttributeError(name)  # numpy and copy probe dunders: never the sandbox
        return self._ask("getattr", attr=name)

    def __setattr__(self, name: str, value) -> None:
        self._ask("setattr", value, attr=name)

    def __call__(self, *args, **kwargs):
        return self._ask("call", *args, **kwargs)

    def __iter__(self):
        return iter(self._ask("iter"))

    def __len__(self) -> int:
        return int(self._ask("len"))

    def __getitem__(self, key):
        return self._ask("getitem", key)

    def __repr__(self) -> str:
        return f"<student object {type(self).__name__}>"

    __hash__ = object.__hash__
    __eq__ = object.__eq__


_KINDS: dict[str, type] = {}


def replace_tensors(value, new: dict):
    """``value`` with each tensor whose ``id`` is in ``new`` replaced."""
    import torch

    if isinstance(value, torch.Tensor):
        return new.get(id(value), value)
    if isinstance(value, tuple | list):
        return type(value)(replace_tensors(v, new) for v in value)
    if isinstance(value, dict):
        return {k: replace_tensors(v, new) for k, v in value.items()}
    return value


def argument_device(args: tuple, kwargs: dict):
    """The device of the call's first tensor that is not on the CPU, or ``None``.

    The sandbox has no GPU: a test that works on the GPU gets its results moved back there.
    """
    if sys.modules.get("torch") is None:
        return None
    return next((t.device for t in tensors((args, kwargs)) if t.device.type != "cpu"), None)


def to_device(value, device):
    """``value`` with every tensor moved to ``device``, ``requires_grad`` and ``.grad`` kept."""
    moved = {}
    for t in tensors(value):
        copy = t.detach().to(device).requires_grad_(t.requires_grad)
        if t.grad is not None:
            copy.grad = t.grad.to(device)
        moved[id(t)] = copy
    return replace_tensors(value, moved)


def connect(session, graph: int, args: tuple, kwargs: dict, value):
    """Tie the tensors of ``value`` to the call's tensor arguments through the sandbox."""
    import torch

    device = argument_device(args, kwargs)

    class SandboxBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, outputs, *inputs):
            ctx.inputs = inputs[:-1]  # the last input is an anchor that needs grad
            return tuple(o.detach().to(device or o.device).clone() for o in outputs)

        @staticmethod
        def backward(ctx, *grads):
            reply = session.exchange(
                {"handle": graph, "what": "backward"}, (list(grads),), {}, "backward"
            )
            input_grads = [
                None if g is None else g.to(device=i.device, dtype=i.dtype)
                for g, i in zip(list(reply), ctx.inputs, strict=False)
            ]
            return (None, *input_grads, None)

    outputs = [t for t in tensors(value) if t.requires_grad]
    inputs = [t for t in tensors((args, kwargs)) if t.requires_grad]
    anchor = torch.zeros((), requires_grad=True)  # gradients flow even without inputs
    tied = SandboxBackward.apply(outputs, *inputs, anchor)
    return replace_tensors(value, {id(o): t for o, t in zip(outputs, tied, strict=True)})
