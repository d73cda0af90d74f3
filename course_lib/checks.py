"""Readable self-checks for students: what was expected, what was received, which case.

The test cells of the graded notebooks call these helpers. Each raises an
``AssertionError`` whose message a student can act on, instead of a bare
``assert`` that only says "False":

>>> check_close([1.0, 2.0], [1.0, 2.5], name="precision", case="3 classes")
Traceback (most recent call last):
...
course_lib.checks.CheckError: precision is wrong for case '3 classes'.
  expected: [1.  2.5]
  received: [1. 2.]
  first difference at index (1,): expected 2.5, received 2.0

See the book: preface ("How graded notebooks work").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from course_lib.validation import to_numpy

__all__ = [
    "CheckError",
    "check_close",
    "check_equal",
    "check_function",
    "check_raises",
    "check_shape",
    "check_type",
]


class CheckError(AssertionError):
    """A self-check failed; the message says why in plain words."""


def _as_array(value: Any) -> np.ndarray:
    return to_numpy(value, "the result", allow_object=True)


def _where(case: str | None) -> str:
    return f" for case {case!r}" if case else ""


def _format(value: Any) -> str:
    text = (
        np.array2string(value, precision=6, threshold=40)
        if isinstance(value, np.ndarray)
        else repr(value)
    )
    return text.replace("\n", "\n            ")


def _fail(name: str, case: str | None, expected: Any, received: Any, detail: str = "") -> None:
    message = (
        f"{name} is wrong{_where(case)}.\n"
        f"  expected: {_format(expected)}\n"
        f"  received: {_format(received)}"
    )
    if detail:
        message += f"\n  {detail}"
    raise CheckError(message)


def _fail_at_first(
    name: str, case: str | None, expected: np.ndarray, received: np.ndarray, wrong: np.ndarray
) -> None:
    """Fail, pointing at the first index where ``wrong`` is True."""
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    _fail(
        name,
        case,
        expected,
        received,
        f"first difference at index {index}: expected {expected[index].item()!r}, "
        f"received {received[index].item()!r}",
    )


def check_type(
    value: Any,
    expected_type: type | tuple[type, ...],
    *,
    name: str = "the result",
    case: str | None = None,
) -> None:
    """Fail unless ``value`` is an instance of ``expected_type``.

    A ``None`` gets a hint: the function probably has no ``return`` yet.
    """
    if isinstance(value, expected_type):
        return
    names = (
        expected_type.__name__
        if isinstance(expected_type, type)
        else " or ".join(t.__name__ for t in expected_type)
    )
    hint = " (did you forget a `return`?)" if value is None else ""
    raise CheckError(
        f"{name} has the wrong type{_where(case)}: expected {names}, "
        f"received {type(value).__name__}{hint}"
    )


def check_shape(
    value: Any,
    expected_shape: tuple[int, ...],
    *,
    name: str = "the result",
    case: str | None = None,
) -> None:
    """Fail unless ``value`` (array, tensor or nested list) has ``expected_shape``."""
    if value is None:
        raise CheckError(f"{name} is None{_where(case)} (did you forget a `return`?)")
    shape = tuple(_as_array(value).shape)
    if shape != tuple(expected_shape):
        raise CheckError(
            f"{name} has the wrong shape{_where(case)}: expected {tuple(expected_shape)}, "
            f"received {shape}"
        )


def check_equal(
    received: Any, expected: Any, *, name: str = "the result", case: str | None = None
) -> None:
    """Fail unless ``received`` equals ``expected`` exactly (arrays element-wise)."""
    exp = _as_array(expected)
    if exp.ndim == 0 and not isinstance(expected, np.ndarray):
        if received is None:
            _fail(name, case, expected, received, "the function returned None: add a `return`")
        try:
            equal = bool(received == expected)
        except Exception:  # a comparison that is not a truth value: treat as unequal
            equal = False
        if not equal:
            _fail(name, case, expected, received)
        return
    check_shape(received, exp.shape, name=name, case=case)
    rec = _as_array(received)
    unequal = rec != exp
    if np.any(unequal):
        _fail_at_first(name, case, exp, rec, unequal)


def check_close(
    received: Any,
    expected: Any,
    *,
    name: str = "the result",
    case: str | None = None,
    rtol: float = 1e-7,
    atol: float = 1e-9,
) -> None:
    """Fail unless ``received`` is within ``atol + rtol * |expected|`` of ``expected``.

    NaN matches NaN (an undefined metric must be reported as undefined).
    """
    exp = _as_array(expected).astype(np.float64)
    if received is None:
        _fail(name, case, expected, received, "the function returned None: add a `return`")
    check_shape(received, exp.shape, name=name, case=case)
    rec = _as_array(received)
    if rec.dtype.kind not in "biuf":  # strings and objects would convert silently
        _fail(name, case, exp, received, f"the result is not a number (dtype {rec.dtype})")
    rec = rec.astype(np.float64)
    close = np.isclose(rec, exp, rtol=rtol, atol=atol, equal_nan=True)
    if np.all(close):
        return
    if exp.ndim == 0:
        _fail(
            name,
            case,
            float(exp),
            float(rec),
            f"difference {abs(float(rec) - float(exp)):.3g} exceeds the tolerance "
            f"(rtol={rtol:g}, atol={atol:g})",
        )
    _fail_at_first(name, case, exp, rec, ~close)


def check_raises(
    fn: Callable,
    *args: Any,
    exception: type[BaseException] = ValueError,
    name: str | None = None,
    case: str | None = None,
    **kwargs: Any,
) -> None:
    """Fail unless ``fn(*args, **kwargs)`` raises ``exception``."""
    label = name or getattr(fn, "__name__", "the function")
    try:
        fn(*args, **kwargs)
    except exception:
        return
    except Exception as exc:
        raise CheckError(
            f"{label} should raise {exception.__name__}{_where(case)}, but raised "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    raise CheckError(f"{label} should raise {exception.__name__}{_where(case)}, but returned")


def check_function(
    fn: Callable,
    reference: Callable,
    cases: Mapping[str, tuple] | Iterable,
    *,
    name: str | None = None,
    rtol: float = 1e-7,
    atol: float = 1e-9,
) -> int:
    """Compare ``fn`` with ``reference`` on every case; fail on the first mismatch.

    Parameters
    ----------
    cases : mapping of case name to argument tuple (or ``(args, kwargs)``), or an
        iterable of argument tuples (named ``case 0``, ``case 1``, ...).

    Returns
    -------
    int
        The number of cases checked.
    """
    label = name or getattr(fn, "__name__", "the function")
    items = (
        cases.items()
        if isinstance(cases, Mapping)
        else ((f"case {i}", c) for i, c in enumerate(cases))
    )
    count = 0
    for case, spec in items:
        args, kwargs = spec if (len(spec) == 2 and isinstance(spec[1], dict)) else (spec, {})
        try:
            received = fn(*args, **kwargs)
        except NotImplementedError:
            raise CheckError(f"{label} is not implemented yet ({case})") from None
        except Exception as exc:
            raise CheckError(
                f"{label} raised {type(exc).__name__} for case {case!r}: {exc}"
            ) from exc
        check_close(
            received, reference(*args, **kwargs), name=label, case=case, rtol=rtol, atol=atol
        )
        count += 1
    return count
