"""Device choice and seeding, the first two lines of every notebook.

>>> from course_lib.device import get_device, seed_everything
>>> seed_everything(0)
0
>>> get_device().type in {"cuda", "mps", "cpu"}
True
>>> configure_threads(torch.device("cpu"), num_threads=1)
1
"""

from __future__ import annotations

import os
import random

import numpy as np
import threadpoolctl
import torch

from course_lib.validation import check_int

__all__ = ["configure_threads", "describe_device", "get_device", "seed_everything"]

_VALID = ("cuda", "mps", "cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device(prefer: str | None = None) -> torch.device:
    """Return the best available device: CUDA, then Apple's MPS, then the CPU.

    Parameters
    ----------
    prefer : {"cuda", "mps", "cpu"}, optional
        Ask for one device explicitly. The environment variable
        ``COURSE_DEVICE`` does the same without editing a notebook (for
        example ``COURSE_DEVICE=cpu`` to compare timings on a GPU machine).

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``prefer`` is not one of the three names.
    RuntimeError
        If the preferred device is not available on this machine.
    """
    prefer = prefer if prefer is not None else os.environ.get("COURSE_DEVICE") or None
    if prefer is not None:
        if prefer not in _VALID:
            raise ValueError(f"prefer must be one of {_VALID} or None, got {prefer!r}")
        available = {
            "cuda": torch.cuda.is_available(),
            "mps": _mps_available(),
            "cpu": True,
        }[prefer]
        if not available:
            raise RuntimeError(f"prefer={prefer!r} was requested but no such device is available")
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device | None = None) -> str:
    """One line saying which device the notebook runs on, for its first output."""
    device = device or get_device()
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)}), torch {torch.__version__}"
    return f"{device.type}, torch {torch.__version__}"


def seed_everything(seed: int = 0, *, deterministic: bool = False) -> int:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU and CUDA).

    Parameters
    ----------
    seed : int
        A non-negative integer below 2**32.
    deterministic : bool
        Also ask PyTorch for deterministic kernels (slower on a GPU; ops with
        no deterministic implementation then warn instead of failing).

    Returns
    -------
    int
        The seed, so that a notebook can print it.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the legacy global generator is what old code uses
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return seed


def configure_threads(
    device: torch.device | str | None = None, *, num_threads: int | None = None
) -> int:
    """Set how many CPU threads PyTorch, BLAS and OpenMP use here; return PyTorch's number.

    The course's networks are small: on a CPU, one thread per notebook is as fast as
    several, steadier to time, and leaves the other cores to other notebooks when the
    book is built in parallel (measured on a 2-core machine: two threads on small
    convolutions were up to ten times slower than one when the machine was busy). On a
    GPU the number of CPU threads hardly matters and nothing is changed.

    Parameters
    ----------
    device : torch.device or str, optional
        The device the notebook computes on (default: :func:`get_device`).
    num_threads : int, optional
        Threads to use on the CPU. Default: the environment variable
        ``COURSE_NUM_THREADS`` if set (the parallel book build sets it), else 1.
        Give a larger number to time a bigger model on a many-core machine.
    """
    device = torch.device(device) if device is not None else get_device()
    if device.type != "cpu":
        return torch.get_num_threads()
    if num_threads is None:
        num_threads = os.environ.get("COURSE_NUM_THREADS") or 1
        try:
            num_threads = int(num_threads)
        except ValueError:
            raise ValueError(
                f"COURSE_NUM_THREADS must be a positive integer, got {num_threads!r}"
            ) from None
    torch.set_num_threads(check_int(num_threads, "num_threads", 1))
    # NumPy's and scikit-learn's BLAS and OpenMP pools too: on a busy 2-core machine an
    # unlimited OpenBLAS made one small LogisticRegression fit 250 times slower
    threadpoolctl.threadpool_limits(num_threads)
    return torch.get_num_threads()
