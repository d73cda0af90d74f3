"""course_lib: reference implementations for the deep-learning course book.

One module per concept the book teaches (``metrics``, ...) plus small
infrastructure modules (``device``, ``data``, ``plotting``, ``widgets``,
``checks``). Every function is tested against PyTorch, scikit-learn, NumPy,
finite differences or a hand-worked case; see ``tests/``.
"""

__version__ = "0.1.0"
