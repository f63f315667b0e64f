"""Does ``--affected-since`` miss a fault that the full suite catches? One fault at a time.

    .nox/framework/bin/python bench/affected_mutants.py framework [ID ...]
    .nox/models/bin/python bench/affected_mutants.py models [ID ...]

``framework``: faults outside ``models/``, judged by ``test/framework``; ``models``: faults in
``models/``, judged by the CPU model suite.

Each fault of ``affected_mutants.json`` (a single-point change to a function) is put into the
working tree, then the file is restored. For each: the selection of ``--affected-since HEAD``
(its summary line, so the fraction selected), then the selected tests with ``-x``; where they
fail, the fault is caught (the full suite, a superset, fails too). Only where they pass does
the full suite run: it failing is a miss, it passing a fault no test sees. Run it in the venv
of the suite that judges, on a clean tree whose map (``baselines/test-deps.json``) is recent;
it reads the map from a copy of ``baselines/``, so a run leaves the tree as it found it. A
line per fault, and a JSON line each in ``affected-mutants-<kind>.jsonl`` in the temporary
folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCOPES = {
    "framework": ["test/framework"],
    "models": ["--run-model-tests", "-m", "cpu", "--dist", "loadgroup", "test/models"],
}


def pytest(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args], cwd=ROOT, capture_output=True, text=True
    )


def judge(fault: dict[str, str], common: list[str], scope: list[str]) -> dict[str, object]:
    started = time.monotonic()
    collected = pytest([*common, "--collect-only", "-q", "--affected-since", "HEAD", *scope])
    line = next((x for x in collected.stdout.splitlines() if x.startswith("modelgate: --aff")), "")
    run = ["-x", "-n", "2", "--timeout=120", *scope]
    chosen = pytest([*common, "--affected-since", "HEAD", *run])
    row: dict[str, object] = {
        "id": fault["id"],
        "selection": line,
        "selected_exit": chosen.returncode,
        "selected_s": round(time.monotonic() - started),
    }
    if chosen.returncode not in (0, 5):
        row["verdict"] = "caught"
        return row
    full = pytest([*common, *run])
    row["full_exit"] = full.returncode
    row["verdict"] = "MISSED" if full.returncode not in (0, 5) else "seen by no test"
    return row


def main(kind: str, only: list[str]) -> int:
    faults = json.loads((ROOT / "bench" / "affected_mutants.json").read_text())[kind]
    faults = [f for f in faults if not only or f["id"] in only]
    scratch = Path(tempfile.mkdtemp(prefix="affected-mutants-"))
    shutil.copytree(ROOT / "baselines", scratch / "baselines")
    common = ["-p", "no:cacheprovider", f"--baselines-dir={scratch / 'baselines'}"]
    out = Path(tempfile.gettempdir(), f"affected-mutants-{kind}.jsonl")
    missed = 0
    with out.open("a") as rows:
        for fault in faults:
            path = ROOT / fault["file"]
            text = path.read_text()
            if text.count(fault["old"]) != 1:
                print(f"{fault['id']}: its text is not in {fault['file']} once: skipped")
                continue
            path.write_text(text.replace(fault["old"], fault["new"]))
            try:
                row = judge(fault, common, SCOPES[kind])
            finally:
                path.write_text(text)
            missed += row["verdict"] == "MISSED"
            print(json.dumps(row), file=rows, flush=True)
            print(f"{fault['id']}: {row['verdict']}; {row['selection']}", flush=True)
    print(f"{kind}: {missed} missed; rows in {out}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2:]))
