"""course_lib: reference implementations for the deep-learning course book.

One module per concept the book teaches (``metrics``, ``conv``, ...), with
the concept's figures and widgets in ``figures/<concept>.py``, plus small
infrastructure modules that import no concept (``device``, ``validation``,
``checks``, ``data``, ``training``, ``plotting``, ``widgets``; see
``tests/test_layering.py``). Every function is tested against PyTorch, scikit-learn, NumPy,
finite differences or a hand-worked case; see ``tests/``.
"""

__version__ = "0.1.0"
