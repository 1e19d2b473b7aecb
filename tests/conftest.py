"""Shared fixtures: the default model is built once per test session."""

from __future__ import annotations

from types import ModuleType

import pytest

from readiness.config import config_from_mapping, default_config
from readiness.model import Model, build_model
from readiness.store import ENV_VAR


@pytest.fixture(autouse=True)
def isolated_run_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never write to the user's own run store: every test (and its subprocesses) gets a fresh one."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path_factory.mktemp("store") / "runs.duckdb"))


@pytest.fixture(scope="session")
def default_model() -> Model:
    return build_model(default_config())


@pytest.fixture(scope="session")
def spopt_locate() -> ModuleType:
    """spopt.locate (the reference the location models are checked against), or a skip without spopt."""
    return pytest.importorskip("spopt.locate")


def one_unit_config(*, site: str = "E01009371", base: str = "Bournville Lane", arvs: int = 1,
                    extra: dict | None = None, **parameters: float) -> dict:
    """A config with ``arvs`` ARVs free at one base (no workload), no other units, one named site, fixed delays,
    firearms in an open public place (no exposure layer: the closed forms' kill rate)."""
    fixed = {"notify.sigma": 0.0, "attack.window_min": 0.0, "response.on_duty": 0, "neighbourhood.on_duty_share": 0.0,
             **parameters}
    types = {name: t.model_dump() for name, t in default_config().resources.unit_types.items()}
    return {"resources": {"unit_types": {**types, "arv": {"kind": "armed", "deployment": "base"}},
                          "units": [{"type": "arv", "base": base, "count": arvs}]},
            "scenario": {"named_sites": [site], "weapons": {"firearm": 1.0}, "site_weights": "residents"},
            "workload": {"enabled": False}, "parameters": fixed, **(extra or {})}


def model_from(mapping: dict) -> Model:
    return build_model(config_from_mapping(mapping))
