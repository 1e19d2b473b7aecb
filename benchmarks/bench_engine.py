"""Engine benchmark: attack replications per second against the SimPy reference, and how it scales.

Run with ``make bench`` (or ``python benchmarks/bench_engine.py [--quick]``). Prints one table and writes
``benchmarks/results.json`` whose top level holds ``speedup_vs_simpy``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import tracemalloc
from pathlib import Path

from readiness._validation.reference import simulate_reference
from readiness.config import config_from_mapping, default_config
from readiness.engine import simulate, simulate_batches
from readiness.model import Model, build_model, derive_model
from readiness.scenario import draw_unit_starts
from readiness.summary import StreamingSummary

SEED = 1


def _rate(run, replications: int) -> tuple[float, float, float]:
    """(replications per second, seconds, peak traced MiB) of one call."""
    tracemalloc.start()
    began = time.perf_counter()
    run(replications)
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return replications / seconds, seconds, peak


def _model_with_arvs(base: Model, arvs: int) -> Model:
    return derive_model(base, config_from_mapping({"parameters": {"arv.on_duty": arvs}}))


def _streamed(model: Model, replications: int) -> dict:
    """Aggregate as the batches come, every unit free: memory stays flat however many replications."""
    summary = StreamingSummary(5, model.params["horizon_min"])
    for batch in simulate_batches(model, sites=5, replications=replications, seed=SEED,
                                  unit_states=draw_unit_starts):
        summary.add(batch)
    return summary.result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    model = build_model(default_config())
    simulate(model, sites=5, replications=100, seed=SEED)  # compile first (as configured: the workload)
    engine_reps = 20_000 if args.quick else 200_000
    reference_reps = 100 if args.quick else 500
    # headline: everyday workload on both sides (a fresh sampler per call, so the warm-up is timed too)
    engine_rate, engine_s, engine_mem = _rate(
        lambda n: simulate(model, sites=5, replications=n, seed=SEED),  # as configured: a fresh workload sampler
        engine_reps)
    simpy_rate, simpy_s, simpy_mem = _rate(
        lambda n: simulate_reference(model, sites=5, replications=n, seed=SEED, workload=True), reference_reps)
    rows = [{"what": "engine + workload (both cores)", "replications": engine_reps, "sites": 5, "armed_units": 8,
             "seconds": engine_s, "replications_per_s": engine_rate, "peak_mib": engine_mem},
            {"what": "SimPy ref. + workload (1 proc.)", "replications": reference_reps, "sites": 5,
             "armed_units": 8, "seconds": simpy_s, "replications_per_s": simpy_rate, "peak_mib": simpy_mem}]
    for reps in ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]):
        rate, seconds, peak = _rate(lambda n: simulate(model, sites=5, replications=n, seed=SEED,
                                                       unit_states=draw_unit_starts), reps)
        rows.append({"what": "scaling: replications", "replications": reps, "sites": 5, "armed_units": 8,
                     "seconds": seconds, "replications_per_s": rate, "peak_mib": peak})
    for reps in ([1_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000]):
        rate, seconds, peak = _rate(lambda n: _streamed(model, n), reps)
        rows.append({"what": "streaming summary: replications", "replications": reps, "sites": 5, "armed_units": 8,
                     "seconds": seconds, "replications_per_s": rate, "peak_mib": peak})
    for sites in (1, 5, 10, 20):
        rate, seconds, peak = _rate(lambda n, k=sites: simulate(model, sites=k, replications=n, seed=SEED,
                                                                unit_states=draw_unit_starts), 20_000)
        rows.append({"what": "scaling: sites", "replications": 20_000, "sites": sites, "armed_units": 8,
                     "seconds": seconds, "replications_per_s": rate, "peak_mib": peak})
    for arvs in (4, 8, 50, 200):
        bigger = _model_with_arvs(model, arvs)
        rate, seconds, peak = _rate(lambda n, m=bigger: simulate(m, sites=5, replications=n, seed=SEED,
                                                                 unit_states=draw_unit_starts), 20_000)
        rows.append({"what": "scaling: units", "replications": 20_000, "sites": 5, "armed_units": arvs,
                     "seconds": seconds, "replications_per_s": rate, "peak_mib": peak})
    results = {
        "speedup_vs_simpy": engine_rate / simpy_rate,
        "scenario": ("default West Midlands, 8 ARVs, K = 5, everyday workload and shifts on both sides (24-hour "
                     "warm-up per replication, attack Fri 21:20); scaling rows: every unit free at the attack"),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count()},
        "rows": rows,
    }
    Path(__file__).with_name("results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'what':32} {'reps':>9} {'K':>3} {'ARVs':>5} {'seconds':>9} {'reps/s':>11} {'peak MiB':>9}")
    for row in rows:
        print(f"{row['what']:32} {row['replications']:>9} {row['sites']:>3} {row['armed_units']:>5} "
              f"{row['seconds']:>9.2f} {row['replications_per_s']:>11.0f} {row['peak_mib']:>9.1f}")
    print(f"speedup_vs_simpy = {results['speedup_vs_simpy']:.0f}")


if __name__ == "__main__":
    main()
