"""Armed posts: armed officers posted at crowded places during some hours of the week (docs/model.md 4.7).

An attack at a posted place while the post is on duty has armed officers on scene from its first shot,
as at Westminster in 2017; the engine appends the posts to the fleet as ``POSTED`` units at their LSOA.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from readiness.area import Area
from readiness.config import MINUTES_PER_WEEK, ArmedPosts, parse_week_ranges
from readiness.errors import ConfigError
from readiness.exposure import HOURS
from readiness.kinds import POSTED


@dataclass(frozen=True)
class Posts:
    """Resolved posts: one per LSOA, each with ``officers`` armed officers during ``ranges``."""

    lsoa: np.ndarray  # (P,) int64 LSOA index of each post
    officers: int
    ranges: tuple[tuple[int, int], ...]  # minutes of the week [start, end), ends may pass the week

    def on_duty(self, minute: np.ndarray) -> np.ndarray:
        """Whether the posts are staffed at each minute of the week (same shape as ``minute``)."""
        m = np.asarray(minute) % MINUTES_PER_WEEK
        return np.any([((m >= a) & (m < b)) | ((m + MINUTES_PER_WEEK >= a) & (m + MINUTES_PER_WEEK < b))
                       for a, b in self.ranges], axis=0)

    @property
    def officer_hours_per_week(self) -> float:
        """Officer-hours a week the posts take (what they cost)."""
        return len(self.lsoa) * self.officers * sum(b - a for a, b in self.ranges) / 60.0


def posted_hours(ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Hours of the week (0..167) that the ranges overlap."""
    hours = {(m // 60) % HOURS for a, b in ranges for m in range(a, b, 60)}
    hours |= {((b - 1) // 60) % HOURS for a, b in ranges}
    return np.array(sorted(hours), dtype=np.int64)


def post_lsoas(spec: ArmedPosts, area: Area, site_table: np.ndarray, *, field: str) -> np.ndarray:
    """LSOA indices of the posts: the named codes (in order, repeats dropped) or the ``top`` LSOAs by mean
    site weight over the posts' hours (ties: the lower index). An unknown code is a user error."""
    if spec.sites is not None:
        unknown = [(i, code) for i, code in enumerate(spec.sites) if code not in area.index_of]
        if unknown:
            i, code = unknown[0]
            raise ConfigError(f"unknown posted place {code!r}: expected an LSOA code of {area.name}",
                              field=f"{field}.sites[{i}]")
        return np.array(list(dict.fromkeys(area.index_of[c] for c in spec.sites)), dtype=np.int64)
    weight = np.asarray(site_table, float)[posted_hours(parse_week_ranges(spec.hours))].mean(axis=0)
    return np.argsort(-weight, kind="stable")[:min(spec.top or 0, area.n)].astype(np.int64)


def resolve_posts(spec: ArmedPosts | None, params: Mapping[str, float], area: Area,
                  site_table: np.ndarray) -> Posts | None:
    """The posts of ``resources.armed_posts`` (None: no posts); officers default to ``posts.officers``."""
    if spec is None:
        return None
    officers = spec.officers if spec.officers is not None else int(params["posts.officers"])
    return Posts(lsoa=post_lsoas(spec, area, site_table, field="resources.armed_posts"),
                 officers=officers, ranges=parse_week_ranges(spec.hours))


def post_units(posts: Posts, n_bases: int, minute: np.ndarray) -> tuple[np.ndarray, ...]:
    """The posts as engine units for replications starting at ``minute``: kind, officers ``(P,)``,
    position, available and specialist delay ``(R, P)`` (off duty: never available)."""
    n, reps = len(posts.lsoa), len(minute)
    available = np.where(posts.on_duty(np.asarray(minute))[:, None], 0.0, np.inf) * np.ones((1, n))
    return (np.full(n, POSTED, np.int64), np.full(n, posts.officers, np.int64),
            np.broadcast_to(n_bases + posts.lsoa, (reps, n)).astype(np.int64), available,
            np.full((reps, n), np.inf))
