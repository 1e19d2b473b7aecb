"""``python -m readiness`` runs the command line."""

from readiness.cli import app

app(prog_name="readiness")
