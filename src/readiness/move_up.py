"""Move-up (``dispatch.move_up``): where free ARVs stand by while others are committed, as a compliance table.

A compliance table (as JEMSS calls it) lists, for each number ``p`` of free ARVs, the ``p`` positions they
should hold. Row ``p`` is the maximal covering plan (``locate.coverage.mclp``) of ``p`` units over the LSOA
centroids: the most exposure (the model's site weights at the attack time) within
``dispatch.move_up_standard_min`` blue-light minutes at the attack's hour. Rows are solved one by one, so
row ``p`` is the best plan for ``p`` units, not row ``p - 1`` plus one. The engine applies it when an ARV
is committed (docs/model.md, 4.7).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from readiness.kinds import ARMED
from readiness.locate.coverage import mclp

if TYPE_CHECKING:
    from readiness.model import Model


@dataclass(frozen=True, eq=False)
class ComplianceTable:
    """Row ``p`` of ``positions`` holds, in its first ``p`` slots, where ``p`` free ARVs stand by (-1 after)."""

    positions: np.ndarray  # (P + 1, max(P, 1)) int64 positions (n_bases + LSOA index); row 0 is empty
    covered_share: np.ndarray  # (P + 1,) share of the weight within the standard of row p's positions
    standard_min: float

    @property
    def max_units(self) -> int:
        """``P``: the most free ARVs the table has a row for (the fleet's ARVs)."""
        return self.positions.shape[0] - 1


#: Tables by their inputs: ``derive_model`` reuses the weights and travel arrays a change leaves alone, so a
#: sensitivity sweep or an option solves again only when the table's inputs change. Entries keep their
#: arrays alive, so the ids in a key cannot be reused while the entry is here.
_TABLES: OrderedDict[tuple[object, ...], tuple[tuple[np.ndarray, ...], ComplianceTable]] = OrderedDict()
_TABLES_KEPT = 8


def compliance_table(model: Model) -> ComplianceTable:
    """The model's compliance table: one MCLP per number of free ARVs, from 1 to the fleet's ARVs."""
    standard = float(model.params["dispatch.move_up_standard_min"])
    n_arvs = int(np.count_nonzero(model.fleet.kind == ARMED))
    arrays = (model.site_weights, model.blue_light_minutes)
    factor = model.attack_blue_light_factor()
    key = (*map(id, arrays), model.n_bases, factor, standard, n_arvs)
    if key not in _TABLES:
        _TABLES[key] = (arrays, _solve(model, factor, standard, n_arvs))
        if len(_TABLES) > _TABLES_KEPT:
            _TABLES.popitem(last=False)
    _TABLES.move_to_end(key)
    return _TABLES[key][1]


def _solve(model: Model, factor: float, standard: float, n_arvs: int) -> ComplianceTable:
    """Row ``p``: MCLP of ``p`` units over the LSOA centroids, weighted by the site weights; blue-light
    minutes times ``factor`` (the congestion at the attack time)."""
    weights = np.asarray(model.site_weights, dtype=float)
    minutes = factor * model.blue_light_minutes[model.n_bases:].astype(float)
    coverage = minutes.T <= standard  # demand LSOA x candidate LSOA centroid
    positions = np.full((n_arvs + 1, max(n_arvs, 1)), -1, dtype=np.int64)
    covered = np.zeros(n_arvs + 1)
    for p in range(1, min(n_arvs, coverage.shape[1]) + 1):
        plan = mclp(weights, coverage, p)
        positions[p, :len(plan.sites)] = model.n_bases + np.sort(plan.sites)
        covered[p] = plan.objective / weights.sum()
    return ComplianceTable(positions=positions, covered_share=covered, standard_min=standard)
