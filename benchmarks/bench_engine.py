"""Engine benchmark: the rate on the default (K = 5, workload on, both cores) against the engine before
issue 16 and the SimPy reference in the same run, and how it scales.

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
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from machine import machine

from readiness._validation.reference import simulate_reference
from readiness.config import config_from_mapping, default_config
from readiness.engine import simulate, simulate_batches
from readiness.model import Model, build_model, derive_model
from readiness.summary import StreamingSummary

SEED = 1
SITES = 5
TAG = "engine-before-16"
#: The commit the tag names (the last before issue 16), for clones that did not fetch tags.
BEFORE_COMMIT = "574b31ef3db91366138620015b3913b638c8298e"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: Run in a subprocess on one engine tree: compile, then time ``simulate`` as configured (workload on).
_TIMED = """
import json, sys, time
from readiness.config import default_config
from readiness.engine import simulate
from readiness.model import build_model
sites, replications = int(sys.argv[1]), int(sys.argv[2])
model = build_model(default_config())
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


def _engine(src: Path, replications: int, sites: int = SITES) -> dict:
    """Time ``simulate`` of the engine under ``src`` in a fresh process (both cores, workload on)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", _TIMED, str(sites), str(replications)], env=env,
                          capture_output=True, text=True, check=True)
    row = json.loads(done.stdout.strip().splitlines()[-1])
    return {**row, "replications_per_s": row["replications"] / row["seconds"],
            "replications_per_cpu_s": row["replications"] / row["cpu_seconds"]}


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
    # alternate the two engines, two rounds each, and keep each one's best: the least disturbed by load
    runs: dict[str, list[dict]] = {"current": [], "before": []}
    for _ in range(1 if args.quick else 2):
        runs["current"].append(_engine(current_src, headline_reps))
        if before_src is not None:
            runs["before"].append(_engine(before_src, headline_reps))
    best = {name: max(rows, key=lambda r: r["replications_per_s"]) for name, rows in runs.items() if rows}
    model = build_model(default_config())
    simulate(model, sites=SITES, replications=200, seed=SEED)  # compile here too, for the scaling rows
    reference = _rate(lambda n: simulate_reference(model, sites=SITES, replications=n, seed=SEED, workload=True),
                      50 if args.quick else 200)
    rows = [{"what": "engine + workload (both cores)", "sites": SITES, "armed_units": 8, **best["current"]}]
    if "before" in best:
        rows.append({"what": f"engine at {TAG} (both cores)", "sites": SITES, "armed_units": 8, **best["before"]})
    rows.append({"what": "SimPy ref. + workload (1 proc.)", "sites": SITES, "armed_units": 8, **reference})
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
    current_rate = best["current"]["replications_per_s"]
    results = {
        "speedup_vs_simpy": current_rate / reference["replications_per_s"],
        "speedup_vs_before_16": (current_rate / best["before"]["replications_per_s"]) if "before" in best else None,
        "speedup_vs_before_16_cpu": (best["current"]["replications_per_cpu_s"]
                                     / best["before"]["replications_per_cpu_s"]) if "before" in best else None,
        "scenario": (f"default West Midlands, 8 ARVs, K = {SITES}, everyday workload and shifts on (a 24-hour "
                     "warm-up per replication, attack Fri 21:20), every row; the two engines each in a fresh "
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
    print(f"speedup_vs_simpy = {results['speedup_vs_simpy']:.0f} (target 100)")
    print(f"load average during the run: {results['machine']['load_average']}")


if __name__ == "__main__":
    main()
