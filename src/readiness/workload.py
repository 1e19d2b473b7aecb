"""Everyday workload (placeholder until the workload model lands): every unit free at the attack."""

from __future__ import annotations

from readiness.engine import UnitStateSampler
from readiness.model import Model
from readiness.scenario import draw_unit_starts


def unit_state_sampler(model: Model) -> UnitStateSampler:
    """The sampler of unit states at the attack's start for this model."""
    del model
    return draw_unit_starts
