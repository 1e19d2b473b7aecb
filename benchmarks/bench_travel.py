"""Benchmark road-network travel matrices (SciPy multi-source Dijkstra) against NetworkX on the same graph.

Run ``python benchmarks/bench_travel.py``: it builds a synthetic grid city of at least 100,000 nodes with
road classes and one-way streets, times 200 origins x 1,680 destinations (the West Midlands LSOA count)
with ``NetworkModel.minutes`` and with NetworkX ``single_source_dijkstra_path_length`` per origin, checks
the minutes agree, prints a table and writes ``benchmarks/results_travel.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import networkx as nx
import numpy as np
import scipy
from machine import machine

from readiness.travel.network import NetworkModel, RoadGraph

SPACING_M = 100.0
#: km/h by road class of the grid: every 40th line is a trunk road, every 10th a primary, others residential.
CLASS_KPH = {"trunk": 80.0, "primary": 50.0, "residential": 25.0}
ORIGIN_BNG = (390_000.0, 270_000.0)  # south-west corner, inside the West Midlands
T = TypeVar("T")


def grid_city(side: int, rng: np.random.Generator) -> RoadGraph:
    """A ``side`` x ``side`` grid of streets 100 m apart; every third residential street is one-way.

    Residential one-ways alternate direction street by street (as in real grids), main roads are two-way,
    and each edge's speed varies by +-15% so that shortest paths are unique.
    """
    index = np.arange(side * side).reshape(side, side)
    lines = np.arange(side)
    kph_of_line = np.select(
        [lines % 40 == 0, lines % 10 == 0],
        [CLASS_KPH["trunk"], CLASS_KPH["primary"]],
        CLASS_KPH["residential"],
    )
    one_way = (lines % 3 == 1) & (kph_of_line == CLASS_KPH["residential"])
    flips = (lines // 3) % 2 == 1  # alternate the direction of successive one-way streets

    edges = []
    for a, b, line in (
        (index[:, :-1], index[:, 1:], np.repeat(lines, side - 1)),  # east-west, along row `line`
        (index[:-1, :].T, index[1:, :].T, np.repeat(lines, side - 1)),  # north-south, along column `line`
    ):
        a, b = a.ravel(), b.ravel()
        forward = ~one_way[line] | ~flips[line]
        backward = ~one_way[line] | flips[line]
        edges.append((a[forward], b[forward], kph_of_line[line][forward]))
        edges.append((b[backward], a[backward], kph_of_line[line][backward]))
    u = np.concatenate([e[0] for e in edges])
    v = np.concatenate([e[1] for e in edges])
    kph = np.concatenate([e[2] for e in edges]) * rng.uniform(0.85, 1.15, len(u))
    rows, columns = np.divmod(np.arange(side * side), side)
    xy = np.column_stack([ORIGIN_BNG[0] + columns * SPACING_M, ORIGIN_BNG[1] + rows * SPACING_M])
    return RoadGraph.from_edges(xy, u, v, SPACING_M * 0.06 / kph, crs="EPSG:27700")


def timed(work: Callable[[], T]) -> tuple[T, float, float]:
    """Run ``work`` and return its result, wall seconds and CPU seconds of this process.

    CPU time is the fair measure on a shared machine: other jobs stretch the wall time of both contenders.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def networkx_minutes(
    model: NetworkModel, graph: nx.DiGraph, origins: np.ndarray, destinations: np.ndarray
) -> np.ndarray:
    """The same matrix with NetworkX: one ``single_source_dijkstra_path_length`` per distinct origin node."""
    o_node, o_m = model.snap(origins)
    d_node, d_m = model.snap(destinations)
    rows = {}
    for node in np.unique(o_node):
        lengths = nx.single_source_dijkstra_path_length(graph, int(node), weight="minutes")
        rows[node] = np.array([lengths[int(t)] for t in d_node])
    road = np.vstack([rows[node] for node in o_node])
    return road + (o_m[:, None] + d_m[None, :]) / (model.offroad_kph * 1000 / 60)


def table(results: dict) -> list[tuple[str, str]]:
    """The printed summary: one (label, value) row per figure."""
    machine, graph, ours, theirs = results["machine"], results["graph"], results["scipy"], results["networkx"]
    return [
        ("machine", f"{machine['cpu']}, {machine['cores']} cores, load {results['load_average_1min']:.1f}"),
        (
            "graph",
            f"{graph['nodes']:,} nodes, {graph['edges']:,} directed edges (built in {graph['build_s']} s)",
        ),
        ("matrix", f"{results['origins']} origins x {results['destinations']:,} destinations"),
        ("NetworkModel.minutes (SciPy)", f"{ours['cpu_s']} s CPU, {ours['wall_s']} s wall"),
        ("NetworkX, one search per origin", f"{theirs['cpu_s']} s CPU, {theirs['wall_s']} s wall"),
        ("speed-up", f"{results['speedup_cpu']}x CPU, {results['speedup_wall']}x wall"),
        ("max |difference|", f"{results['max_abs_diff_min']:.2e} min"),
    ]


def main() -> None:
    """Run the benchmark, print the table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=320, help="grid side in nodes (320 -> 102,400 nodes)")
    parser.add_argument("--origins", type=int, default=200)
    parser.add_argument("--destinations", type=int, default=1680)
    parser.add_argument("--seed", type=int, default=20151113)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results_travel.json"))
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    graph, build_s, _ = timed(lambda: grid_city(args.side, rng))
    model = NetworkModel(graph)  # no disk cache: every call routes
    extent = (args.side - 1) * SPACING_M
    origins = np.asarray(ORIGIN_BNG) + rng.uniform(0, extent, (args.origins, 2))
    destinations = np.asarray(ORIGIN_BNG) + rng.uniform(0, extent, (args.destinations, 2))

    ours, ours_wall, ours_cpu = timed(lambda: model.minutes(origins, destinations))
    nx_graph, nx_build_s, _ = timed(
        lambda: nx.from_scipy_sparse_array(graph.minutes, create_using=nx.DiGraph, edge_attribute="minutes")
    )
    theirs, nx_wall, nx_cpu = timed(lambda: networkx_minutes(model, nx_graph, origins, destinations))
    max_abs_diff = float(np.abs(ours - theirs).max())
    assert max_abs_diff < 1e-6, f"SciPy and NetworkX disagree by {max_abs_diff} minutes"

    results = {
        "machine": machine(()),
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "networkx": nx.__version__},
        "graph": {"nodes": graph.n_nodes, "edges": int(graph.minutes.nnz), "build_s": round(build_s, 3)},
        "origins": args.origins,
        "destinations": args.destinations,
        "scipy": {"wall_s": round(ours_wall, 3), "cpu_s": round(ours_cpu, 3)},
        "networkx": {
            "wall_s": round(nx_wall, 3),
            "cpu_s": round(nx_cpu, 3),
            "graph_build_s": round(nx_build_s, 3),
        },
        "speedup_cpu": round(nx_cpu / ours_cpu, 1),
        "speedup_wall": round(nx_wall / ours_wall, 1),
        "load_average_1min": os.getloadavg()[0],
        "max_abs_diff_min": max_abs_diff,
        "median_minutes": round(float(np.median(ours)), 2),
    }
    rows = table(results)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
