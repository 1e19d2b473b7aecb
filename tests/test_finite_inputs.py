"""NaN and infinity are user mistakes wherever input enters: one line naming the field or file, exit 2."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from readiness.area import DEFAULT_AREA_FILE, data_path
from readiness.cli import app
from readiness.config import Config, Point, config_from_mapping, format_validation_error
from readiness.errors import ConfigError, DataError, check_finite, field_path, validation_error
from readiness.registry import Parameters
from readiness.travel import build_travel_model

runner = CliRunner()
LSOA = "E01009371"  # a West Midlands LSOA


def _write(folder, name, text):
    (folder / name).write_text(text, encoding="utf-8")
    return name


def _config(folder, mapping):
    path = folder / "bad.yaml"
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    return path


# Each case: (what goes wrong, config mapping given the folder, expected text in the one line).
CASES = {
    "horizon nan": (lambda d: {"parameters": {"horizon_min": math.nan}}, "parameters.horizon_min"),
    "horizon inf": (lambda d: {"parameters": {"horizon_min": math.inf}}, "parameters.horizon_min"),
    "ctsfo sigma": (lambda d: {"parameters": {"ctsfo.assault_sigma": math.nan}}, "parameters.ctsfo.assault_sigma"),
    "mutual aid": (lambda d: {"parameters": {"mutual_aid.units_high": -math.inf}}, "parameters.mutual_aid.units_high"),
    "point": (lambda d: {"scenario": {"named_sites": [{"x": math.nan, "y": 290000.0}]}}, "named_sites[0]"),
    "base": (lambda d: {"resources": {"bases": [{"name": "b", "x": 400000.0, "y": math.inf}]}},
             "resources.bases[0].y"),
    "warmup": (lambda d: {"workload": {"warmup_hours": math.nan}}, "workload.warmup_hours"),
    "travel coefficient": (lambda d: {"parameters": {"travel.sqrt_coef": math.inf}}, "parameters.travel.sqrt_coef"),
    "weights csv": (lambda d: {"scenario": {"site_weights": _write(d, "w.csv", f"lsoa11cd,weight\n{LSOA},nan\n")}},
                    "w.csv, field 'weight': line 2"),
    "incidents csv": (lambda d: {"workload": {"incidents": _write(d, "i.csv", f"lsoa11cd,incidents\n{LSOA},inf\n")}},
                      "i.csv, field 'incidents': line 2"),
    "matrix": (lambda d: {"travel": {"model": "matrix", "file": _write(d, "m.csv", "origin,a\na,inf\n"),
                                     "points": _write(d, "p.csv", "name,x,y\na,400000,290000\n")}},
               "m.csv: line 2, column 'a'"),
    "profile": (lambda d: {"workload": {"profile": _write(d, "prof.yaml", yaml.safe_dump(
        {"hour": [1.0] * 23 + [math.nan], "day": dict.fromkeys(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                                                                1.0)}))}}, "prof.yaml, field 'hour[23]'"),
    "shift pattern": (lambda d: {"workload": {"shifts": {"arv": str(d / _write(d, "s.yaml", yaml.safe_dump(
        {"name": "s", "shifts": [{"name": "a", "start": "07:00", "hours": math.inf}], "lines": [["a"]]})))}}},
        "s.yaml, field 'shifts[0].hours'"),
}


def _one_line(result, expected):
    """The command failed as a user error: status 2, one line naming ``expected``, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert expected in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", sorted(CASES))
def test_non_finite_input_is_one_line_and_status_2(tmp_path, case):
    build, expected = CASES[case]
    config = _config(tmp_path, build(tmp_path))
    out = tmp_path / "out"
    result = runner.invoke(app, ["assess", str(config), "--out", str(out), "--replications", "2", "--quiet"])
    _one_line(result, expected)
    assert not out.exists()  # nothing was written


def test_non_finite_option_number_is_one_line_and_status_2(tmp_path):
    options = tmp_path / "options.yaml"
    options.write_text(yaml.safe_dump({"options": [{"name": "arm", "arm_response": {"share": math.nan}}]}))
    result = runner.invoke(app, ["compare", str(options), "--out", str(tmp_path / "out"), "--quiet"])
    _one_line(result, "options.yaml, field 'options[0].arm_response.share'")


def test_non_finite_residents_in_an_area_file_name_the_row(tmp_path):
    frame = gpd.read_parquet(data_path(DEFAULT_AREA_FILE)).head(3)
    frame["residents"] = frame["residents"].astype(float)
    frame.loc[frame.index[1], "residents"] = math.nan
    frame.to_file(tmp_path / "area.gpkg", driver="GPKG")
    result = runner.invoke(app, ["validate", str(_config(tmp_path, {"area": {"file": "area.gpkg"}}))])
    _one_line(result, "area.gpkg, field 'residents': row 2")


def test_finite_numbers_still_validate():
    config = config_from_mapping({"parameters": {"horizon_min": 90.0},
                                  "scenario": {"named_sites": [{"x": 400000.0, "y": 290000.0}]}})
    assert config.parameters["horizon_min"] == 90.0
    assert Parameters(config.parameters)["horizon_min"] == 90.0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan", "inf"])
def test_registry_override_rejects_non_finite(value):
    with pytest.raises(ConfigError, match=r"parameters\.horizon_min.*finite"):
        Parameters({"horizon_min": value})


def test_calibrated_coefficients_must_be_finite():
    with pytest.raises(ConfigError, match=r"field 'travel.intercept': expected a finite number"):
        build_travel_model({"model": "calibrated", "intercept": math.nan})


def test_check_finite():
    assert check_finite("2.5", field="f") == 2.5
    with pytest.raises(DataError, match="field 'f': expected a number"):
        check_finite("two", field="f", kind=DataError)


def test_one_helper_reports_unknown_keys_and_field_paths():
    with pytest.raises(ValidationError) as caught:
        Config.model_validate({"resources": {"bases": [{"name": "b", "x": 1.0, "y": 2.0, "colour": "red"}]}})
    error = validation_error(caught.value, "c.yaml")
    assert isinstance(error, ConfigError)
    assert (error.source, error.field) == ("c.yaml", "resources.bases[0].colour")
    assert str(error) == "c.yaml, field 'resources.bases[0].colour': unknown key"
    assert format_validation_error(caught.value, "c.yaml") == str(error)  # the old name still works
    with pytest.raises(ValidationError) as caught:
        Point.model_validate({"x": "east", "y": math.inf})
    error = validation_error(caught.value, "p.yaml", DataError)
    assert isinstance(error, DataError)
    assert str(error).startswith("p.yaml, field 'x': ") and str(error).endswith("(and 1 more problem(s))")


def test_field_path():
    assert field_path(["a", 0, "b", 12]) == "a[0].b[12]"
    assert field_path([]) == "(top level)"


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_non_finite_command_line_number_is_a_usage_error(tmp_path, value):
    result = runner.invoke(app, ["optimise", "--within", value, "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert not (tmp_path / "out").exists()
