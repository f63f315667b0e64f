"""Hostile: importing this file writes a marker, raises, and never returns."""
import os
import pathlib

pathlib.Path(os.environ.get("CONVERT_MARKER", "imported.marker")).write_text("imported")
raise SystemExit("a converter must never import a legacy file")
while True:
    pass

MODEL_ID = "albert/albert-base-v2"
TASK = "fill-mask"
