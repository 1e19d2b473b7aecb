"""The case-study script writes its document and figures, with every option and the run's own numbers."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from readiness.config import default_config
from readiness.errors import ConfigError
from readiness.options import load_options

#: Tiny settings; the ranking sweep visits one simulated and one money-only parameter.
TINY = ["--seed", "7", "--replications", "12", "--sensitivity-replications", "8", "--morris-trajectories", "0",
        "--ranking-replications", "8", "--ranking-parameters", "arv.on_duty,costs.officer_full_gbp"]
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "case_study.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("case_study", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # about 16-28 s: two tiny runs plus figures
def test_case_study_writes_document_and_figures(tmp_path):
    case_study = _load_script()
    path = case_study.main(["--docs", str(tmp_path), *TINY])
    assert path == tmp_path / "west-midlands-2015.md"
    text = path.read_text(encoding="utf-8")
    options, _ = load_options(None)
    for name in (options.baseline, *(o.name for o in options.options)):
        assert name in text, name
    assert "Seed **7**" in text and "**12** replications" in text
    assert "Each of the 2 registry parameters" in text
    for heading in ("Cost per life saved", "formula-error cut", "Prevention: an assumption",
                    "could change the ranking", "Limits"):
        assert heading in text, heading
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) >= 6
    for image in images:
        png = tmp_path / image
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
    # the same seed and settings give the same document (numbers come from the run, not the clock)
    again = case_study.main(["--docs", str(tmp_path / "again"), *TINY])
    assert again.read_text(encoding="utf-8") == text


def test_ranking_sweep_rejects_an_unknown_parameter(default_model):
    case_study = _load_script()
    options, _ = load_options(None)
    with pytest.raises(ConfigError, match="arv.on_dutyy"):
        case_study.ranking_sensitivity(default_model, options, default_config().resources, seed=1, replications=4,
                                       sites=3, parameters=("arv.on_dutyy",))
