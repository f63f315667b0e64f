"""Speed of ``modelgate convert``: files per second on a generated legacy corpus (goal >= 300).

The corpus imitates legacy suites: per model type of the registry a ``test_hf_<type>.py`` of
about 10 kB with a registry, a test class, hardware probes and a ``__main__`` runner; a quarter
valid Python, the rest broken the ways legacy files are (template placeholders, a statement
pasted onto a line, bad indentation, an unterminated string), plus a few helper files. The
timed command is the real one, ``modelgate convert --jobs 2``, in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_modelgate.models.catalog import load_registry

GOAL = 300.0

HEAD = '''"""Legacy test for {model_type} models."""
import os
import sys
import time
import logging

logger = logging.getLogger(__name__)

try:
    import torch
    HAS_TORCH = True
except ImportError:
    HAS_TORCH = False


def check_hardware():
    capabilities = {{"cpu": True, "cuda": False, "mps": False, "openvino": False}}
    if HAS_TORCH:
        capabilities["cuda"] = torch.cuda.is_available()
        capabilities["mps"] = torch.backends.mps.is_available()
    return capabilities


HW_CAPABILITIES = check_hardware()

{upper}_MODELS_REGISTRY = {{
    "{org}/{model_type}-base": {{
        "description": "{model_type} base model",
        "class": "{class_name}",
        "model_type": "{model_type}",
        "task": "{task}",
    }},
}}


class Test{camel}Models:
    def __init__(self, model_id=None):
        self.model_id = model_id or "{org}/{model_type}-base"
        self.task = "{task}"
        self.results = {{}}
        self.performance_stats = {{}}
'''

METHOD = """
    def test_step_{n}(self, device="cpu"):
        results = {{"model": self.model_id, "device": device, "task": self.task}}
        try:
            import transformers
            start = time.time()
            pipe = transformers.pipeline(self.task, model=self.model_id, device=device)
            times = []
            for _ in range(3):
                begin = time.time()
                output = pipe("example input number {n}")
                times.append(time.time() - begin)
            results["avg_time"] = sum(times) / len(times)
            results["load_time"] = time.time() - start
            results["output_preview"] = str(output)[:200]
        except Exception as error:
            results["error"] = str(error)
            logger.error("step {n} failed on %s: %s", device, error)
        self.results["step_{n}"] = results
        return results
"""

TAIL = """

if __name__ == "__main__":
    tester = Test{camel}Models()
    for name in dir(tester):
        if name.startswith("test_"):
            print(name, getattr(tester, name)())
"""

BREAKS = (
    lambda text: text,
    lambda text: text.replace("self.results = {}", "self.results = {{self.results}}"),
    lambda text: text.replace(
        '        self.task = "', '        self.results = {}    self.task = "', 1
    ),
    lambda text: text.replace("            start = time.time()", "        start = time.time()"),
    lambda text: text.replace('"""Legacy test for', '"""Legacy test, unclosed, for', 1),
)

HELPER = '''"""Helper {n}: lists the legacy tests, no model here."""
import glob

for name in sorted(glob.glob("test_hf_*.py")):
    print(name)
'''


def corpus(folder: Path, count: int) -> None:
    registry = load_registry()
    pairs = {p.model_type: p for p in registry.pairs}
    types = sorted(pairs)
    for n in range(count):
        if n % 50 == 49:
            (folder / f"test_hf__helper_{n}.py").write_text(HELPER.format(n=n))
            continue
        model_type = types[n % len(types)]
        pair = pairs[model_type]
        camel = "".join(part.title() for part in model_type.replace("-", "_").split("_"))
        text = HEAD.format(
            model_type=model_type,
            upper=model_type.upper().replace("-", "_"),
            org="example-org",
            class_name=pair.class_name,
            task="fill-mask",
            camel=camel,
        )
        text += "".join(METHOD.format(n=i) for i in range(12)) + TAIL.format(camel=camel)
        text = BREAKS[n % len(BREAKS)](text)
        suffix = "" if n < len(types) else f"_{n // len(types)}"
        (folder / f"test_hf_{model_type}{suffix}.py").write_text(text)


def convert(input_dir: Path, output_dir: Path, report: Path, jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, all processes) of one ``modelgate convert``."""
    command = [str(Path(sys.executable).with_name("modelgate"))]
    args = ["convert", "--input-dir", str(input_dir), "--output-dir", str(output_dir)]
    args += ["--jobs", str(jobs), "--report", str(report)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([*command, *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"convert failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        legacy = folder / "legacy"
        legacy.mkdir()
        corpus(legacy, args.files)
        size = sum(p.stat().st_size for p in legacy.iterdir()) / args.files / 1024
        times = []
        report = folder / "report.json"
        for round_ in range(args.rounds):
            times.append(convert(legacy, folder / f"out{round_}", report, args.jobs))
        summary = json.loads(report.read_text())["summary"]
    best, cpu = min(times)
    rate = args.files / best
    status = "ok" if rate >= GOAL else "BELOW GOAL"
    print(f"convert: {args.files} files ({size:.1f} kB each), --jobs {args.jobs}: {summary}")
    print(
        f"convert: best of {args.rounds} {best:.2f}s = {rate:.0f} files/s "
        f"(all: {', '.join(f'{t:.2f}s' for t, _ in times)}; goal >= {GOAL:.0f}) {status}"
    )
    # On a shared machine the wall time is the neighbours' as much as ours: the CPU time says
    # what the converter itself costs, and what it would do with its cores to itself.
    print(
        f"convert: {cpu:.2f} CPU seconds in that run, {cpu / args.files * 1000:.1f} ms per file: "
        f"{args.files / (cpu / args.jobs):.0f} files/s on {args.jobs} free cores"
    )
    return 0 if rate >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
