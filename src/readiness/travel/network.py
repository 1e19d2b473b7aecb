"""Travel minutes by shortest path on a road network read from an OpenStreetMap extract."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyproj
from pyproj.exceptions import CRSError
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra, reverse_cuthill_mckee
from scipy.spatial import cKDTree

from readiness.errors import ConfigError, DataError
from readiness.travel import _cache
from readiness.travel._osm import EdgeTable, check_extract, read_extract
from readiness.travel._speeds import DEFAULT_MAXSPEED_FACTOR, edge_speeds_kph, merge_speeds
from readiness.travel.calibrated import _as_points

#: Speed (km/h) for the straight line between a point and its nearest road node: car parks, yards and
#: streets missing from the extract are slow, and the real path is longer than the straight line.
DEFAULT_OFFROAD_KPH = 15.0
#: A point further than this (metres) from any road node is counted as far in a :class:`SnapReport`.
DEFAULT_FAR_M = 500.0
#: Shortest-path rows computed at once are capped at this many floats (256 MiB), whatever the graph size.
_ROW_BUDGET = 1 << 25


@dataclass(frozen=True)
class SnapReport:
    """How well points sat on the road network: a far point usually means a wrong CRS or a clipped extract.

    Attributes
    ----------
    n_points
        Points snapped.
    n_far
        Points further than ``far_m`` from every road node.
    max_m, mean_m
        Largest and mean distance (metres) from a point to its road node.
    far_m
        The threshold used.
    """

    n_points: int
    n_far: int
    max_m: float
    mean_m: float
    far_m: float


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A strongly connected, directed road graph in a projected CRS: every node can reach every other.

    Attributes
    ----------
    xy
        ``(n_nodes, 2)`` node coordinates in metres.
    minutes
        ``(n_nodes, n_nodes)`` CSR array; entry ``[i, j]`` is the minutes to drive the edge ``i -> j``.
    crs
        The CRS of ``xy``.
    """

    xy: np.ndarray
    minutes: sparse.csr_array
    crs: str

    @classmethod
    def from_edges(
        cls, xy: np.ndarray, u: np.ndarray, v: np.ndarray, minutes: np.ndarray, *, crs: str
    ) -> RoadGraph:
        """Build the graph from directed edges, keeping the largest strongly connected component.

        Parallel edges keep the quickest, self-loops are dropped, and nodes outside the largest strongly
        connected component (dead-end one-ways, islands cut by the extract boundary) are removed so that
        every pair of nodes has a finite travel time. Nodes are renumbered for speed, so node numbers are
        not those of the input.

        Parameters
        ----------
        xy
            ``(n_nodes, 2)`` projected node coordinates.
        u, v, minutes
            Start node, end node and minutes of each directed edge.
        crs
            The CRS of ``xy``.

        Returns
        -------
        RoadGraph

        Raises
        ------
        DataError
            If no two nodes are connected both ways.
        """
        u, v, minutes = np.asarray(u, np.int64), np.asarray(v, np.int64), np.asarray(minutes, float)
        road = u != v  # a self-loop never shortens a route
        order = np.lexsort((minutes[road], v[road], u[road]))
        u, v, minutes = u[road][order], v[road][order], minutes[road][order]
        quickest = np.ones(len(u), dtype=bool)
        quickest[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        u, v, minutes = u[quickest], v[quickest], minutes[quickest]
        n = len(xy)
        _, labels = connected_components(
            sparse.csr_array((np.ones(len(u)), (u, v)), shape=(n, n)), directed=True, connection="strong"
        )
        keep = labels == np.bincount(labels, minlength=1).argmax()
        if keep.sum() < 2:
            raise DataError("the drivable roads do not form a network (no two places connected both ways)")
        inside = keep[u] & keep[v]
        kept = np.flatnonzero(keep)
        u, v, minutes = np.searchsorted(kept, u[inside]), np.searchsorted(kept, v[inside]), minutes[inside]
        # Number nodes so that neighbours have nearby numbers (reverse Cuthill-McKee): Dijkstra then reads
        # memory in order, about 1.5x faster than on OSM's scattered node ids.
        m = len(kept)
        pattern = sparse.csr_array((np.ones(2 * len(u)), (np.r_[u, v], np.r_[v, u])), shape=(m, m))
        order = reverse_cuthill_mckee(pattern, symmetric_mode=True)
        number = np.empty(m, dtype=np.int64)
        number[order] = np.arange(m)
        csr = sparse.csr_array((minutes, (number[u], number[v])), shape=(m, m))
        return cls(xy=np.ascontiguousarray(xy[kept[order]], dtype=float), minutes=csr, crs=crs)

    @property
    def n_nodes(self) -> int:
        """Number of road nodes."""
        return len(self.xy)

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the graph's content, the part of a matrix cache key that stands for the roads."""
        m = self.minutes
        return _cache.array_sha256(self.xy, m.indptr, m.indices, m.data) + self.crs

    @cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(self.xy)

    @cached_property
    def _reverse(self) -> sparse.csr_array:
        return sparse.csr_array(self.minutes.T)

    def nearest_nodes(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return each point's nearest node and the straight-line distance to it in metres."""
        distance, node = self._tree.query(points)
        return np.asarray(node, dtype=np.int64), np.asarray(distance, dtype=float)

    def shortest_minutes(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Return the ``(len(sources), len(targets))`` shortest-path minutes between nodes.

        One Dijkstra search runs per distinct node on the smaller side (searching the reversed graph from
        the targets when they are fewer), in chunks whose rows fit in a fixed memory budget.
        """
        result = np.zeros((len(sources), len(targets)))
        if result.size == 0:
            return result
        from_sources, s_inverse = np.unique(sources, return_inverse=True)
        to_targets, t_inverse = np.unique(targets, return_inverse=True)
        if len(to_targets) < len(from_sources):
            table = self._search(self._reverse, to_targets, from_sources).T
        else:
            table = self._search(self.minutes, from_sources, to_targets)
        return table[np.ix_(s_inverse, t_inverse)]

    def _search(self, graph: sparse.csr_array, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        chunk = max(1, _ROW_BUDGET // self.n_nodes)
        rows = [
            dijkstra(graph, directed=True, indices=starts[i : i + chunk])[:, ends]
            for i in range(0, len(starts), chunk)
        ]
        return np.vstack(rows)


def build_road_graph(
    table: EdgeTable,
    *,
    crs: str,
    speeds_kph: Mapping[str, float],
    maxspeed_factor: float | None,
    source: str,
) -> RoadGraph:
    """Turn read edges into a road graph: speeds by class, drivable edges only, projected to ``crs``.

    Parameters
    ----------
    table
        Directed edges and nodes as read from the extract.
    crs
        Target projected CRS.
    speeds_kph
        Full speed table by ``highway`` class; other classes are not drivable.
    maxspeed_factor
        Share of a parseable ``maxspeed`` used as the edge speed; ``None`` ignores ``maxspeed``.
    source
        The extract's name, for error messages.

    Returns
    -------
    RoadGraph

    Raises
    ------
    DataError
        If no edge is drivable, node coordinates cannot be projected, or the roads are not connected.
    """
    speed = edge_speeds_kph(table.highway, table.maxspeed, speeds_kph, maxspeed_factor=maxspeed_factor)
    drivable = np.isfinite(speed) & np.isfinite(table.length_m)
    if not drivable.any():
        classes = ", ".join(sorted(speeds_kph))
        raise DataError(f"no drivable roads (highway tag one of: {classes})", source=source)
    transformer = pyproj.Transformer.from_crs(table.crs, crs, always_xy=True)
    x, y = transformer.transform(table.node_xy[:, 0], table.node_xy[:, 1])
    xy = np.column_stack([x, y])
    used = np.unique(np.concatenate([table.u[drivable], table.v[drivable]]))
    if not np.isfinite(xy[used]).all():
        raise DataError(f"some road nodes cannot be projected from {table.crs} to {crs}", source=source)
    minutes = table.length_m[drivable] * 0.06 / speed[drivable]
    try:
        return RoadGraph.from_edges(xy, table.u[drivable], table.v[drivable], minutes, crs=crs)
    except DataError as e:
        raise DataError(str(e), source=source) from e


def _projected_crs(crs: str) -> str:
    """Check that ``crs`` is a projected CRS in metres, because snap distances are measured in it."""
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except CRSError as e:
        raise ConfigError(f"unknown CRS {crs!r}", field="crs") from e
    if not parsed.is_projected or parsed.axis_info[0].unit_name not in ("metre", "meter"):
        raise ConfigError(f"CRS {crs!r} must be projected in metres (e.g. EPSG:27700)", field="crs")
    return str(crs)


def _positive(value: float, field: str, *, allow_zero: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"must be a number, got {value!r}", field=field) from e
    if not np.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        raise ConfigError(f"must be a positive number, got {value!r}", field=field)
    return number


class NetworkModel:
    """Minutes by the quickest road route, plus slow off-road driving between each point and its road node.

    A point (an LSOA centroid, a base) is snapped to its nearest road node; the straight-line distance
    to that node is driven at ``offroad_kph`` at both ends of the trip. Matrices are cached on disk when
    ``cache_dir`` is given, keyed by the graph's content, the off-road speed and the points.

    Parameters
    ----------
    graph
        The road graph, in the CRS of the points that will be passed to :meth:`minutes`.
    offroad_kph
        Speed between a point and its road node (default 15 km/h).
    far_m
        Distance beyond which :meth:`snap_report` counts a point as far from any road (default 500 m).
    cache_dir
        Folder for cached matrices; ``None`` caches nothing.
    """

    def __init__(
        self,
        graph: RoadGraph,
        *,
        offroad_kph: float = DEFAULT_OFFROAD_KPH,
        far_m: float = DEFAULT_FAR_M,
        cache_dir: str | Path | None = None,
    ) -> None:
        self.graph = graph
        self.offroad_kph = _positive(offroad_kph, "offroad_kph")
        self.far_m = _positive(far_m, "far_m", allow_zero=True)
        self.cache_dir = None if cache_dir is None else Path(cache_dir).expanduser()

    @classmethod
    def from_osm(
        cls,
        path: str | Path,
        *,
        crs: str = "EPSG:27700",
        speeds_kph: Mapping[str, float] | None = None,
        maxspeed_factor: float | None = DEFAULT_MAXSPEED_FACTOR,
        offroad_kph: float = DEFAULT_OFFROAD_KPH,
        far_m: float = DEFAULT_FAR_M,
        cache_dir: str | Path | None = None,
    ) -> NetworkModel:
        """Read an extract (``.osm.pbf``, ``.osm`` XML or ``.graphml``, any CRS) and build the model.

        The built graph is cached too (keyed by the extract's bytes, the speeds and the CRS), so a second
        run on the same extract skips parsing.

        Parameters
        ----------
        path
            The extract.
        crs
            Projected CRS of the points (default British National Grid).
        speeds_kph
            km/h by ``highway`` class, overriding or adding to ``DEFAULT_SPEEDS_KPH``.
        maxspeed_factor
            Share of a tagged ``maxspeed`` driven (default 0.8, as OSRM); ``None`` ignores the tags.
        offroad_kph, far_m
            As for :class:`NetworkModel`.
        cache_dir
            Cache folder; ``None`` means ``~/.cache/readiness`` (or ``$XDG_CACHE_HOME/readiness``).

        Returns
        -------
        NetworkModel

        Raises
        ------
        DataError
            If the extract is missing, unreadable, not OpenStreetMap data or has no drivable network.
        ConfigError
            If the CRS, speeds or factors are invalid.
        """
        path = Path(path).expanduser()
        crs = _projected_crs(crs)
        speeds = merge_speeds(speeds_kph)
        factor = None if maxspeed_factor is None else _positive(maxspeed_factor, "maxspeed_factor")
        folder = _cache.default_cache_dir() if cache_dir is None else Path(cache_dir).expanduser()
        check_extract(path)
        name = _cache.cache_key(
            "graph", extract=_cache.file_sha256(path), speeds=speeds, maxspeed_factor=factor, crs=crs
        )
        stored = _cache.load(folder, name)
        if stored is None:
            graph = build_road_graph(
                read_extract(path), crs=crs, speeds_kph=speeds, maxspeed_factor=factor, source=str(path)
            )
            m = graph.minutes
            arrays = {"xy": graph.xy, "indptr": m.indptr, "indices": m.indices, "data": m.data}
            _cache.save(folder, name, arrays)
        else:
            n = len(stored["xy"])
            csr = sparse.csr_array((stored["data"], stored["indices"], stored["indptr"]), shape=(n, n))
            graph = RoadGraph(xy=stored["xy"], minutes=csr, crs=crs)
        return cls(graph, offroad_kph=offroad_kph, far_m=far_m, cache_dir=folder)

    def snap(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return each point's nearest road node and its distance in metres."""
        return self.graph.nearest_nodes(_as_points(points, "points"))

    def snap_report(self, points: np.ndarray) -> SnapReport:
        """Summarise how far points are from the roads (check it once for the bases and LSOA centroids)."""
        _, distance = self.snap(points)
        return SnapReport(
            n_points=len(distance),
            n_far=int((distance > self.far_m).sum()),
            max_m=float(distance.max(initial=0.0)),
            mean_m=float(distance.mean()) if len(distance) else 0.0,
            far_m=self.far_m,
        )

    def minutes(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Minutes at normal road speed from every origin to every destination.

        Parameters
        ----------
        origins, destinations
            ``(n, 2)`` arrays of coordinates in the graph's CRS.

        Returns
        -------
        numpy.ndarray
            ``(len(origins), len(destinations))`` minutes: off-road to the nearest node, the quickest
            road route, off-road from the destination's node.
        """
        a = _as_points(origins, "origins")
        b = _as_points(destinations, "destinations")
        name = None
        if self.cache_dir is not None:
            name = _cache.cache_key(
                "minutes",
                graph=self.graph.fingerprint,
                offroad_kph=self.offroad_kph,
                origins=_cache.array_sha256(a),
                destinations=_cache.array_sha256(b),
            )
            stored = _cache.load(self.cache_dir, name)
            if stored is not None:
                return stored["minutes"]
        a_node, a_m = self.graph.nearest_nodes(a)
        b_node, b_m = self.graph.nearest_nodes(b)
        offroad_m_per_min = self.offroad_kph * 1000.0 / 60.0
        result = (
            self.graph.shortest_minutes(a_node, b_node) + (a_m[:, None] + b_m[None, :]) / offroad_m_per_min
        )
        if name is not None:
            _cache.save(self.cache_dir, name, {"minutes": result})
        return result
