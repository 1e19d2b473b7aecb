"""STRESS-DES (Monks et al. 2019): the reporting checklist of a simulation study, filled from one run's results.

Every report carries this section so that a reader can judge the run without the code: what it was for, the
model logic it ran, its data, how it was run (replications, warm-up, seeds, common random numbers), the
software and where the code is. The words per checklist item are fixed; every value in them is read from the
results document (its format, config, parameters, seed, replications) and the package versions, so the
section cannot drift from the run it describes.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: What each kind of run is for and what its experiments vary, by results format (checklist 1.1 and 1.3).
PURPOSES: dict[str, tuple[str, str]] = {
    "readiness.assessment/1": (("how long sites of a multi-site armed attack wait for armed officers, and the "
                               "deaths, with the force's resources as configured"),
                               "the number of simultaneous sites K"),
    "readiness.coverage/1": (("everyday armed coverage: the share of residents a free, on-duty ARV reaches in time, "
                             "by hour of the week"), "the 168 hours of the week"),
    "readiness.compare/1": (("options (changes to the resources) against the baseline, with their costs and the "
                            "deaths they avert"), "the options and structural alternatives, for each K"),
    "readiness.optimise/1": ("where armed units should stand by: a location model solved on the force's LSOAs",
                             "the location model and its request"),
    "readiness.exposure/1": ("where attacks happen: people exposed in crowded places by LSOA at an hour of the week",
                             "the hour of the week mapped"),
    "readiness.replay/1": (("real attacks replayed in their force at their date and time, predictions set beside "
                           "what was recorded"), "the attacks of the table"),
    "readiness.validate_model/1": (("whether the model is built right: closed forms, textbook queueing examples, "
                                   "an independent implementation, the harm fit and the replay of real attacks"),
                                   "the checks of the model"),
    "readiness.harm_fit/1": ("deaths at a site fitted on the table of real attacks", "the rows of the attack table"),
    "readiness.warmup/1": ("how long the everyday workload needs to reach its steady state from an empty start",
                           "time from the empty start"),
}
#: Keys of a results document that describe the run rather than being one of its outputs.
_NOT_OUTPUTS = frozenset({"format", "version", "seed", "replications", "config", "parameters", "area", "force",
                          "fleet", "precision", "source", "method", "request", "subset"})
REPOSITORY_DOCS = "docs/architecture.md (modules), docs/model.md (the model), docs/data.md (data and licences)"


@dataclass(frozen=True)
class StressItem:
    """One checklist item: its number, its name in the checklist and what this run says for it."""

    id: str
    name: str
    text: str


@dataclass(frozen=True)
class StressSection:
    """One of the checklist's six headings and its items."""

    id: str
    title: str
    items: tuple[StressItem, ...]


def _get(document: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path of a results document, or None where any part is missing."""
    node: Any = document
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _outputs(results: Mapping[str, Any]) -> str:
    """The output sections of the document and, for lists of records, the fields of a record."""
    parts = []
    for key, value in results.items():
        if key in _NOT_OUTPUTS:
            continue
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            parts.append(f"{key} ({', '.join(str(k) for k in value[0])})")
        else:
            parts.append(key)
    return "results.json sections: " + "; ".join(parts) if parts else "results.json"


def _aims(results: Mapping[str, Any]) -> str:
    """What this run varied, from the document's own lists (sites, options, checks, incidents, request)."""
    varied = PURPOSES.get(str(results.get("format")), ("", "the run's inputs"))[1]
    details = []
    if isinstance(results.get("by_sites"), list):
        details.append("K = " + ", ".join(str(row["sites"]) for row in results["by_sites"]))
    if isinstance(results.get("sites"), list):
        details.append("K = " + ", ".join(str(k) for k in results["sites"]))
    if isinstance(results.get("options"), list):
        details.append("options: " + ", ".join(str(o["name"]) for o in results["options"]))
    if results.get("structural"):
        details.append("structural alternatives on common random numbers")
    if isinstance(results.get("request"), Mapping):
        details.append(", ".join(f"{k} {v}" for k, v in results["request"].items() if v is not None))
    if _get(results, "exposure.hour") is not None:
        details.append(f"hour {results['exposure']['hour']}")
    for key in ("checks", "incidents", "rows"):
        if isinstance(results.get(key), list):
            details.append(f"{len(results[key])} {key}")
    return varied + (": " + "; ".join(details) if details else "")


def _switches(config: Mapping[str, Any]) -> str:
    """The label of each structural switch in the run's config (the named structural choices)."""
    from readiness.structural import SWITCHES

    labels = []
    for switch in SWITCHES:
        value = _get(config, switch.path)
        label = next((name for name, v in switch.values.items() if v == value), value)
        if value is not None:
            labels.append(f"{switch.name} = {label}")
    return ", ".join(labels)


def _scenario(config: Mapping[str, Any]) -> str:
    """The attack scenario of the run's config: attack time, weapon mix, named sites."""
    scenario = config.get("scenario") if isinstance(config.get("scenario"), Mapping) else {}
    if not scenario:
        return "No attack scenario: see results.json"
    when = scenario.get("attack_time") or _get(config, "workload.attack_time") or "drawn over the week"
    weapons = scenario.get("weapons")
    named = scenario.get("named_sites")
    return "; ".join(x for x in (
        f"attack time {when}",
        "weapons " + ", ".join(f"{w} {p:g}" for w, p in weapons.items()) if isinstance(weapons, Mapping) else "",
        f"{len(named)} named sites" if isinstance(named, list) else "sites drawn by their weights") if x)


def _parameters(results: Mapping[str, Any]) -> tuple[str, str]:
    """Counts of registry entries, assumptions and overrides (3.3), and the assumptions by name (3.4)."""
    records = results.get("parameters")
    if isinstance(records, Mapping):  # a fit's estimated values: name -> value
        return f"{len(records)} values estimated by this run (listed in results.json)", "see the fit's priors"
    if not isinstance(records, list) or not records:
        return "none recorded in results.json", "none recorded in results.json"
    assumptions = [r["name"] for r in records if str(r.get("source", "")).lower().startswith("assumption")]
    overrides = [r["name"] for r in records if str(r.get("source", "")).startswith("override")]
    inputs = (f"{len(records)} registry parameters, each with value, unit, range and source (table below); "
              f"{len(overrides)} overridden by the configuration" + (f": {', '.join(overrides)}" if overrides else ""))
    return inputs, (f"{len(assumptions)} of the {len(records)} parameters have no public figure and are labelled "
                    "assumption, each with the range the sensitivity analysis sweeps")


def _data(results: Mapping[str, Any]) -> str:
    """The area, force and site-weight data the run used."""
    parts = []
    area = results.get("area")
    if isinstance(area, Mapping):
        residents = f", {area['residents']:,} residents" if "residents" in area else ""
        parts.append(f"{area.get('name')}: {area.get('lsoas')} LSOAs (2011 census geography){residents}")
    force = results.get("force")
    if isinstance(force, Mapping):
        parts.append(f"force {force.get('name')} ({force.get('code')}): "
                     + "; ".join(map(str, force.get("force_specific", []))))
    weights = _get(results, "config.scenario.site_weights")
    if weights is not None:
        parts.append(f"attack sites weighted by {weights}")
    if results.get("source"):
        parts.append(f"attack table {results['source']}")
    return "; ".join(parts) + ("; " if parts else "") + "sources and licences in docs/data.md"


def _initialisation(results: Mapping[str, Any]) -> str:
    """Warm-up (4.1): the everyday workload's warm-up hours, or a start with every unit free."""
    workload = _get(results, "config.workload")
    if isinstance(workload, Mapping) and workload.get("enabled"):
        return (f"Warm-up: each attack starts after {workload.get('warmup_hours')} hours of everyday armed workload "
                "and shifts from an empty start (workload.warmup_hours); the length is checked by MSER-5 on ARVs "
                "busy and on duty over time and by the state at the first shot after shorter warm-ups against a "
                "long one (readiness warmup, docs/workload.md).")
    if isinstance(workload, Mapping):
        return "No warm-up: the everyday workload is off, so every unit starts free at its start position."
    return "Not a simulation of the workload: no warm-up."


def _estimation(results: Mapping[str, Any]) -> str:
    """Replications, seeds, common random numbers and the precision rule (4.3)."""
    seed, replications = results.get("seed"), results.get("replications")
    text = []
    if replications is not None:
        text.append(f"{replications} replications per scenario")
    if seed is not None:
        text.append(f"seed {seed}; every random number is keyed by (seed, replication, purpose, index), so the "
                    "same configuration and seed give the same results.json on one worker or many")
    if isinstance(results.get("by_sites"), list) or isinstance(results.get("options"), list):
        text.append("every K, option and structural alternative runs on the same seed: common random numbers, "
                    "differences paired by replication")
    precision = results.get("precision")
    if isinstance(precision, Mapping):
        met = "met" if precision.get("met") else "not met (stopped at the maximum)"
        text.append(f"replications chosen to a stated precision ({precision.get('precision')}): the confidence "
                    f"intervals are from a sequential rule, batch size {precision.get('batch_size')}, rule: "
                    f"{precision.get('rule')} (a stopping time that depends on the data, so their coverage can be "
                    f"slightly below the nominal 95%); {precision.get('replications')} replications were run; the "
                    f"target was {met}")
    text.append("95% confidence intervals from the per-replication values")
    return "; ".join(text) + "."


def _code_access(version: str) -> str:
    """Package name, version and licence from the installed package's metadata (6.1)."""
    try:
        licence = importlib.metadata.metadata("readiness").get("License") or "see pyproject.toml"
    except importlib.metadata.PackageNotFoundError:
        licence = "see pyproject.toml"
    return (f"Readiness {version}, open source ({licence} licence): the package, its tests and the scripts that "
            f"build its data; {REPOSITORY_DOCS}.")


def stress_des(results: Mapping[str, Any], software: Mapping[str, str]) -> tuple[StressSection, ...]:
    """The STRESS-DES checklist for one results document and the package versions that produced it."""
    fmt = str(results.get("format", "unknown"))
    version = str(results.get("version") or software.get("readiness", "unknown"))
    purpose, _ = PURPOSES.get(fmt, ("a run of Readiness", ""))
    config = results.get("config") if isinstance(results.get("config"), Mapping) else {}
    where = _get(results, "area.name")
    inputs, assumptions = _parameters(results)
    fleet = results.get("fleet")
    components = ("entities: attack sites (drawn or named) and their attackers; resources: armed, specialist, "
                  "unarmed and mutual-aid units")
    if isinstance(fleet, Mapping):
        components += (f" ({fleet.get('armed_units')} armed of {fleet.get('units')} units at "
                       f"{len(fleet.get('bases', []))} bases)")
    components += ("; no queue at an attack: each site is answered by the first free unit to reach it; everyday "
                   "jobs that find every ARV busy are lost (docs/model.md)")
    horizon = _horizon(results)
    logic = "; ".join(x for x in (_switches(config), f"horizon {horizon:g} minutes" if horizon else "") if x)
    sections = (
        ("1", "Objectives", (
            ("1.1", "Purpose of the model", f"{purpose[0].upper()}{purpose[1:]}" + (f", {where}" if where else "")
             + f" (results format {fmt})."),
            ("1.2", "Model outputs", _outputs(results) + "."),
            ("1.3", "Experimentation aims", f"Varies {_aims(results)}."))),
        ("2", "Logic", (
            ("2.1", "Base model overview", ("docs/architecture.md (flow from configuration to results) and "
             "docs/model.md (the specification both implementations follow).")),
            ("2.2", "Base model logic", (f"Structural choices of this run: {logic}." if logic else
                                         "Not an attack simulation: see results.json's method.")),
            ("2.3", "Scenario logic", _scenario(config) + "."),
            ("2.4", "Algorithms", ("Counter-based random streams (readiness/rng.py); a compiled event loop per "
             "replication (engine.py); closed-form expected deaths per site (harm.py); location models on HiGHS "
             "(locate/).")),
            ("2.5", "Components", components + "."))),
        ("3", "Data", (
            ("3.1", "Data sources", _data(results) + "."),
            ("3.2", "Pre-processing", ("The shipped data are built by scripts/build_*.py from the sources named in "
             "docs/data.md; a run reads only the files in the package.")),
            ("3.3", "Input parameters", inputs + "."),
            ("3.4", "Assumptions", assumptions + "."))),
        ("4", "Experimentation", (
            ("4.1", "Initialisation", _initialisation(results)),
            ("4.2", "Run length", ("Each replication is one attack (terminating simulation), followed to the "
             f"horizon{f' of {horizon:g} minutes' if horizon else ''}.")),
            ("4.3", "Estimation approach", _estimation(results)))),
        ("5", "Implementation", (
            ("5.1", "Software", ", ".join(f"{name} {v}" for name, v in software.items()) + "."),
            ("5.2", "Random sampling", ("Each draw is a hash of (seed, replication, purpose, index) "
             "(readiness/rng.py, purposes in readiness/kinds.py); no global random state.")),
            ("5.3", "Model execution", ("Replications run in parallel; batch size and worker count never change "
             "a number.")),
            ("5.4", "System specification", ("The machine, timings and command line are in run.json beside "
             "results.json (which holds nothing about the machine).")))),
        ("6", "Code access", (
            ("6.1", "Computer model sharing statement", _code_access(version)),)),
    )
    return tuple(StressSection(sid, title, tuple(StressItem(*item) for item in items))
                 for sid, title, items in sections)


def _horizon(results: Mapping[str, Any]) -> float | None:
    """The attack horizon (minutes) from the run's parameters, when it has the registry's records."""
    records = results.get("parameters")
    if isinstance(records, Sequence) and not isinstance(records, str):
        return next((r["value"] for r in records if isinstance(r, Mapping) and r.get("name") == "horizon_min"), None)
    return None
