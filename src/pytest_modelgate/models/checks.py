"""The reusable checks of one (model type, head) pair on one device.

``build`` makes the model (tiny and random from its config, or the real checkpoint from the local
Hugging Face cache) and picks its inputs; it is cached per process, so the checks of one pair on
one xdist worker build it once. torch and transformers are imported inside the functions.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from _pytest.mark import ParameterSet

from pytest_modelgate.models import catalog, inputs, tiny

SOURCES = ("tiny", "pretrained")
ATOL = 1e-5
RTOL = 1e-4
MISSING_TRIES = 12  # forwards tried per input set that names inputs it lacked

_VOCAB_HEADS = frozenset(
    {
        "causal-lm",
        "fill-mask",
        "seq2seq-lm",
        "speech-seq2seq",
        "image-text-to-text",
        "multimodal-lm",
        "ctc",
    }
)
_LABEL_HEADS = frozenset(
    {
        "sequence-classification",
        "token-classification",
        "image-classification",
        "audio-classification",
        "video-classification",
    }
)


def device_params() -> list[ParameterSet]:
    """One ``pytest.param`` per device, carrying its device marker and id."""
    return [
        pytest.param("cpu", marks=pytest.mark.cpu, id="cpu"),
        pytest.param("cuda", marks=pytest.mark.cuda, id="cuda"),
        pytest.param("mps", marks=pytest.mark.mps, id="mps"),
    ]


@dataclass(frozen=True)
class Built:
    """A model ready to run, and inputs for it."""

    model: Any
    inputs: dict[str, Any]


@dataclass(frozen=True)
class _Probed:
    built: Built
    output: Any


def build(
    model_type: str,
    head: str,
    device: str,
    *,
    source: str = "tiny",
    model_id: str | None = None,
) -> Built:
    """The model of the pair in eval mode on ``device`` and inputs it accepts (cached)."""
    return _probe(model_type, head, device, source, model_id).built


def check_forward(
    model_type: str,
    head: str,
    device: str,
    *,
    source: str = "tiny",
    model_id: str | None = None,
) -> None:
    """The forward output is finite and has the head's expected shape."""
    probed = _probe(model_type, head, device, source, model_id)
    tensors = list(iter_tensors(probed.output))
    assert tensors, f"{model_type}-{head}: the forward returned no tensor"
    for name, tensor in tensors:
        if tensor.is_floating_point() or tensor.is_complex():
            assert bool(tensor.isfinite().all()), f"{model_type}-{head}: {name} is not finite"
    problem = shape_problem(head, probed.built.model, probed.built.inputs, probed.output)
    assert problem is None, f"{model_type}-{head}: {problem}"


def check_deterministic(
    model_type: str,
    head: str,
    device: str,
    *,
    source: str = "tiny",
    model_id: str | None = None,
) -> None:
    """A second forward on the same inputs gives the same output."""
    probed = _probe(model_type, head, device, source, model_id)
    again = forward(probed.built.model, probed.built.inputs)
    assert_same(probed.output, again, f"{model_type}-{head}: second forward")


def check_save_load(
    model_type: str,
    head: str,
    device: str,
    tmp_path: Path,
    *,
    source: str = "tiny",
    model_id: str | None = None,
) -> None:
    """``save_pretrained`` then ``from_pretrained`` from ``tmp_path`` gives the same output."""
    probed = _probe(model_type, head, device, source, model_id)
    model = probed.built.model
    model.save_pretrained(tmp_path)
    loaded = type(model).from_pretrained(tmp_path, local_files_only=True).to(device).eval()
    assert_same(
        probed.output, forward(loaded, probed.built.inputs), f"{model_type}-{head}: reloaded"
    )


def forward(model: Any, model_inputs: dict[str, Any]) -> Any:
    """One seeded forward without gradients (stochastic layers repeat under the same seed)."""
    torch = importlib.import_module("torch")
    with torch.no_grad():
        torch.manual_seed(tiny.SEED)
        return model(**model_inputs)


def iter_tensors(value: Any, name: str = "output") -> Iterator[tuple[str, Any]]:
    """Every tensor in a model output (ModelOutput, tuples, lists, dicts), with its path."""
    torch = importlib.import_module("torch")
    if isinstance(value, torch.Tensor):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_tensors(item, f"{name}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from iter_tensors(item, f"{name}[{index}]")


def assert_same(expected: Any, actual: Any, what: str) -> None:
    torch = importlib.import_module("torch")
    want = dict(iter_tensors(expected))
    got = dict(iter_tensors(actual))
    assert want.keys() == got.keys(), f"{what}: outputs differ in names"
    for name, tensor in want.items():
        other = got[name]
        assert tensor.shape == other.shape, f"{what}: {name} shape {other.shape} != {tensor.shape}"
        if tensor.is_floating_point():
            close = torch.allclose(tensor, other, atol=ATOL, rtol=RTOL, equal_nan=True)
            assert close, f"{what}: {name} differs by {(tensor - other).abs().max().item():.3g}"
        else:
            assert torch.equal(tensor, other), f"{what}: {name} differs"


def shape_problem(head: str, model: Any, model_inputs: dict[str, Any], output: Any) -> str | None:
    """What is wrong with the shape of the head's main output (None when nothing is)."""
    logits = getattr(output, "logits", None)
    if head in _VOCAB_HEADS and logits is not None:
        vocab = output_vocab(model)
        if vocab is not None and logits.shape[-1] != vocab:
            return f"logits end in {logits.shape[-1]}, expected the vocabulary size {vocab}"
    if head in _LABEL_HEADS and logits is not None:
        labels = model.config.num_labels
        if logits.shape[-1] != labels:
            return f"logits end in {logits.shape[-1]}, expected num_labels {labels}"
    choices = (inputs.BATCH, inputs.CHOICES)
    if head == "multiple-choice" and logits is not None and tuple(logits.shape) != choices:
        return f"logits shape {tuple(logits.shape)}, expected {choices}"
    if head == "decision" and hasattr(output, "shape"):
        scores = sum(inputs.DECISION_OPTIONS)
        if tuple(output.shape) != (scores,):
            return f"scores shape {tuple(output.shape)}, expected one per option ({scores},)"
    if head == "question-answering":
        start = getattr(output, "start_logits", None)
        if start is not None and start.shape[0] != inputs.BATCH:
            return f"start_logits shape {tuple(start.shape)} does not start with the batch size"
    return None


def output_vocab(model: Any) -> int | None:
    """The size of the model's output vocabulary: its output embedding, else its config."""
    getter = getattr(model, "get_output_embeddings", None)
    embeddings = getter() if getter is not None else None
    size = getattr(embeddings, "out_features", None)
    if isinstance(size, int):
        return size
    text = model.config.get_text_config()
    vocab = getattr(text, "vocab_size", None)
    return vocab if isinstance(vocab, int) else None


def _probe(model_type: str, head: str, device: str, source: str, model_id: str | None) -> _Probed:
    """The cached build of the pair; a failed build is cached too and raised to each check."""
    result = _probe_once(model_type, head, device, source, model_id)
    if isinstance(result, Exception):
        raise result
    return result


@lru_cache(maxsize=2)
def _probe_once(
    model_type: str, head: str, device: str, source: str, model_id: str | None
) -> _Probed | Exception:
    try:
        return _build_and_probe(model_type, head, device, source, model_id)
    except Exception as error:  # each check of the pair reports the same failure
        return error


def _build_and_probe(
    model_type: str, head: str, device: str, source: str, model_id: str | None
) -> _Probed:
    if source not in SOURCES:
        raise ValueError(f"unknown model source {source!r}; expected one of {SOURCES}")
    pair = find_pair(model_type, head)
    if source == "pretrained":
        model = _load_pretrained(pair, model_id or default_checkpoint(model_type))
    else:
        model = tiny.build_tiny(model_type, head, pair.class_name)
    model = model.to(device).eval()
    errors: list[str] = []
    for candidate in inputs.candidates(model, head):
        found = _first_that_runs(model, candidate, device, errors)
        if found is not None:
            return found
    detail = "; ".join(errors) or "no input the model's forward accepts could be made"
    raise RuntimeError(f"{model_type}-{head}: no input set ran: {detail}")


def _first_that_runs(
    model: Any, candidate: dict[str, Any], device: str, errors: list[str]
) -> _Probed | None:
    """The forward of ``candidate``; where it names inputs it lacked, of ``candidate`` with
    them made (``inputs.completions``), as often as it names more. Failures go to ``errors``:
    the candidate's, and the last of its completions'."""
    queue, tries, last = [candidate], 0, ""
    while queue and tries < MISSING_TRIES:
        given, tries = queue.pop(0), tries + 1
        moved = {k: v.to(device) for k, v in given.items()}
        try:
            output = forward(model, moved)
        except Exception as error:  # the next input set may suit the model better
            missing = inputs.missing_arguments(str(error)) if isinstance(error, TypeError) else ()
            if missing and not set(missing) & given.keys():
                queue += inputs.completions(model, given, missing)
            last = f"{sorted(given)}: {type(error).__name__}: {error}"
            if given is candidate:
                errors.append(last)
            continue
        return _Probed(Built(model, moved), output)
    if tries > 1:
        errors.append(f"completed with the inputs it named, {last}")
    return None


def find_pair(model_type: str, head: str) -> catalog.Pair:
    """The catalog pair, or a ValueError naming what is unknown."""
    registry = catalog.load_registry()
    for pair in registry.pairs:
        if pair.model_type == model_type and pair.head == head:
            return pair
    heads = registry.heads_of(model_type)
    if not heads:
        raise ValueError(f"unknown model type {model_type!r} (not in the catalog)")
    raise ValueError(f"model type {model_type!r} has no head {head!r}; it has {', '.join(heads)}")


def default_checkpoint(model_type: str) -> str | None:
    """The checkpoint the config's docstring names as its default (``org/name``), if any."""
    transformers = importlib.import_module("transformers")
    doc = transformers.CONFIG_MAPPING[model_type].__doc__ or ""
    match = re.search(r"\(https://huggingface\.co/([\w.-]+/[\w.-]+)\)", doc)
    return match.group(1) if match else None


def _load_pretrained(pair: catalog.Pair, model_id: str | None) -> Any:
    if model_id is None:
        pytest.skip(f"{pair.id}: no checkpoint known for this model type; pass model_id")
    hub = importlib.import_module("huggingface_hub")
    cached = hub.try_to_load_from_cache(model_id, "config.json")
    if not isinstance(cached, str):
        pytest.skip(f"{pair.id}: checkpoint {model_id} is not in the local Hugging Face cache")
    cls = getattr(importlib.import_module("transformers"), pair.class_name)
    return cls.from_pretrained(model_id, local_files_only=True)
