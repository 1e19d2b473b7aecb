"""Outputs are one set: a run killed at any moment leaves the previous complete set or the new one."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import readiness
from readiness.report import MANIFEST, Figure, is_complete_set, prepare_out_dir, read_manifest, write_outputs

SRC = str(Path(readiness.__file__).resolve().parents[1])

# Writes set ``label`` into ``out`` in a child process that kills itself (SIGKILL) before step ``kill_at``
# of the write phase (each file written, rename, exchange, removal is one step); -1 never kills and
# prints the number of steps. ``fallback`` switches the atomic exchange off (two renames instead).
WRITER = """
import os, shutil, signal, sys
from pathlib import Path
import pandas as pd
from readiness import report

out, label, kill_at, fallback = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "fallback"
steps = [0]

def step(function):
    def wrapped(*args, **kwargs):
        if steps[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        steps[0] += 1
        return function(*args, **kwargs)
    return wrapped

report.write_atomic = step(report.write_atomic)
os.rename = step(os.rename)
shutil.rmtree = step(shutil.rmtree)
report._exchange = step((lambda a, b: False) if fallback else report._exchange)
figure = report.Figure(name="f", title="t", caption="c", png=label.encode() * 1000)
report.write_outputs(out, results={"set": label}, run={"set": label},
                     tables={"t": pd.DataFrame({"set": [label] * 100})}, figures=[figure], html=label)
print(steps[0])
"""


def _write(out: Path, label: str, kill_at: int = -1, mode: str = "exchange") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-c", WRITER, str(out), label, str(kill_at), mode], env=env, check=False,
                          capture_output=True, text=True, timeout=120)


def _set_label(out: Path) -> str:
    """The label of the complete set in ``out`` (every file of its manifest present and intact)."""
    assert is_complete_set(out), sorted(os.listdir(out)) if out.exists() else "no folder"
    files = read_manifest(out)
    labels = {json.loads((out / "results.json").read_text())["set"], json.loads((out / "run.json").read_text())["set"],
              (out / "report.html").read_text()}
    assert len(labels) == 1 and set(files) == {"results.json", "run.json", "report.html", "t.csv", "figures/f.png"}
    return labels.pop()


def test_sets_replace_each_other_and_keep_the_users_files(tmp_path):
    out = tmp_path / "out"
    figure = Figure(name="a", title="t", caption="c", png=b"png")
    write_outputs(out, results={"n": 1}, run={}, tables={"one": pd.DataFrame({"x": [1]})}, figures=[figure], html="")
    (out / "notes.txt").write_text("mine")
    (out / "figures" / "drawing.png").write_bytes(b"mine too")
    written = write_outputs(out, results={"n": 2}, run={}, tables={"two": pd.DataFrame({"x": [2]})}, figures=[],
                            html="")
    assert is_complete_set(out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == ["manifest.json", "report.html", "results.json",
                                                                      "run.json", "two.csv"]
    assert not (out / "one.csv").exists() and not (out / "figures" / "a.png").exists()  # the old set is gone
    assert (out / "notes.txt").read_text() == "mine" and (out / "figures" / "drawing.png").read_bytes() == b"mine too"
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no staging folder left beside it
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["format"] == "readiness.manifest/1" and "notes.txt" not in manifest["files"]


def test_a_symlinked_folder_keeps_its_link(tmp_path):
    (tmp_path / "target").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "target")
    for n in (1, 2):
        write_outputs(tmp_path / "link", results={"n": n}, run={}, tables={}, figures=[], html="")
    assert (tmp_path / "link").is_symlink() and is_complete_set(tmp_path / "target")
    assert json.loads((tmp_path / "target" / "results.json").read_text()) == {"n": 2}
    assert sorted(os.listdir(tmp_path)) == ["link", "target"]


def test_a_tampered_file_breaks_the_set(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, results={"n": 1}, run={}, tables={}, figures=[], html="")
    (out / "report.html").write_text("changed")
    assert not is_complete_set(out)
    assert not is_complete_set(tmp_path / "missing")


def test_a_file_in_the_way_is_a_user_error_and_touches_nothing(tmp_path):
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(readiness.errors.ReadinessError, match="not a folder"):
        prepare_out_dir(tmp_path / "out")
    assert (tmp_path / "out").read_text() == "not a folder"


@pytest.mark.parametrize("mode", ["exchange", pytest.param("fallback", marks=pytest.mark.slow)])
def test_killed_at_every_step_of_the_write_leaves_old_or_new(tmp_path, mode):
    out = tmp_path / "out"
    _write(out, "first", mode=mode)
    steps = int(_write(out, "old", mode=mode).stdout)  # the steps of replacing a set
    assert _set_label(out) == "old"
    (out / "notes.txt").write_text("mine")
    seen = []
    for kill_at in range(steps):
        label = f"new{kill_at}"
        killed = _write(out, label, kill_at, mode)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        prepare_out_dir(out)  # what the next run does first: finish or undo a half-done swap
        seen.append(_set_label(out))
        assert seen[-1] in {"old", label} or seen[-1].startswith("new")
        assert (out / "notes.txt").read_text() == "mine"
        assert sorted(os.listdir(tmp_path)) == ["out"]
    assert seen[0] == "old" and seen[-1] == f"new{steps - 1}"  # killed while cleaning up: already swapped


def test_killed_between_the_two_renames_the_folder_comes_back(tmp_path):
    out = tmp_path / "out"
    _write(out, "old", mode="fallback")
    steps = int(_write(out, "probe", mode="fallback").stdout)
    # steps: clear staging, 6 writes, rename out -> old, rename staging -> out, remove old
    assert _write(out, "new", steps - 2, "fallback").returncode == -signal.SIGKILL
    assert not out.exists()
    prepare_out_dir(out)
    assert _set_label(out) == "new"  # the staged set was complete, so it wins


@pytest.mark.slow
def test_assess_killed_at_random_moments_leaves_a_complete_set(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "readiness", "assess", "--out", str(out), "--replications", "50",
               "--sites", "1,2", "--quiet"]
    env = {**os.environ, "PYTHONPATH": SRC}
    began = time.perf_counter()
    subprocess.run([*command, "--seed", "1"], env=env, check=True, capture_output=True, timeout=600)
    duration = time.perf_counter() - began
    assert is_complete_set(out)
    draws = random.Random(2015)
    for seed in range(2, 8):
        process = subprocess.Popen([*command, "--seed", str(seed)], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(draws.uniform(0.5, 1.1) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        prepare_out_dir(out)
        assert is_complete_set(out)
        assert json.loads((out / "results.json").read_text())["seed"] in range(1, seed + 1)
