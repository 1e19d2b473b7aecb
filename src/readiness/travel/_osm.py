"""Read an OpenStreetMap extract (.osm.pbf, .osm XML, GraphML) into one table of directed road edges."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from readiness.errors import DataError

#: What each reader accepts, as file-name endings; the message for a wrong extension lists them.
PBF_SUFFIXES = (".osm.pbf", ".pbf")
XML_SUFFIXES = (".osm", ".osm.xml", ".xml")
GRAPHML_SUFFIXES = (".graphml",)
EXPECTED = "an OpenStreetMap extract ending in .osm.pbf, .osm (XML) or .graphml"

# The ``oneway`` values OSMnx honours (https://wiki.openstreetmap.org/wiki/Key:oneway), used for pyrosm
# edges so that both readers direct streets by the same rule.
_ONEWAY_VALUES = {"yes", "true", "1", "-1", "reverse", "T", "F"}
_REVERSED_VALUES = {"-1", "reverse", "T"}
_NO_ACCESS = {"no", "private"}


@dataclass(frozen=True)
class EdgeTable:
    """Directed road edges between numbered nodes, with the tags that set their speed.

    Attributes
    ----------
    node_xy
        ``(n_nodes, 2)`` node coordinates in ``crs`` (x/easting or longitude first).
    crs
        The coordinate reference system of ``node_xy``, as pyproj understands it.
    u, v
        Start and end node of each directed edge (positions in ``node_xy``).
    length_m
        Edge length in metres, as the reader measured it (great-circle for OSM data).
    highway, maxspeed
        The edges' ``highway`` and ``maxspeed`` tag values (object arrays; missing as ``None``/NaN).
    """

    node_xy: np.ndarray
    crs: Any
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    highway: np.ndarray
    maxspeed: np.ndarray


def read_extract(path: Path) -> EdgeTable:
    """Read the drivable-road candidates of an extract, choosing the reader by file name.

    Parameters
    ----------
    path
        The extract; ``.osm.pbf`` is read with pyrosm, ``.osm``/``.xml`` and ``.graphml`` with OSMnx.

    Returns
    -------
    EdgeTable
        Directed edges with one-way streets honoured and ``access=no/private`` roads removed; which
        classes are drivable is decided later by the speed table.

    Raises
    ------
    DataError
        If the file is missing, has an unknown extension, or cannot be read as OpenStreetMap data.
    """
    check_extract(path)
    name = path.name.lower()
    try:
        if name.endswith(PBF_SUFFIXES):
            return _read_pbf(path)
        import osmnx

        if name.endswith(XML_SUFFIXES):
            return _from_osmnx(osmnx.graph_from_xml(path, simplify=False, retain_all=True), path)
        return _from_osmnx(osmnx.load_graphml(path), path)
    except DataError:
        raise
    except ImportError as e:
        msg = f"reading {path.name} needs the optional 'network' extra: pip install 'readiness[network]'"
        raise DataError(msg, source=str(path)) from e
    # The readers raise many kinds of errors for a file that is not what its name says (XML syntax
    # errors, protobuf errors, empty-data errors): each is a problem with the user's file.
    except Exception as e:
        msg = f"cannot read as OpenStreetMap data ({type(e).__name__}: {e}); expected {EXPECTED}"
        raise DataError(msg, source=str(path)) from e


def check_extract(path: Path) -> None:
    """Raise a DataError unless ``path`` is an existing file with an extract's extension."""
    if not path.name.lower().endswith(PBF_SUFFIXES + XML_SUFFIXES + GRAPHML_SUFFIXES):
        raise DataError(f"unknown file type {path.suffix!r}; expected {EXPECTED}", source=str(path))
    if not path.is_file():
        raise DataError(f"file not found; expected {EXPECTED}", source=str(path))


def _read_pbf(path: Path) -> EdgeTable:
    """Read a PBF extract with pyrosm's driving filter and direct its (undirected) way segments."""
    import pyrosm

    result = pyrosm.OSM(str(path)).get_network(
        network_type="driving", nodes=True, extra_attributes=["junction", "access"]
    )
    if result is None:
        raise DataError("no drivable roads in the extract", source=str(path))
    nodes, edges = result
    edges = edges[~_column(edges, "access").isin(_NO_ACCESS)]
    forward, backward = directions(_column(edges, "oneway"), _column(edges, "junction"))

    ids = nodes["id"].to_numpy()
    start = _positions(ids, edges["u"].to_numpy(), path)
    end = _positions(ids, edges["v"].to_numpy(), path)

    def both(values: np.ndarray) -> np.ndarray:
        return np.concatenate([values[forward], values[backward]])

    return EdgeTable(
        node_xy=nodes[["lon", "lat"]].to_numpy(dtype=float),
        crs="EPSG:4326",
        u=np.concatenate([start[forward], end[backward]]),
        v=np.concatenate([end[forward], start[backward]]),
        length_m=both(edges["length"].to_numpy(dtype=float)),
        highway=both(_column(edges, "highway").to_numpy(dtype=object)),
        maxspeed=both(_column(edges, "maxspeed").to_numpy(dtype=object)),
    )


def directions(oneway: pd.Series, junction: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return whether each way may be driven along its node order (forward) and against it (backward).

    The rule is OSMnx's: ``oneway`` of yes/true/1 (or a roundabout) is forward only, -1/reverse is
    backward only, anything else (absent, ``no``, unknown) is both ways.
    """
    text = oneway.astype(str)
    reverse_only = text.isin(_REVERSED_VALUES).to_numpy()
    one_way = text.isin(_ONEWAY_VALUES).to_numpy() | (junction == "roundabout").to_numpy()
    return ~reverse_only, ~one_way | reverse_only


def _positions(ids: np.ndarray, wanted: np.ndarray, path: Path) -> np.ndarray:
    """Positions in ``ids`` of the node ids ``wanted`` (edge ends), checked to exist."""
    order = np.argsort(ids)
    found = order[np.searchsorted(ids, wanted, sorter=order).clip(max=len(ids) - 1)]
    if not np.array_equal(ids[found], wanted):
        raise DataError("some road segments end at nodes missing from the extract", source=str(path))
    return found


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of tag values, or an empty one where the extract has no such tag."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(None, index=frame.index, dtype=object)


def _from_osmnx(graph: Any, path: Path) -> EdgeTable:
    """Take the edges of an OSMnx MultiDiGraph, which OSMnx has already directed by the one-way rules."""
    ids = list(graph.nodes)
    position = {node: i for i, node in enumerate(ids)}
    node_xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in ids], dtype=float).reshape(-1, 2)
    rows = [
        (position[a], position[b], data.get("length", np.nan), data.get("highway"), data.get("maxspeed"))
        for a, b, data in graph.edges(data=True)
        if str(data.get("access")) not in _NO_ACCESS
    ]
    table = pd.DataFrame(rows, columns=["u", "v", "length", "highway", "maxspeed"])
    length = pd.to_numeric(table["length"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(length).any():
        raise DataError("some edges have no numeric 'length' (metres)", source=str(path), field="length")
    return EdgeTable(
        node_xy=node_xy,
        crs=graph.graph.get("crs", "EPSG:4326"),
        u=table["u"].to_numpy(dtype=np.int64),
        v=table["v"].to_numpy(dtype=np.int64),
        length_m=length,
        highway=table["highway"].to_numpy(dtype=object),
        maxspeed=table["maxspeed"].to_numpy(dtype=object),
    )
