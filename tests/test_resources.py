"""Tests for resources.py: default bases and units, round-robin ARVs, unit names, and bad bases."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from readiness.area import Area
from readiness.cli import app
from readiness.config import BNG, WGS84, Base, ResourcesConfig, UnitGroup, UnitType
from readiness.errors import ConfigError
from readiness.kinds import ARMED, SPECIALIST, UNARMED
from readiness.model import Model
from readiness.registry import Parameters
from readiness.resources import NO_BASE, build_fleet, default_bases, default_units, resolve_resources

P = Parameters()
A = Base(name="A", x=405196.0, y=281449.0)  # Bournville Lane
B = Base(name="B", x=391716.0, y=298395.0)  # Wolverhampton
LONDON = Base(name="London", x=530000.0, y=180000.0)


@pytest.fixture(scope="module")
def area(default_model: Model) -> Area:
    return default_model.area


def _fleet(area: Area, units: list[UnitGroup], bases: list[Base] = (A, B), **types: UnitType):
    config = ResourcesConfig(bases=list(bases), units=units,
                             unit_types={**ResourcesConfig().unit_types, **types})
    return build_fleet(config, area, P)


def test_default_bases_are_the_eight_hubs() -> None:
    bases = default_bases()
    assert len(bases) == 8 == len({b.name for b in bases})
    assert all(b.crs == BNG and b.district for b in bases)
    assert all(380_000 < b.x < 450_000 and 260_000 < b.y < 320_000 for b in bases)  # in the West Midlands


@pytest.mark.parametrize(("arvs", "expected"), [(8, [1] * 8), (11, [2, 2, 2, 1, 1, 1, 1, 1]), (3, [1, 1, 1]),
                                                (17, [3, 2, 2, 2, 2, 2, 2, 2])])
def test_arvs_are_dealt_round_robin_over_the_bases(arvs: int, expected: list[int]) -> None:
    bases = default_bases()
    groups = default_units(bases, P.overridden(**{"arv.on_duty": arvs}))
    arv = [g for g in groups if g.type == "arv"]
    assert [g.count for g in arv] == expected
    assert [g.base for g in arv] == [b.name for b in bases[:len(expected)]]
    assert sum(g.count for g in arv) == arvs
    assert [(g.type, g.count, g.base) for g in groups if g.type != "arv"] == [
        ("response", int(P["response.on_duty"]), None), ("ctsfo", 1, None)]


def test_resolve_resources_fills_defaults_and_keeps_given_ones() -> None:
    resolved = resolve_resources(ResourcesConfig(), P)
    assert resolved.bases == default_bases()
    assert resolved.units == default_units(default_bases(), P)
    mine = ResourcesConfig(bases=[A], units=[UnitGroup(type="arv", base="A", count=2)])
    assert resolve_resources(mine, P) == mine


def test_no_bases_for_base_units_is_an_error() -> None:
    with pytest.raises(ConfigError, match="at least one base") as caught:
        resolve_resources(ResourcesConfig(bases=[]), P)
    assert caught.value.field == "resources.bases"


def test_fleet_names_kinds_officers_positions(area: Area) -> None:
    fleet = _fleet(area, [UnitGroup(type="arv", base="B", count=2), UnitGroup(type="response", count=2),
                          UnitGroup(type="ctsfo", count=1), UnitGroup(type="arv", base="A", count=1)])
    assert fleet.names == ("arv@B#1", "arv@B#2", "response@patrol#1", "response@patrol#2", "ctsfo@outside#1",
                           "arv@A#1")
    assert fleet.types == ("arv", "arv", "response", "response", "ctsfo", "arv")
    assert fleet.kind.tolist() == [ARMED, ARMED, UNARMED, UNARMED, SPECIALIST, ARMED]
    assert fleet.officers.tolist() == [2, 2, 0, 0, 8, 2]  # arv.crew, ctsfo.team_officers
    assert fleet.position.tolist() == [1, 1, NO_BASE, NO_BASE, NO_BASE, 0]
    assert fleet.patrol.tolist() == [True, True, True, True, False, True]  # ARVs patrol by default
    assert fleet.patrol_area.tolist() == [1, 1, NO_BASE, NO_BASE, NO_BASE, 0]  # their bases' areas
    assert (fleet.n, fleet.n_bases, fleet.count(ARMED), fleet.count(UNARMED)) == (6, 2, 3, 2)
    np.testing.assert_allclose(fleet.base_xy, [[A.x, A.y], [B.x, B.y]])


def test_names_do_not_depend_on_other_groups(area: Area) -> None:
    small = _fleet(area, [UnitGroup(type="arv", base="A", count=2)])
    large = _fleet(area, [UnitGroup(type="arv", base="B", count=3), UnitGroup(type="arv", base="A", count=2)])
    assert set(small.names) <= set(large.names)


def test_unit_type_officers_and_registry_crews(area: Area) -> None:
    fleet = _fleet(area, [UnitGroup(type="big", base="A", count=1), UnitGroup(type="arv", base="A", count=1)],
                   big=UnitType(kind="armed", officers=4))
    assert fleet.officers.tolist() == [4, 2]
    three = build_fleet(ResourcesConfig(bases=[A], units=[UnitGroup(type="arv", base="A", count=1)]), area,
                        P.overridden(**{"arv.crew": 3}))
    assert three.officers.tolist() == [3]


def test_bases_in_lon_lat_are_projected(area: Area) -> None:
    lonlat = Base(name="W", x=-2.1237, y=52.5833, crs=WGS84)
    fleet = _fleet(area, [UnitGroup(type="arv", base="W", count=1)], bases=[lonlat])
    assert fleet.base_xy[0] == pytest.approx([391716.0, 298395.0], abs=150)


@pytest.mark.parametrize(("units", "bases", "field", "message"), [
    ([UnitGroup(type="arv", base="C", count=1)], (A, B), "resources.units[0].base", "base 'C' is not one of"),
    ([UnitGroup(type="arv", base="London", count=1)], (A, LONDON), "resources.units[0].base", "lies outside"),
    ([UnitGroup(type="arv", base="A", count=1), UnitGroup(type="ctsfo", base="A", count=1)], (A,),
     "resources.units[1].base", "takes no base"),
    ([UnitGroup(type="arv", base="A", count=1), UnitGroup(type="arv", base="A", count=2)], (A,),
     "resources.units", "repeat type and base"),
    ([UnitGroup(type="arv", base="A", count=1)], (A, A), "resources.bases", "duplicate base names ['A']"),
])
def test_bad_bases_and_groups_are_config_errors(area: Area, units: list[UnitGroup], bases: tuple[Base, ...],
                                                field: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _fleet(area, units, bases=bases)
    assert caught.value.field == field
    assert message in str(caught.value)


def test_outside_area_bases_need_marking_and_only_specialists_start_outside(area: Area) -> None:
    regional = Base(name="London", x=LONDON.x, y=LONDON.y, outside_area=True)
    fleet = _fleet(area, [UnitGroup(type="arv", base="London", count=1)], bases=[A, regional])
    assert fleet.position.tolist() == [1]
    unarmed_outside = _fleet(area, [UnitGroup(type="van", base="London", count=1)], bases=[A, LONDON],
                             van=UnitType(kind="unarmed"))
    assert unarmed_outside.kind.tolist() == [UNARMED]  # unarmed units may be based anywhere
    with pytest.raises(ConfigError, match="only specialist teams") as caught:
        _fleet(area, [UnitGroup(type="far", count=1)], far=UnitType(kind="armed", deployment="outside"))
    assert caught.value.field == "resources.unit_types.far.deployment"


@pytest.mark.parametrize("missing", ["arv", "response", "ctsfo"])
def test_default_units_without_their_unit_type_are_a_config_error_not_a_key_error(missing: str) -> None:
    types = {name: t for name, t in ResourcesConfig().unit_types.items() if name != missing}
    with pytest.raises(ConfigError, match=rf"field 'resources.unit_types': expected unit type\(s\) \['{missing}'\]"):
        resolve_resources(ResourcesConfig(unit_types=types), P)
    given = ResourcesConfig(unit_types=types, units=[UnitGroup(type=next(iter(types)), base="A", count=1)])
    assert resolve_resources(given, P, [A]).units == given.units  # listed units need no default type


def test_a_config_without_an_arv_unit_type_fails_the_command_in_one_line_with_status_2(tmp_path) -> None:
    config = tmp_path / "no_arv.yaml"
    config.write_text(yaml.safe_dump({"resources": {"unit_types": {
        "ctsfo": {"kind": "specialist", "deployment": "outside"},
        "response": {"kind": "unarmed", "deployment": "patrol"}}}}))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["assess", str(config), "--out", str(out), "--replications", "2", "--quiet"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "KeyError" not in result.output
    message = " ".join(result.output.split())
    assert message.startswith(f"error: {config}: field 'resources.unit_types': expected unit type(s) ['arv']")
    assert "add them, or list resources.units" in message
    assert not out.exists()
