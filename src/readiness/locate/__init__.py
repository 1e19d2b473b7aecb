"""Location models for standby planning, laid out like spopt's ``locate``: one module per family.

``base`` holds the plan, the input checks, HiGHS and the shared heuristics; ``coverage`` LSCP, MCLP,
backup coverage and MEXCLP; ``median`` p-median; ``center`` p-center; ``fleet_mix`` the budgeted fleet
mix. ``LOCATION_MODELS`` is the one name-to-model table that the ``optimise`` command, its help text and
``readiness.planning`` read: adding a model is one module and one line here. This file imports no
solver, so that the CLI can read the table and still start fast; a model's module is imported when it
first solves.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from readiness.locate.base import LocationPlan, Method

@dataclass(frozen=True)
class LocationModel:
    """One entry of ``LOCATION_MODELS``: the question it answers and the function that solves it.

    Attributes
    ----------
    question
        What the model answers, in a planner's words (shown by ``readiness optimise --help``).
    solver
        ``"module.function"`` inside ``readiness.locate``.
    inputs
        The function's positional arguments in order, by the names it gives them: ``weights`` (demand
        weights), ``coverage`` (boolean demand × site, within the standard), ``cost`` (minutes), ``p`` or
        ``units`` (units to place), ``busy_fraction``, ``fixed`` (sites that must open). ``method`` is
        passed by keyword.
    """

    question: str
    solver: str
    inputs: tuple[str, ...]

    @property
    def places_units(self) -> bool:
        """Whether the model is told how many units to place (LSCP finds that number itself)."""
        return "p" in self.inputs or "units" in self.inputs

    def function(self) -> Callable[..., LocationPlan]:
        """The solving function, imported on first use."""
        module, name = self.solver.rsplit(".", 1)
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)

    def solve(self, weights: np.ndarray, minutes: np.ndarray, *, within: float, units: int,
              busy_fraction: float, fixed: list[int] | None, method: Method) -> LocationPlan:
        """Solve on demand weights and demand × site minutes, covering within ``within`` minutes."""
        given: dict[str, Any] = {"weights": weights, "cost": minutes, "p": units, "units": units,
                                 "busy_fraction": busy_fraction, "fixed": fixed}
        arguments = [minutes <= within if name == "coverage" else given[name] for name in self.inputs]
        return self.function()(*arguments, method=method)


LOCATION_MODELS: dict[str, LocationModel] = {
    "lscp": LocationModel("fewest sites that reach every area within the standard",
                          "coverage.lscp", ("coverage", "fixed")),
    "mclp": LocationModel("most demand within the standard of the units",
                          "coverage.mclp", ("weights", "coverage", "p", "fixed")),
    "backup": LocationModel("most demand within the standard of a second unit as well as the first",
                            "coverage.backup_coverage", ("weights", "coverage", "p", "fixed")),
    "mexclp": LocationModel("most demand a free unit reaches within the standard, busy at --busy-fraction",
                            "coverage.mexclp", ("weights", "coverage", "units", "busy_fraction", "fixed")),
    "p-median": LocationModel("shortest mean minutes to the nearest unit",
                              "median.p_median", ("weights", "cost", "p", "fixed")),
    "p-center": LocationModel("smallest worst-case minutes from any area to its nearest unit",
                              "center.p_center", ("cost", "p", "fixed")),
}
"""The location models of ``readiness optimise --model``, keyed by their command-line names."""
