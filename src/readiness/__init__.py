"""Readiness: could a police force cope with a multi-site armed attack?"""

from pathlib import Path

from readiness._numba_cache import use_source_keyed_cache

__version__ = "0.1.0"

use_source_keyed_cache(Path(__file__).parent)
