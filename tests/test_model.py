"""derive_model: a changed copy rebuilds what the change requires and equals a model built from scratch."""

import numpy as np
import pytest

from readiness.kinds import ARMED, UNARMED
from readiness.model import build_model, derive_model


def _with(model, **updates):
    return model.config.model_copy(update=updates)


def test_an_unchanged_config_reuses_area_weights_and_travel(default_model):
    same = derive_model(default_model, default_model.config)
    assert same.area is default_model.area
    assert same.site_weights is default_model.site_weights
    assert same.travel_minutes is default_model.travel_minutes
    assert dict(same.params) == dict(default_model.params)
    np.testing.assert_array_equal(same.fleet.position, default_model.fleet.position)


def test_a_moved_base_recomputes_its_row_and_matches_a_fresh_build(default_model):
    resources = default_model.config.resources
    first = resources.bases[0]
    moved = resources.model_copy(update={"bases": [first.model_copy(update={"x": first.x + 1500.0}),
                                                   *resources.bases[1:]]})
    config = _with(default_model, resources=moved)
    derived = derive_model(default_model, config)
    fresh = build_model(config, area=default_model.area)
    np.testing.assert_array_equal(derived.travel_minutes, fresh.travel_minutes)
    assert not np.array_equal(derived.travel_minutes[0], default_model.travel_minutes[0])
    np.testing.assert_array_equal(derived.travel_minutes[1:], default_model.travel_minutes[1:])


def test_parameters_follow_the_config_and_move_the_fleet(default_model):
    raw = default_model.config.resources.model_copy(update={"units": None})  # counts from the registry
    config = _with(default_model, resources=raw, parameters={"arv.on_duty": 12})
    derived = derive_model(default_model, config)
    assert derived.params["arv.on_duty"] == 12
    assert derived.fleet.count(0) == build_model(config, area=default_model.area).fleet.count(0) == 12
    assert derived.travel_minutes is default_model.travel_minutes  # same bases, same travel


@pytest.mark.parametrize(("name", "kind", "value"), [("arv.on_duty", ARMED, 5), ("response.on_duty", UNARMED, 40)])
def test_every_count_parameter_moves_the_default_units_and_none_moves_listed_ones(default_model, name, kind, value):
    raw = default_model.config.resources.model_copy(update={"units": None})  # counts from the registry
    derived = derive_model(default_model, _with(default_model, resources=raw, parameters={name: value}))
    assert derived.fleet.count(kind) == value
    assert derived.config.resources == build_model(_with(default_model, resources=raw, parameters={name: value}),
                                                   area=default_model.area).config.resources
    listed = derive_model(default_model, _with(default_model, parameters={name: value}))  # units as resolved
    assert listed.fleet.count(kind) == default_model.fleet.count(kind) and listed.params[name] == value


def test_a_changed_travel_coefficient_rebuilds_the_travel_minutes(default_model):
    intercept = default_model.params["travel.intercept_min"]
    config = _with(default_model, parameters={"travel.intercept_min": intercept + 2.0})
    derived = derive_model(default_model, config)
    np.testing.assert_array_equal(derived.travel_minutes,
                                  build_model(config, area=default_model.area).travel_minutes)
    assert derived.travel_minutes.mean() == pytest.approx(default_model.travel_minutes.mean() + 2.0, abs=0.05)


def test_derived_models_share_the_dispatch_transpose_and_a_replaced_matrix_gets_its_own(default_model):
    """The dispatch reads ``blue_light_to_sites``: one copy for models sharing travel, a new one for new minutes."""
    import dataclasses

    derived = derive_model(default_model, _with(default_model, parameters={"horizon_min": 100.0}))
    assert derived.blue_light_minutes is default_model.blue_light_minutes
    assert derived.blue_light_to_sites is default_model.blue_light_to_sites
    slower = dataclasses.replace(default_model, blue_light_minutes=default_model.blue_light_minutes * 1.1)
    np.testing.assert_array_equal(slower.blue_light_to_sites, slower.blue_light_minutes.T)
    assert slower.blue_light_to_sites.flags.c_contiguous
