"""Tests for report.py: canonical JSON, the output set and its manifest, figures, maps and the assessment page."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from readiness.area import Area
from readiness.assessment import run_assessment
from readiness.errors import ReadinessError
from readiness.harm_fit import shipped_fit
from readiness.model_checks import one_unit_config
from readiness.registry import Parameters
from readiness.report import (
    MANIFEST,
    Figure,
    assessment_outputs,
    dumps_results,
    is_complete_set,
    lsoa_map,
    parameter_table,
    prepare_out_dir,
    read_manifest,
    render_figure,
    run_record,
    write_atomic,
    write_outputs,
)
from tests.conftest import model_from

PNG = b"\x89PNG\r\n\x1a\n"


def _area(shapes: bool = True) -> Area:
    geometry = gpd.GeoSeries([box(i, 0, i + 1, 1) for i in range(3)], crs="EPSG:27700") if shapes else None
    return Area(name="T", codes=np.array(["A", "B", "C"]), names=np.array(["A", "B", "C"]),
                districts=np.array(["D"] * 3), residents=np.ones(3), x=np.array([0.5, 1.5, 2.5]),
                y=np.full(3, 0.5), crs="EPSG:27700", geometry=geometry)


def _figure(name: str = "f") -> Figure:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    return render_figure(fig, name, "title", "caption")


def test_dumps_results_is_canonical() -> None:
    results = {"b": 1, "a": [1.5, None], "name": "Coventry – Café"}
    text = dumps_results(results)
    assert text == dumps_results(dict(results)) and text.endswith("}\n")
    assert list(json.loads(text)) == ["b", "a", "name"]  # the document's own order, not sorted
    assert "Café" in text and "–" in text  # not escaped
    with pytest.raises(ValueError):
        dumps_results({"x": float("nan")})
    with pytest.raises(ValueError):
        dumps_results({"x": float("inf")})


def test_render_figure_is_png_and_closes() -> None:
    before = plt.get_fignums()
    figure = _figure()
    assert figure.png.startswith(PNG)
    assert plt.get_fignums() == before
    assert figure.data_uri.startswith("data:image/png;base64,iVBORw0KGgo")
    assert _figure().png == figure.png  # no timestamps: same figure, same bytes


@pytest.mark.parametrize("shapes", [True, False])
def test_lsoa_map_renders_with_and_without_shapes(shapes: bool) -> None:
    fig = lsoa_map(_area(shapes), np.array([1.0, 5.0, 40.0]), label="minutes", points=np.array([[0.5, 0.5]]),
                   vmax=30)
    ax = fig.axes[0]
    assert not ax.axison
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["bases"]
    assert len(fig.axes) == 2  # the map and its colour bar
    assert render_figure(fig, "map", "t", "c").png.startswith(PNG)


def test_lsoa_map_cap_above_every_value_is_dropped() -> None:
    fig = lsoa_map(_area(False), np.array([50.0, 60.0, 70.0]), label="minutes", vmax=30)
    assert fig.axes[0].collections[0].norm.vmax == 70.0
    plt.close(fig)


def test_parameter_table() -> None:
    table = parameter_table(Parameters({"arv.crew": 3}))
    assert list(table.columns) == ["name", "value", "unit", "low", "high", "source", "note"]
    assert len(table) == len(Parameters())
    assert table.set_index("name").loc["arv.crew", "value"] == 3


def _write(out: Path, tables: dict[str, pd.DataFrame] | None = None, seed: int = 1) -> list[Path]:
    return write_outputs(out, results={"format": "x", "seed": seed}, run={"seconds": 1.0},
                         tables={"by_sites": pd.DataFrame({"k": [1, 2]})} if tables is None else tables,
                         figures=[_figure("headline")], html="<html></html>")


def test_write_outputs_writes_one_set_with_its_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    paths = _write(out)
    assert [p.relative_to(out).as_posix() for p in paths] == [
        "results.json", "run.json", "report.html", "by_sites.csv", "figures/headline.png", MANIFEST]
    assert (out / "results.json").read_text(encoding="utf-8") == dumps_results({"format": "x", "seed": 1})
    assert (out / "by_sites.csv").read_text(encoding="utf-8") == "k\n1\n2\n"
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format"] == "readiness.manifest/1"
    assert manifest["files"] == read_manifest(out)
    assert set(manifest["files"]) == {p.relative_to(out).as_posix() for p in paths[:-1]}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert is_complete_set(out)
    assert not list(tmp_path.glob("out.*"))  # no staging folder left


def test_a_new_set_replaces_old_outputs_and_keeps_the_users_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, {"by_sites": pd.DataFrame({"k": [1]}), "extra": pd.DataFrame({"a": [1]})})
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    _write(out, seed=2)
    assert not (out / "extra.csv").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["seed"] == 2
    assert is_complete_set(out)


def test_a_changed_file_breaks_the_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out)
    (out / "by_sites.csv").write_text("k\n9\n", encoding="utf-8")
    assert not is_complete_set(out)
    assert read_manifest(tmp_path) is None and not is_complete_set(tmp_path)


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ReadinessError, match="is not a folder"):
        prepare_out_dir(path)
    assert prepare_out_dir(tmp_path / "new") == tmp_path / "new"


def test_write_atomic_leaves_no_temporary(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.txt", "text")
    write_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


def test_run_record(tmp_path: Path) -> None:
    record = run_record(command="assess", out=tmp_path, seconds=1.23456, extra={"batches": 2})
    assert (record["command"], record["out"], record["seconds"], record["batches"]) == (
        "assess", str(tmp_path.resolve()), 1.235, 2)
    assert {"python", "numpy", "readiness"} <= set(record["software"])


def test_assessment_outputs() -> None:
    model = model_from({**one_unit_config(), "scenario": {"named_sites": ["E01009371", "E01009372"]}})
    tables, figures, html = assessment_outputs(run_assessment(model, replications=20, seed=1))
    assert list(tables) == ["by_sites", "by_district", "parameters", "lsoa_minutes"]
    assert tables["by_sites"]["sites"].tolist() == [2]
    assert len(tables["lsoa_minutes"]) == model.area.n
    assert [f.name for f in figures][-1] == "map_minutes_to_first_armed"  # named sites: no site-weights map
    assert all(f.data_uri in html for f in figures)  # self-contained: figures embedded
    check = shipped_fit().checks["fbi"]  # the harm section reports the FBI check's numbers side by side
    assert "FBI check of the fit" in html and f"{check['population_factor']['mean']:.2f}" in html
    assert "<script src=" not in html and "http://" not in html.split("<body", 1)[0]
