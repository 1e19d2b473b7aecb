"""Engine benchmark: the rate on the default (K = 5, workload on, both cores) against the engine before
issue 16 and the SimPy reference in the same run, and how it scales; ``readiness assess`` timed the same
way; the opt-in shortcut (a warm-up as short as ``warmup.end_state_check`` allows); and the shared warm-up
that was considered (raw rate, and the design effect that eats it).

Run with ``make bench`` (or ``python benchmarks/bench_engine.py [--quick | --full]``). The engine before
issue 16 is the tree at the git tag ``engine-before-16``, extracted into ``benchmarks/out/`` and run in a
subprocess with its own ``PYTHONPATH``; the current engine runs the same way, alternating with it, so the
ratio compares two engines under the same load. Prints one table and writes ``benchmarks/results.json``
whose top level holds ``speedup_vs_simpy`` and ``speedup_vs_before_16``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from machine import machine

from readiness._validation.reference import simulate_reference
from readiness.config import config_from_mapping, default_config
from readiness.engine import simulate, simulate_batches
from readiness.model import Model, build_model, derive_model
from readiness.scenario import UnitStarts, draw_unit_starts
from readiness.summary import StreamingSummary
from readiness.warmup import CHECK_REPLICATIONS, end_state_check
from readiness.workload import WorkloadSampler

SEED = 1
SITES = 5
TAG = "engine-before-16"
#: The commit the tag names (the last before issue 16), for clones that did not fetch tags.
BEFORE_COMMIT = "574b31ef3db91366138620015b3913b638c8298e"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: Run in a subprocess on one engine tree: compile, then time ``simulate`` as configured (workload on), or
#: with the warm-up of ``sys.argv[3]`` hours.
_TIMED = """
import json, sys, time
from readiness.config import config_from_mapping, default_config
from readiness.engine import simulate
from readiness.model import build_model
sites, replications = int(sys.argv[1]), int(sys.argv[2])
model = build_model(default_config() if len(sys.argv) < 4 else
                    config_from_mapping({"workload": {"warmup_hours": float(sys.argv[3])}}))
simulate(model, sites=sites, replications=200, seed=1)
wall, cpu = time.perf_counter(), time.process_time()
simulate(model, sites=sites, replications=replications, seed=1)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"replications": replications, "seconds": wall, "cpu_seconds": cpu}))
"""


def _before_tree() -> Path | None:
    """``src`` of the engine at tag ``engine-before-16`` (extracted once), or None with the reason printed."""
    target = HERE / "out" / TAG
    if (target / "src" / "readiness" / "engine.py").exists():
        return target / "src"
    revision = next((r for r in (f"refs/tags/{TAG}", f"{BEFORE_COMMIT}^{{commit}}")
                     if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "-q", "--verify", r],
                                       check=False, capture_output=True).returncode == 0), None)
    if revision is None:
        print(f"NO RATIO TO THE ENGINE BEFORE ISSUE 16: neither git tag {TAG!r} nor commit {BEFORE_COMMIT[:10]} "
              f"is in {ROOT} (a shallow clone? run `git fetch --tags --unshallow`)")
        return None
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "src"


def _engine(src: Path, replications: int, sites: int = SITES, warmup_hours: float | None = None) -> dict:
    """Time ``simulate`` of the engine under ``src`` in a fresh process (both cores, workload on; the
    configured warm-up, or ``warmup_hours``)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    warmup = [] if warmup_hours is None else [str(warmup_hours)]
    done = subprocess.run([sys.executable, "-c", _TIMED, str(sites), str(replications), *warmup], env=env,
                          capture_output=True, text=True, check=True)
    row = json.loads(done.stdout.strip().splitlines()[-1])
    return {**row, "replications_per_s": row["replications"] / row["seconds"],
            "replications_per_cpu_s": row["replications"] / row["cpu_seconds"]}


def _assess(src: Path, replications: int) -> dict:
    """Time ``readiness assess --sites 1,...,5`` (results and report) of the engine under ``src``, fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(src), "READINESS_STORE": str(Path(tmp) / "runs.duckdb")}
        args = [sys.executable, "-m", "readiness", "assess", "--sites", ",".join(map(str, range(1, SITES + 1))),
                "--replications", str(replications), "--out", str(Path(tmp) / "out"), "--quiet"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        subprocess.run(args, env=env, capture_output=True, check=True)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    simulated = replications * SITES  # one simulation per K per replication
    return {"replications": replications, "seconds": wall, "cpu_seconds": cpu,
            "replications_per_s": simulated / wall, "replications_per_cpu_s": simulated / cpu}


class SharedWarmup:
    """The shortcut considered and not shipped: one warm-up serves ``share`` consecutive replications.

    Each replication's unit states are still a full warm-up's (same distribution), but replications in
    a group share them, so they are no longer independent: the benchmark prints the design effect.
    """

    def __init__(self, model: Model, share: int) -> None:
        self.inner, self.share = WorkloadSampler(model), share

    def __call__(self, model: Model, seed: int, reps: np.ndarray) -> UnitStarts:
        reps = np.asarray(reps, dtype=np.int64)
        groups, member = np.unique(reps // self.share, return_inverse=True)
        starts = draw_unit_starts(model, seed, reps, self.inner.attack_minutes(seed, reps))
        minute = self.inner.attack_minutes(seed, groups)
        state = self.inner.state(model, seed, groups, minute, starts=draw_unit_starts(model, seed, groups, minute))
        position, available = starts.position.copy(), starts.available.copy()
        position[:, state.units] = state.position[member]
        available[:, state.units] = state.available[member]
        return UnitStarts(position=position, available=available, specialist_delay=starts.specialist_delay)


def design_effect(values: np.ndarray, group: int) -> float:
    """Variance of the mean from means of consecutive groups over the variance assuming independence."""
    n = len(values) // group * group
    means = values[:n].reshape(-1, group).mean(axis=1)
    return float((means.var(ddof=1) / len(means)) / (values[:n].var(ddof=1) / n))


def _shared_rows(model: Model, replications: int) -> list[dict]:
    """Raw rate and design effects (groups of 16) of a warm-up shared by 1, 4, 8, 16 replications."""
    rows = []
    for share in (1, 4, 8, 16):
        sampler = SharedWarmup(model, share)
        outcomes = []
        row = _rate(lambda n, s=sampler: outcomes.append(simulate(model, sites=SITES, replications=n, seed=SEED,
                                                                  unit_states=s)), replications)
        o = outcomes[0]
        metrics = {"first_armed": np.minimum(o.t_first_armed, model.params["horizon_min"]).mean(axis=1),
                   "share_over_10": (o.t_first_armed > 10.0).mean(axis=1), "deaths": o.deaths.sum(axis=1)}
        effects = {name: design_effect(values, 16) for name, values in metrics.items()}
        rows.append({**row, "share": share, "design_effect": effects,
                     "effective_per_s": row["replications_per_s"] / effects["first_armed"]})
    return rows


def _rate(run, replications: int, *, memory: bool = False) -> dict:
    """Seconds, CPU seconds, replications per second and (``memory``) peak traced MiB of one call."""
    if memory:
        tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    run(replications)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if memory else None
    if memory:
        tracemalloc.stop()
    return {"replications": replications, "seconds": wall, "cpu_seconds": cpu,
            "replications_per_s": replications / wall, "peak_mib": peak}


def _model_with_arvs(base: Model, arvs: int) -> Model:
    return derive_model(base, config_from_mapping({"parameters": {"arv.on_duty": arvs}}))


def _streamed(model: Model, replications: int) -> None:
    """Aggregate as the batches come (workload on): memory stays at one batch however many replications."""
    summary = StreamingSummary(SITES, model.params["horizon_min"])
    for batch in simulate_batches(model, sites=SITES, replications=replications, seed=SEED):
        summary.add(batch)
    summary.result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    size.add_argument("--full", action="store_true", help="the replication scaling up to 10^6")
    args = parser.parse_args()
    headline_reps = 20_000 if args.quick else 100_000
    current_src = ROOT / "src"
    before_src = _before_tree()
    model = build_model(default_config())
    # the opt-in shortcut: the shortest warm-up whose state at the first shot is the configured one's
    short_hours = end_state_check(model, seed=SEED, replications=CHECK_REPLICATIONS,
                                  reference_hours=model.config.workload.warmup_hours)["recommended_hours"]
    # alternate the engines, two rounds each, and keep each one's best: the least disturbed by load
    runs: dict[str, list[dict]] = {"current": [], "before": [], "short_warmup": []}
    for _ in range(1 if args.quick else 2):
        runs["current"].append(_engine(current_src, headline_reps))
        if before_src is not None:
            runs["before"].append(_engine(before_src, headline_reps))
        runs["short_warmup"].append(_engine(current_src, headline_reps, warmup_hours=short_hours))
    best = {name: max(rows, key=lambda r: r["replications_per_s"]) for name, rows in runs.items() if rows}
    assess_reps = 4_000 if args.quick else 20_000
    assess = {"current": _assess(current_src, assess_reps)}
    if before_src is not None:
        assess["before"] = _assess(before_src, assess_reps)
    simulate(model, sites=SITES, replications=200, seed=SEED)  # compile here too, for the scaling rows
    reference = _rate(lambda n: simulate_reference(model, sites=SITES, replications=n, seed=SEED, workload=True),
                      50 if args.quick else 200)
    rows = [{"what": "engine + workload (both cores)", "sites": SITES, "armed_units": 8, **best["current"]}]
    if "before" in best:
        rows.append({"what": f"engine at {TAG} (both cores)", "sites": SITES, "armed_units": 8, **best["before"]})
    rows.append({"what": f"engine, opt-in {short_hours:g} h warm-up", "sites": SITES, "armed_units": 8,
                 **best["short_warmup"]})
    rows.append({"what": "SimPy ref. + workload (1 proc.)", "sites": SITES, "armed_units": 8, **reference})
    rows.append({"what": "readiness assess K=1..5", "sites": SITES, "armed_units": 8, **assess["current"]})
    if "before" in assess:
        rows.append({"what": f"readiness assess at {TAG}", "sites": SITES, "armed_units": 8, **assess["before"]})
    scaling_reps = 5_000 if args.quick else 20_000
    for sites in (1, 2, 5, 10, 20):
        rows.append({"what": "scaling: sites", "sites": sites, "armed_units": 8,
                     **_rate(lambda n, k=sites: simulate(model, sites=k, replications=n, seed=SEED), scaling_reps)})
    for arvs in (4, 8, 50, 200):
        bigger = _model_with_arvs(model, arvs)
        simulate(bigger, sites=SITES, replications=200, seed=SEED)
        rows.append({"what": "scaling: units", "sites": SITES, "armed_units": arvs,
                     **_rate(lambda n, m=bigger: simulate(m, sites=SITES, replications=n, seed=SEED), scaling_reps)})
    sizes = [2_000, 20_000] if args.quick else [10_000, 100_000, 1_000_000] if args.full else [10_000, 100_000]
    for reps in sizes:
        rows.append({"what": "streaming summary: replications", "sites": SITES, "armed_units": 8,
                     **_rate(lambda n: _streamed(model, n), reps, memory=True)})
    shared = _shared_rows(model, 10_000 if args.quick else 40_000)
    for row in shared:
        rows.append({"what": f"shared warm-up (considered): {row['share']:>2}", "sites": SITES, "armed_units": 8,
                     **row})
    current_rate = best["current"]["replications_per_s"]
    results = {
        "speedup_vs_simpy": current_rate / reference["replications_per_s"],
        "assess_speedup_vs_before_16": (assess["current"]["replications_per_s"]
                                        / assess["before"]["replications_per_s"]) if "before" in assess else None,
        "speedup_vs_before_16": (current_rate / best["before"]["replications_per_s"]) if "before" in best else None,
        "speedup_vs_before_16_cpu": (best["current"]["replications_per_cpu_s"]
                                     / best["before"]["replications_per_cpu_s"]) if "before" in best else None,
        "short_warmup_hours": short_hours,
        "short_warmup_speedup_vs_before_16": (best["short_warmup"]["replications_per_s"]
                                              / best["before"]["replications_per_s"]) if "before" in best else None,
        "scenario": (f"default West Midlands, 8 ARVs, K = {SITES}, everyday workload and shifts on (a 24-hour "
                     "warm-up per replication, attack Fri 21:20), every row but the opt-in one (the end-state "
                     "check's shortest warm-up, short_warmup_hours); the two engines each in a fresh "
                     "process, alternating, best of the rounds"),
        "machine": {**machine(("numpy", "numba", "scipy", "simpy")),
                    "load_average": list(os.getloadavg())},
        "runs": runs,
        "rows": rows,
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'what':34} {'reps':>9} {'K':>3} {'ARVs':>5} {'seconds':>9} {'CPU s':>8} {'reps/s':>10} {'peak MiB':>9}")
    for row in rows:
        peak = "" if row.get("peak_mib") is None else f"{row['peak_mib']:.1f}"
        print(f"{row['what']:34} {row['replications']:>9} {row['sites']:>3} {row['armed_units']:>5} "
              f"{row['seconds']:>9.2f} {row['cpu_seconds']:>8.2f} {row['replications_per_s']:>10.0f} {peak:>9}")
    print(f"rate = {current_rate:.0f} replications/s (K = {SITES}, workload on, both cores)")
    if results["speedup_vs_before_16"] is None:
        print(f"speedup_vs_before_16 = n/a (tag {TAG} missing)")
    else:
        print(f"speedup_vs_before_16 = {results['speedup_vs_before_16']:.2f} (wall, same run; "
              f"CPU time: {results['speedup_vs_before_16_cpu']:.2f}; target 10)")
    if results["short_warmup_speedup_vs_before_16"] is not None:
        print(f"opt-in shortcut, a {short_hours:g}-hour warm-up (the end-state check's shortest equivalent to the "
              f"configured one): {results['short_warmup_speedup_vs_before_16']:.2f} x the engine before issue 16")
    print(f"speedup_vs_simpy = {results['speedup_vs_simpy']:.0f} (target 100)")
    if results["assess_speedup_vs_before_16"] is not None:
        print(f"readiness assess: {results['assess_speedup_vs_before_16']:.2f} x the engine before issue 16 (wall)")
    print("shared warm-up (considered, not shipped): share, raw reps/s, design effect (groups of 16) on mean first"
          " armed / share over 10 min / deaths, effective reps/s for the first-armed mean")
    for row in shared:
        effect = row["design_effect"]
        print(f"  {row['share']:>2} {row['replications_per_s']:>9.0f} {effect['first_armed']:>6.2f} "
              f"{effect['share_over_10']:>6.2f} {effect['deaths']:>6.2f} {row['effective_per_s']:>9.0f}")
    print(f"load average during the run: {results['machine']['load_average']}")


if __name__ == "__main__":
    main()
