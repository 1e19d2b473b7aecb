"""Shared fixtures: the default model is built once per test session."""

from __future__ import annotations

import csv
from pathlib import Path
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


def model_from(mapping: dict) -> Model:
    return build_model(config_from_mapping(mapping))


def write_csv_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    """A CSV of ``rows`` (columns in order of first appearance): the tests' users' attack tables."""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path
