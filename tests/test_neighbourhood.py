"""Neighbourhood responders: the nearest of a Poisson field in closed form, density, kernel, reference, cuts."""

import dataclasses

import numpy as np
import pytest
from conftest import model_from

from readiness._validation.reference import simulate_reference
from readiness.config import config_from_mapping, default_config
from readiness.engine import simulate
from readiness.errors import DataError
from readiness.harm import expected_deaths
from readiness.kinds import UNARMED
from readiness.model import build_model, derive_model
from readiness.model_checks import one_unit_config
from readiness.neighbourhood import STREAM, density_per_km2, nearest_minutes, on_duty
from readiness.options import Option, apply_option
from readiness.registry import Parameters
from readiness.rng import uniforms
from readiness.summary import paired_difference

#: Tasking 0, no detour, 60 km/h: minutes equal kilometres.
KM = Parameters({"neighbourhood.tasking_min": 0.0, "neighbourhood.detour_factor": 1.0,
                 "neighbourhood.speed_kmh": 60.0})
#: The 2015 cut taken wholly from neighbourhood officers (539 of 812).
CUT = Option(name="cut", budget_cut={"amount_gbp": 28.3e6, "split": {"neighbourhood": 1.0}})


@pytest.mark.parametrize("density", [0.1, 1.0, 7.5])
def test_mean_time_to_the_nearest_of_a_poisson_field_is_one_over_two_root_density_over_speed(density):
    u = uniforms(1, STREAM, np.arange(200_000), 1)[:, 0]
    minutes = nearest_minutes(density, u, KM)
    sd = np.sqrt((4 - np.pi) / (4 * np.pi * density))  # Rayleigh
    assert minutes.mean() == pytest.approx(1 / (2 * np.sqrt(density)), abs=4 * sd / np.sqrt(len(u)))
    r = np.median(minutes)
    assert np.exp(-density * np.pi * r**2) == pytest.approx(0.5, abs=0.01)  # P(no one within r)


def test_the_nearest_point_of_a_simulated_field_has_the_same_mean():
    """Independent check: scatter a Poisson field on a torus and measure the nearest point to the centre."""
    rng, density, side = np.random.default_rng(5), 2.0, 10.0
    nearest = []
    for _ in range(4000):
        xy = rng.uniform(0, side, size=(rng.poisson(density * side**2), 2)) - side / 2
        nearest.append(np.sqrt((xy**2).sum(axis=1)).min())
    assert np.mean(nearest) == pytest.approx(1 / (2 * np.sqrt(density)), rel=0.03)


def test_tasking_detour_and_speed_scale_the_time():
    u = np.array([0.3, 0.7])
    params = Parameters({"neighbourhood.tasking_min": 2.0, "neighbourhood.detour_factor": 1.5,
                         "neighbourhood.speed_kmh": 5.0})
    km = np.sqrt(-np.log(u) / np.pi)
    np.testing.assert_allclose(nearest_minutes(1.0, u, params), 2.0 + 60 * 1.5 * km / 5.0)
    assert np.isinf(nearest_minutes(0.0, u, params)).all()


def test_density_spreads_the_on_duty_staff_over_the_districts(default_model):
    density = density_per_km2(default_model)
    km2 = default_model.area.geometry.area.to_numpy() / 1e6
    assert (density * km2).sum() == pytest.approx(on_duty(default_model.params))
    assert on_duty(default_model.params) == pytest.approx((812 + 610) * 0.15)
    districts = default_model.area.districts
    for d in np.unique(districts):  # one value per district
        assert np.ptp(density[districts == d]) == 0


@pytest.fixture(scope="module")
def no_cars():
    """The default without response cars: the first unarmed arrival is the nearest neighbourhood officer."""
    return build_model(config_from_mapping({"parameters": {"response.on_duty": 0}}))


def _switched(model, on: bool):
    config = model.config
    return derive_model(model, config.model_copy(update={"resources": config.resources.model_copy(
        update={"neighbourhood": on})}))


def test_the_kernel_takes_the_sooner_of_the_cars_and_the_nearest_neighbourhood_officer(default_model):
    off = simulate(_switched(default_model, False), sites=3, replications=300, seed=8)
    on = simulate(default_model, sites=3, replications=300, seed=8)
    reps = np.arange(300)
    report = on.report
    u = uniforms(8, STREAM, reps, 3)
    neighbourhood = report + nearest_minutes(density_per_km2(default_model)[on.site], u, default_model.params) \
        - on.start
    expected = np.minimum(off.t_first_unarmed, np.where(neighbourhood <= 120.0, neighbourhood, np.inf))
    np.testing.assert_allclose(on.t_first_unarmed, expected)
    np.testing.assert_array_equal(on.t_first_armed, off.t_first_armed)  # armed response untouched
    assert (on.expected_deaths <= off.expected_deaths + 1e-12).all()
    # given each site's first car (off), the neighbourhood officer is first with probability P(R < r_car) =
    # 1 - exp(-rho pi r_car^2), r_car the distance walked in the car's time: about 4% of sites on the default
    p = default_model.params
    spare = np.maximum(off.t_first_unarmed + on.start - report - p["neighbourhood.tasking_min"], 0.0)
    r_car = spare * p["neighbourhood.speed_kmh"] / (60.0 * p["neighbourhood.detour_factor"])
    chance = 1.0 - np.exp(-density_per_km2(default_model)[on.site] * np.pi * r_car**2)
    first = (on.t_first_unarmed < off.t_first_unarmed).sum()
    assert first == pytest.approx(chance.sum(), abs=4 * np.sqrt((chance * (1 - chance)).sum()))
    assert 0.02 < first / on.site.size < 0.08  # blue-light response cars are first at the other 96%


def test_a_neighbourhood_cut_thins_the_field_and_delays_the_first_unarmed(default_model):
    cut = apply_option(default_model, CUT)
    assert cut.model.params["neighbourhood.officers"] == 812 - 539
    ratio = density_per_km2(cut.model) / density_per_km2(default_model)
    np.testing.assert_allclose(ratio, (812 - 539 + 610) / (812 + 610))
    before = simulate(default_model, sites=3, replications=300, seed=2)
    after = simulate(cut.model, sites=3, replications=300, seed=2)
    assert (after.t_first_unarmed >= before.t_first_unarmed).all()
    assert after.t_first_unarmed.mean() > before.t_first_unarmed.mean()


def test_one_site_without_cars_gets_the_nearest_officer_in_closed_form_and_a_cut_scales_it_and_its_deaths():
    """One ARV that never stops the attacker (the killing runs to the horizon, suppressed from its arrival), no
    response cars: first unarmed = report + tasking + walk to the nearest officer, deaths = harm's closed form."""
    model = model_from(one_unit_config(**{"attack.static_share": 1.0, "harm.siege_probability": 0.0,
                                          "attack.extra_attacker_prob": 0.0, "doctrine.stop_probability": 0.0,
                                          "doctrine.engagement_delay_min": 0.0,
                                          "neighbourhood.on_duty_share": 0.15}))
    cut = apply_option(model, CUT).model
    site, area, p, reps = int(model.named_sites[0]), model.area, model.params, 400
    in_district = area.districts == area.districts[site]
    km2 = area.geometry.area.to_numpy() / 1e6
    rho = {m: on_duty(m.params) * area.residents[in_district].sum() / area.residents.sum() / km2[in_district].sum()
           for m in (model, cut)}
    u = uniforms(4, STREAM, np.arange(reps), 1)[:, 0]
    walk = 60.0 * p["neighbourhood.detour_factor"] / p["neighbourhood.speed_kmh"]
    for m in (model, cut):
        out = simulate(m, sites=1, replications=reps, seed=4)
        unarmed = p["notify.median_min"] + p["neighbourhood.tasking_min"] + walk * np.sqrt(-np.log(u) / (np.pi * rho[m]))
        np.testing.assert_allclose(out.t_first_unarmed[:, 0], unarmed, rtol=1e-9)
        deaths = [expected_deaths(1, p["horizon_min"], t, p["harm.kill_rate_per_attacker_min"], p["harm.flight_time_min"],
                                  p["harm.plato_reduction"], 0.0, 0.0, float(out.t_first_armed[0, 0]),
                                  p["doctrine.suppression_factor"]) for t in unarmed]
        np.testing.assert_allclose(out.expected_deaths[:, 0], deaths, rtol=1e-9)
    assert rho[cut] / rho[model] == pytest.approx((812 - 539 + 610) / (812 + 610))


def test_without_cars_the_cut_costs_lives_with_a_ci_that_excludes_zero(no_cars):
    """About 0.2 deaths per attack at three sites (on 36): the mechanism that blue-light cars mask on the default."""
    before = simulate(no_cars, sites=3, replications=300, seed=2)
    after = simulate(apply_option(no_cars, CUT).model, sites=3, replications=300, seed=2)
    assert (after.deaths >= before.deaths).all()  # Poisson inversion on common uniforms: monotone in the mean
    difference = paired_difference(after.deaths.sum(axis=1), before.deaths.sum(axis=1))
    assert 0.1 < difference["mean"] < 0.35 and difference["ci95"][0] > 0
    minutes = paired_difference(after.t_first_unarmed.mean(axis=1), before.t_first_unarmed.mean(axis=1))
    assert minutes["ci95"][0] > 0.5


def test_switched_off_in_config():
    assert default_config().resources.neighbourhood is True
    assert config_from_mapping({"resources": {"neighbourhood": "off"}}).resources.neighbourhood is False


@pytest.mark.slow
def test_the_reference_draws_the_same_first_unarmed_distribution(no_cars):
    """Response cars off, so the first unarmed is the neighbourhood officer alone: engine and SimPy agree."""
    model = derive_model(no_cars, no_cars.config.model_copy(update={
        "workload": no_cars.config.workload.model_copy(update={"enabled": False})}))
    assert not (model.fleet.kind == UNARMED).any()
    engine = simulate(model, sites=1, replications=4000, seed=1).t_first_unarmed[:, 0]
    reference = simulate_reference(model, sites=1, replications=1500, seed=2)["t_first_unarmed"][:, 0]
    sd = np.hypot(engine.std() / np.sqrt(len(engine)), reference.std() / np.sqrt(len(reference)))
    assert engine.mean() == pytest.approx(reference.mean(), abs=4 * sd)


def test_an_area_without_shapes_or_hectares_is_one_clear_error_naming_the_switch(default_model):
    shapeless = dataclasses.replace(default_model, area=dataclasses.replace(default_model.area, geometry=None))
    with pytest.raises(DataError, match="resources.neighbourhood: false"):
        density_per_km2(shapeless)


def test_an_area_without_shapes_uses_its_census_hectares(default_model):
    km2 = default_model.area.geometry.area.to_numpy() / 1e6
    shapeless = dataclasses.replace(default_model, area=dataclasses.replace(default_model.area, geometry=None,
                                                                            land_km2=km2))
    assert np.allclose(density_per_km2(shapeless), density_per_km2(default_model))
