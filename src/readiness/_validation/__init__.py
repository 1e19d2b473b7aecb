"""Private validation tools: the SimPy reference implementation of docs/model.md.

Imported only by tests, benchmarks and validation commands, never by a plain run, because SimPy is an
optional dependency (``pip install readiness[validate]``). Importing this package without SimPy raises
:class:`MissingExtraError`, a user error that says what to install.
"""

from __future__ import annotations

import importlib.util

from readiness.errors import ReadinessError

#: The optional dependencies of the ``validate`` extra (pyproject.toml).
VALIDATE_REQUIRES: tuple[str, ...] = ("simpy",)


class MissingExtraError(ReadinessError, ImportError):
    """An optional feature's dependencies are not installed (an ``ImportError`` too, for ``importorskip``)."""


def require_validate_extra() -> None:
    """Fail with a clear message unless the ``validate`` extra's packages are importable."""
    missing = [name for name in VALIDATE_REQUIRES if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(f"model validation needs {', '.join(missing)}: install readiness[validate] "
                                f"(pip install 'readiness[validate]')")


require_validate_extra()
