"""What the classification metrics share: the undefined-ratio warning and 0/0 handling.

As scikit-learn's ``sklearn.metrics``, a ratio whose denominator is 0 (the
precision of a class never predicted) takes the value ``zero_division`` says,
and by default warns at the line of the caller's code, not at a line of
``course_lib``.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["UndefinedMetricWarning"]

# warnings point at the first frame outside course_lib (the package above this one)
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1]) + os.sep


class UndefinedMetricWarning(UserWarning):
    """A ratio had a zero denominator and ``zero_division="warn"`` replaced it by 0."""


def _check_zero_division(zero_division: Any) -> None:
    ok = zero_division == "warn" or (
        isinstance(zero_division, int | float)
        and (zero_division in (0, 1) or np.isnan(zero_division))
    )
    if not ok:
        raise ValueError(f'zero_division must be "warn", 0, 1 or np.nan, got {zero_division!r}')


def _caller_stacklevel() -> int:
    """The stack level of the first frame outside course_lib, for warnings.warn."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        level, frame = level + 1, frame.f_back
    return level


def _divide(
    num: np.ndarray, den: np.ndarray, zero_division: Any, what: str, *, warn: bool = True
) -> np.ndarray:
    """num / den, with 0/0 replaced as ``zero_division`` says.

    With ``zero_division="warn"`` the value is 0 and, if ``warn``, a warning
    points at the caller's line (not at this module).
    """
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    zero = den == 0
    out = np.divide(num, den, out=np.zeros_like(num), where=~zero)
    if np.any(zero):
        if zero_division == "warn":
            if warn:
                warnings.warn(
                    f"{what} is ill-defined (0/0) and set to 0.0; pass zero_division to "
                    "choose the value and silence this warning",
                    UndefinedMetricWarning,
                    stacklevel=_caller_stacklevel(),
                )
            fill = 0.0
        else:
            fill = float(zero_division)
        out[zero] = fill
    return out
