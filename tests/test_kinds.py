"""Named codes: unit kinds and random-stream purposes are unique, and no bare purpose string remains in src."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import readiness
from readiness import kinds
from readiness.kinds import JOB_STREAMS, Stream, job_stream

SRC = Path(readiness.__file__).parent
#: A stream call whose purpose (second argument) is a string literal, f-strings included.
BARE_PURPOSE = re.compile(r"\b(?:uniforms|normals|replication_keys)\(\s*[^,()]+,\s*[rbfu]*[\"']")


def test_stream_purposes_are_unique_and_keep_their_values():
    values = [s.value for s in Stream]
    assert len(values) == len(set(values)) == len(Stream.__members__)
    # the purposes' values are hashed into the streams: these are the values every pinned number rests on
    assert Stream.SITE == "site" and Stream.DEATHS == "deaths" and f"{Stream.MUTUAL_AID_DELAY}" == "mutual_aid_delay"
    job = {job_stream(s, c) for s in JOB_STREAMS for c in ("firearms", "other")}
    assert len(job) == 8 and not job & set(values) and job_stream(Stream.JOB_GAP, "firearms") == "job_gap:firearms"


def test_a_duplicate_purpose_is_an_error_at_definition():
    import enum
    with pytest.raises(ValueError, match="duplicate"):
        enum.unique(enum.StrEnum("Twice", {"A": "site", "B": "site"}))


def test_unit_kinds_are_distinct_and_resources_keeps_them():
    from readiness import resources
    codes = [kinds.ARMED, kinds.SPECIALIST, kinds.UNARMED, kinds.MUTUAL_AID]
    assert len(set(codes)) == 4
    assert (resources.ARMED, resources.SPECIALIST, resources.UNARMED) == tuple(codes[:3])
    assert kinds.MUTUAL_AID not in kinds.KIND_CODES.values()


def test_the_bare_purpose_pattern_catches_literals():
    assert BARE_PURPOSE.search('uniforms(seed, "site", reps, k)')
    assert BARE_PURPOSE.search('replication_keys(seed, f"{a}:{b}", reps)')
    assert not BARE_PURPOSE.search("uniforms(seed, Stream.SITE, reps, k)")


def test_no_bare_purpose_string_in_src():
    offenders = [f"{path.relative_to(SRC)}:{n}: {line.strip()}"
                 for path in sorted(SRC.rglob("*.py")) if path.name != "rng.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1) if BARE_PURPOSE.search(line)]
    assert offenders == []


def test_a_plain_run_never_imports_simpy():
    code = ("import sys\n"
            "import readiness.cli, readiness.engine\n"
            "from readiness.config import default_config\n"
            "from readiness.model import build_model\n"
            "from readiness.engine import simulate\n"
            "from readiness.workload import unit_state_sampler\n"
            "model = build_model(default_config())\n"
            "simulate(model, sites=2, replications=5, seed=1, unit_states=unit_state_sampler(model))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'simpy' or 'reference' in m))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_validation_package_without_simpy_says_what_to_install():
    code = ("import importlib.util\n"  # as if SimPy were not installed
            "_find = importlib.util.find_spec\n"
            "importlib.util.find_spec = lambda name, *a: None if name == 'simpy' else _find(name, *a)\n"
            "from readiness.errors import ReadinessError\n"
            "try:\n"
            "    import readiness._validation.reference\n"
            "except ReadinessError as error:\n"
            "    print(isinstance(error, ImportError), error)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("True ") and "install readiness[validate]" in out.stdout
