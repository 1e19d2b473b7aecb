"""Named codes shared by modules: unit kinds and random-stream purposes.

Unit kinds are plain ints so that compiled kernels read them as constants. Stream purposes form one
unique string enum: a purpose's value is hashed into its stream's key (``readiness.rng``), so two
purposes with one value would silently share draws; ``enum.unique`` makes that an import error.
The values are those the streams have always had: changing one changes every number drawn from it.
"""

from __future__ import annotations

import enum

#: Unit kinds in ``Fleet.kind``; ``MUTUAL_AID`` units are appended by the engine, never in a fleet.
ARMED, SPECIALIST, UNARMED, MUTUAL_AID = 0, 1, 2, 3
#: ``POSTED``: armed officers at a post (``resources.armed_posts``), appended by the engine, never in a fleet;
#: ``PATROL_TEAM``: a specialist team with ``deployment: patrol``, dispatched like an ARV (docs/model.md 4.7).
POSTED, PATROL_TEAM = 4, 5
#: Config ``unit_types.<name>.kind`` -> kind code.
KIND_CODES = {"armed": ARMED, "specialist": SPECIALIST, "unarmed": UNARMED}


@enum.unique
class Stream(enum.StrEnum):
    """Purpose of a random stream (``rng.uniforms(seed, purpose, ...)``)."""

    # the attack (scenario.draw_attacks)
    SITE = "site"
    START = "start"
    NOTIFY = "notify"
    ATTACKERS = "attackers"
    MODE = "mode"
    MOBILE_DURATION = "mobile_duration"
    SIEGE = "siege"
    ASSAULT = "assault"
    MUTUAL_AID_UNITS = "mutual_aid_units"
    MUTUAL_AID_DELAY = "mutual_aid_delay"
    NEIGHBOURHOOD = "neighbourhood"  # distance to the nearest neighbourhood officer (neighbourhood.py)
    WEAPON = "weapon"  # one weapon class per attack (scenario.weapons)
    SETTING = "setting"  # each site's setting class (the exposure layer's mix)
    # unit starts (scenario.draw_unit_starts), keyed by unit name
    PATROL = "patrol"
    PATROL_RETURN = "patrol_return"  # where a unit resumes patrol after an everyday job (workload.py)
    SPECIALIST = "specialist"
    # engagements under dispatch.doctrine: confront, per (site, engagement number)
    ENGAGEMENT = "engagement"
    # harm (engine)
    DEATHS = "deaths"
    # the harm fit's own draws (harm_fit.py: parameters, minutes, deaths), ``harm_fit:<what>``
    HARM_FIT = "harm_fit"
    # everyday workload (workload.py); the job streams are per job class, see ``job_stream``
    ATTACK_TIME = "attack_time"
    ABSENCE = "absence"
    COVERAGE_MINUTE = "coverage_minute"
    JOB_GAP = "job_gap"
    JOB_THIN = "job_thin"
    JOB_SITE = "job_site"
    JOB_SERVICE = "job_service"


#: The per-class job streams, in the order ``workload.draw_jobs`` stacks their keys.
JOB_STREAMS: tuple[Stream, ...] = (Stream.JOB_GAP, Stream.JOB_THIN, Stream.JOB_SITE, Stream.JOB_SERVICE)


def job_stream(stream: Stream, job_class: str) -> str:
    """Purpose of a job stream for one job class (``"job_gap:firearms"``); ``:`` keeps it apart from any member."""
    return f"{stream.value}:{job_class}"
