"""The three travel models are interchangeable in a run by config alone."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from readiness.area import DEFAULT_AREA_FILE, data_path
from readiness.cli import app
from readiness.travel import CalibratedModel

runner = CliRunner()


def small_area(tmp_path):
    """Thirty Birmingham LSOAs as a user GeoPackage, one base inside them, and a minutes matrix."""
    frame = gpd.read_parquet(data_path(DEFAULT_AREA_FILE))
    frame = frame[frame["district"] == "Birmingham"].head(30)
    frame.to_file(tmp_path / "area.gpkg", driver="GPKG")
    base = frame.iloc[0]
    points = pd.concat([pd.DataFrame({"name": ["base"], "x": [base.x], "y": [base.y + 300.0]}),
                        pd.DataFrame({"name": frame["lsoa11cd"], "x": frame["x"], "y": frame["y"]})])
    points.to_csv(tmp_path / "points.csv", index=False)
    xy = points[["x", "y"]].to_numpy()
    minutes = CalibratedModel().minutes(xy, xy)
    wide = pd.DataFrame(minutes, columns=points["name"])
    wide.insert(0, "origin", points["name"].to_numpy())
    wide.to_csv(tmp_path / "minutes.csv", index=False)
    return {"area": {"name": "small", "file": "area.gpkg"},
            "resources": {"bases": [{"name": "base", "x": float(base.x), "y": float(base.y + 300.0)}],
                          "units": [{"type": "arv", "base": "base", "count": 2}]},
            "scenario": {"sites": [1, 2]}}


def run(tmp_path, name, config):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / f"out-{name}"
    result = runner.invoke(app, ["assess", str(path), "--out", str(out), "--replications", "300", "--quiet"])
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text())


def test_matrix_model_with_calibrated_minutes_gives_the_calibrated_results(tmp_path):
    config = small_area(tmp_path)
    calibrated = run(tmp_path, "calibrated", {**config, "travel": {"model": "calibrated"}})
    matrix = run(tmp_path, "matrix", {**config, "travel": {"model": "matrix", "file": "minutes.csv",
                                                            "points": "points.csv"}})
    for a, b in zip(calibrated["by_sites"], matrix["by_sites"], strict=True):
        assert np.isclose(a["time_to_first_armed_min"]["mean"], b["time_to_first_armed_min"]["mean"], atol=1e-3)
        assert a["share_sites_waiting_over_10_min"] == b["share_sites_waiting_over_10_min"]
    assert matrix["config"]["travel"]["file"] == "minutes.csv"  # no machine paths in results


def test_network_model_runs_from_config(tmp_path):
    config = small_area(tmp_path)
    import shutil
    from pathlib import Path

    shutil.copy(Path(__file__).parent / "data" / "tiny_town.osm", tmp_path / "town.osm")
    results = run(tmp_path, "network", {**config, "travel": {"model": "network", "osm": "town.osm",
                                                             "cache_dir": "cache"}})
    assert results["by_sites"][0]["sites"] == 1


def test_coverage_runs_with_the_matrix_model(tmp_path):
    config = {**small_area(tmp_path), "travel": {"model": "matrix", "file": "minutes.csv", "points": "points.csv"}}
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "coverage"
    result = runner.invoke(app, ["coverage", str(path), "--out", str(out), "--replications", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    shares = json.loads((out / "results.json").read_text())["coverage"]["share_within_min"]
    assert shares["20"] > 0.5  # thirty neighbouring LSOAs around one base
