"""Plain values that cross the sandbox boundary: numbers, strings, arrays, tensors, containers.

A student's function runs in the sandbox; what it returns comes back to the grader as
JSON built from a closed set of types and is rebuilt there as fresh Python, NumPy or
PyTorch objects. Nothing the student defined survives the trip: an object whose
``__eq__`` always answers ``True`` is refused, and an ``ndarray`` subclass arrives as a
plain ``ndarray`` holding its data. The same encoding carries the test's arguments the
other way. Instances of the instructor's own classes (defined in locked cells, such as
chapter 01's ``Value``) travel as their plain attributes, so that a function that
updates ``a.grad`` in place is seen to do so.

Decoding trusts nothing: tags, dtypes, shapes, sizes and depth are all checked, and a
malformed payload raises ``ValueError``.
"""

from __future__ import annotations

import base64
import sys
from typing import Any

import numpy as np

MAX_DEPTH = 40
MAX_BYTES = 64 * 2**20
# NumPy dtype kinds that are plain data: bool, ints, floats, complex, text, bytes, dates
ARRAY_KINDS = "biufcUSMm"
SCALARS = (type(None), bool, int, float, str)


class NotPortableError(TypeError):
    """A value that is not one of the plain types the sandbox boundary carries."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("binary payload must be base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _torch():
    return sys.modules.get("torch")


class Encoder:
    """Encode values; ``portable`` names the classes whose instances travel by attributes."""

    def __init__(self, portable: set[str] | frozenset[str] = frozenset(), fallback=None):
        self.portable = set(portable)
        self.objects: dict[int, Any] = {}  # encoded id -> object, for in-place updates
        self._ids: dict[int, int] = {}  # id(obj) -> encoded id
        # the sandbox's runner turns any other object into a handle (see ``Handle``)
        self.fallback = fallback

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise NotPortableError(f"nested deeper than {MAX_DEPTH} levels")
        kind = type(value)
        if kind in SCALARS:
            return value
        if issubclass(kind, Handle):  # type(), not isinstance(): a handle may wear a class
            return {"t": "handle", "id": value._handle_id}
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, np.generic):
            array = np.asarray(value)
            return {"t": "npscalar", "v": self._array(array.reshape(()))}
        torch = _torch()
        if torch is not None and isinstance(value, torch.Tensor):
            return self._tensor(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, complex):
            return {"t": "complex", "v": [value.real, value.imag]}
        if isinstance(value, bytes):
            return {"t": "bytes", "v": _b64(bytes(value))}
        if isinstance(value, tuple | list | set | frozenset):
            tag = next(t for t in (tuple, list, set, frozenset) if isinstance(value, t)).__name__
            return {"t": tag, "v": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            return {
                "t": "dict",
                "v": [
                    [self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()
                ],
            }
        if kind.__name__ in self.portable or isinstance(value, np.random.Generator):
            return self._object(value, depth)
        if torch is not None and isinstance(value, torch.device | torch.dtype):
            tag = "torch_device" if isinstance(value, torch.device) else "torch_dtype"
            return {"t": tag, "v": str(value).removeprefix("torch.")}
        if self.fallback is not None:
            return self.fallback(value)
        raise NotPortableError(
            f"an object of type {kind.__name__}: the grader accepts numbers, strings, "
            "NumPy arrays, tensors, and tuples, lists and dicts of them"
        )

    def _array(self, array: np.ndarray) -> dict:
        array = np.asarray(array)  # an ndarray subclass becomes a plain array of its data
        if array.dtype.kind not in ARRAY_KINDS:
            raise NotPortableError(f"an array of dtype {array.dtype} (only plain numbers and text)")
        if array.nbytes > MAX_BYTES:
            raise NotPortableError(f"an array of {array.nbytes} bytes (limit {MAX_BYTES})")
        data = np.ascontiguousarray(array).tobytes()
        return {
            "t": "ndarray",
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "v": _b64(data),
        }

    def _tensor(self, tensor: Any) -> dict:
        torch = _torch()
        detached = tensor.detach().cpu()
        name = str(detached.dtype).removeprefix("torch.")
        if detached.dtype == torch.bfloat16:
            detached = detached.float()
        encoded = {
            "t": "tensor",
            "dtype": name,
            "requires_grad": bool(tensor.requires_grad),
            "v": self._array(detached.numpy()),
        }
        grad = getattr(tensor, "grad", None) if tensor.is_leaf else None
        if grad is not None:  # a parameter's gradient is part of what a test reads
            encoded["grad"] = self._tensor(grad)
        return encoded

    def _object(self, value: Any, depth: int) -> dict:
        key = id(value)
        if key in self._ids:
            return {"t": "ref", "id": self._ids[key]}
        number = len(self._ids)
        self._ids[key] = number
        self.objects[number] = value
        return {
            "t": "object",
            "cls": type(value).__name__,
            "id": number,
            "state": self.state(value, depth),
        }

    def state(self, value: Any, depth: int = 0) -> dict:
        """The portable attributes of an instance; functions and the like are left out."""
        if isinstance(value, np.random.Generator):  # a generator travels by its state
            return {
                "bit_generator": type(value.bit_generator).__name__,
                "state": self.encode(value.bit_generator.state, depth + 1),
            }
        state = {}
        for name, attr in list(getattr(value, "__dict__", {}).items()):
            try:
                state[str(name)] = self.encode(attr, depth + 1)
            except NotPortableError:
                continue
        return state


class Decoder:
    """Rebuild encoded values; ``classes`` maps portable class names to the classes to use."""

    def __init__(
        self,
        classes: dict[str, type] | None = None,
        objects: dict[int, Any] | None = None,
        handles=None,
    ):
        self.classes = classes or {}
        self.objects: dict[int, Any] = dict(objects or {})
        self.handles = handles  # encoded handle -> object; None: handles are refused

    def decode(self, data: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ValueError(f"payload nested deeper than {MAX_DEPTH} levels")
        if type(data) in SCALARS:
            return data
        if not isinstance(data, dict) or not isinstance(data.get("t"), str):
            raise ValueError(f"malformed payload of type {type(data).__name__}")
        tag, value = data["t"], data.get("v")
        if tag == "ndarray":
            return _decode_array(data)
        if tag == "npscalar":
            return _decode_array(value)[()]
        if tag == "tensor":
            return self._tensor(data)
        if tag == "complex":
            real, imag = value
            return complex(float(real), float(imag))
        if tag == "bytes":
            return _unb64(value)
        if tag in ("tuple", "list", "set", "frozenset"):
            if not isinstance(value, list):
                raise ValueError(f"{tag} payload must hold a list")
            items = [self.decode(v, depth + 1) for v in value]
            return {"tuple": tuple, "list": list, "set": set, "frozenset": frozenset}[tag](items)
        if tag == "dict":
            if not isinstance(value, list) or not all(
                isinstance(p, list) and len(p) == 2 for p in value
            ):
                raise ValueError("dict payload must hold [key, value] pairs")
            return {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in value}
        if tag == "ref":
            if data.get("id") not in self.objects:
                raise ValueError("reference to an unknown object")
            return self.objects[data["id"]]
        if tag == "object":
            return self._object(data, depth)
        if tag == "handle":
            if self.handles is None:
                raise NotPortableError("a handle to an object in the sandbox")
            return self.handles(data)
        if tag in ("torch_device", "torch_dtype"):
            return _torch_thing(tag, value)
        raise ValueError(f"unknown payload tag {tag!r}")

    def _tensor(self, data: dict) -> Any:
        import torch

        array = _decode_array(data["v"])
        dtype = getattr(torch, str(data.get("dtype")), None)
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f"unknown tensor dtype {data.get('dtype')!r}")
        tensor = torch.from_numpy(array.copy()).to(dtype)
        if data.get("requires_grad") and tensor.is_floating_point():
            tensor.requires_grad_(True)
            if isinstance(data.get("grad"), dict) and data["grad"].get("t") == "tensor":
                grad = self._tensor({**data["grad"], "requires_grad": False})
                if grad.shape == tensor.shape:
                    tensor.grad = grad.to(tensor.dtype)
        return tensor

    def _object(self, data: dict, depth: int) -> Any:
        cls = self.classes.get(data.get("cls"))
        number = data.get("id")
        if data.get("cls") == "Generator" and isinstance(number, int):
            cls = np.random.Generator
        if cls is None or not isinstance(number, int):
            raise NotPortableError(f"an object of type {data.get('cls')!r}")
        if number in self.objects:  # an object the other side already knows: update it
            obj = self.objects[number]
        elif cls is np.random.Generator:
            obj = _generator(data.get("state", {}))
            self.objects[number] = obj
        else:
            obj = cls.__new__(cls)
            self.objects[number] = obj
        self.update(obj, data.get("state"), depth)
        return obj

    def update(self, obj: Any, state: Any, depth: int = 0) -> None:
        """Set the attributes of ``obj`` from an encoded state (an in-place change)."""
        if not isinstance(state, dict):
            raise ValueError("object state must be a mapping")
        if isinstance(obj, np.random.Generator):  # the draws the other side made
            obj.bit_generator.state = self.decode(state.get("state"), depth + 1)
            return
        for name, value in state.items():
            if not (isinstance(name, str) and name.isidentifier()):
                raise ValueError(f"bad attribute name {name!r}")
            setattr(obj, name, self.decode(value, depth + 1))


class Handle:
    """Base of the grader's stand-ins for objects that stay in the sandbox (``remote``)."""

    _handle_id: int


BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _generator(state: Any) -> np.random.Generator:
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS:
        raise ValueError(f"unknown bit generator {name!r}")
    generator = np.random.Generator(getattr(np.random, name)())
    generator.bit_generator.state = Decoder().decode(state.get("state"))
    return generator


def _torch_thing(tag: str, value: Any) -> Any:
    import torch

    if tag == "torch_dtype":
        dtype = getattr(torch, str(value), None)
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f"unknown tensor dtype {value!r}")
        return dtype
    device = torch.device(str(value))
    if device.type == "cuda" and not torch.cuda.is_available():
        return torch.device("cpu")  # the sandbox has no GPU: the same code runs on the CPU
    return device


def _decode_array(data: Any) -> np.ndarray:
    if not isinstance(data, dict) or data.get("t") != "ndarray":
        raise ValueError("malformed array payload")
    dtype = np.dtype(str(data.get("dtype")))
    shape = data.get("shape")
    if dtype.kind not in ARRAY_KINDS or dtype.hasobject:
        raise ValueError(f"array dtype {dtype} is not plain data")
    if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise ValueError("array shape must be a list of non-negative integers")
    raw = _unb64(data.get("v"))
    if len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
        raise ValueError("array data does not match its shape and dtype")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def describe_exception(error: BaseException) -> dict:
    """Name, builtin base classes and message of an exception, for the other side."""
    names = [c.__name__ for c in type(error).__mro__]
    try:
        message = str(error)
    except Exception:  # a student's __str__ that raises
        message = "<unprintable message>"
    return {"type": type(error).__name__, "mro": names, "message": message[:4000]}


def rebuild_exception(info: dict) -> Exception:
    """An exception of the first builtin class in the student's exception's ancestry.

    A student's ``class MyError(ValueError)`` comes back as a ``ValueError`` subclass
    named ``MyError``, so that ``except ValueError`` and ``check_raises`` behave as in
    the student's kernel; nothing but the names and the message is carried over.
    """
    import builtins

    base = builtin_base(info.get("mro", []), Exception)
    name, message = str(info.get("type", base.__name__)), str(info.get("message", ""))
    if name == base.__name__:
        return base(message)
    if not name.isidentifier() or hasattr(builtins, name):  # SystemExit, KeyboardInterrupt, ...
        return base(f"{name}: {message}")
    return type(name, (base,), {})(message)


def builtin_base(mro: list, root: type, default: type | None = None) -> type:
    """The first builtin class named in ``mro`` (class names from the other side) that is a
    subclass of ``root`` (Exception, Warning); ``default`` (else ``root``) when none is."""
    import builtins

    for name in mro:
        candidate = getattr(builtins, name, None) if isinstance(name, str) else None
        if isinstance(candidate, type) and issubclass(candidate, root):
            return candidate
    return default or root


def tensors(value) -> list:
    """The tensors in ``value``, in the one order both sides of the boundary walk it.

    torch is looked up, not imported: in a sandbox whose notebook never imported it, no value
    can hold a tensor.
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, tuple | list):
        return [t for item in value for t in tensors(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in tensors(item)]
    return []
