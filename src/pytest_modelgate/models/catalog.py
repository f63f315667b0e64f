"""The catalog of (model type, task head) pairs of the transformers auto mappings.

The pairs are read from ``registry.json``, a snapshot of the pinned transformers' auto mappings
shipped in this package, so that the catalog, the converter and the framework tests need neither
torch nor transformers. ``snapshot_from_transformers`` makes it anew from the installed version
(``modelgate catalog --write-snapshot``); a model-suite test checks the two agree.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("registry.json")
SNAPSHOT_SCHEMA = 1
BASE_HEAD = "base"
CATEGORIES = ("text", "vision", "audio", "multimodal")

# Readable names for some heads; the rest are the mapping's name, lower-case and hyphenated.
_HEAD_RENAMES = {
    "": BASE_HEAD,
    "masked-lm": "fill-mask",
    "seq-to-seq-causal-lm": "seq2seq-lm",
    "speech-seq-2-seq": "speech-seq2seq",
}

# Heads whose presence puts a model type in a category; checked in this order.
_MULTIMODAL_HEADS = frozenset(
    {
        "image-text-to-text",
        "multimodal-lm",
        "visual-question-answering",
        "document-question-answering",
        "zero-shot-image-classification",
        "zero-shot-object-detection",
        "retrieval",
    }
)
_AUDIO_HEADS = frozenset(
    {
        "audio-classification",
        "audio-frame-classification",
        "audio-xvector",
        "ctc",
        "speech-seq2seq",
        "text-to-spectrogram",
        "text-to-waveform",
        "rnnt",
        "tdt",
    }
)
_VISION_HEADS = frozenset(
    {
        "backbone",
        "causal-image-modeling",
        "depth-estimation",
        "image",
        "image-classification",
        "image-matting",
        "image-segmentation",
        "image-to-image",
        "instance-segmentation",
        "keypoint-detection",
        "keypoint-matching",
        "mask-generation",
        "masked-image-modeling",
        "normal-estimation",
        "object-detection",
        "pointmap-estimation",
        "pose-estimation",
        "semantic-segmentation",
        "text-recognition",
        "universal-segmentation",
        "video-classification",
    }
)

# Pipeline task names (as legacy scripts write them) and the heads that serve each.
TASK_HEADS: Mapping[str, tuple[str, ...]] = {
    "feature-extraction": (BASE_HEAD,),
    "text-generation": ("causal-lm",),
    "fill-mask": ("fill-mask",),
    "text-classification": ("sequence-classification",),
    "sentiment-analysis": ("sequence-classification",),
    "zero-shot-classification": ("sequence-classification",),
    "token-classification": ("token-classification",),
    "ner": ("token-classification",),
    "question-answering": ("question-answering",),
    "multiple-choice": ("multiple-choice",),
    "text2text-generation": ("seq2seq-lm",),
    "summarization": ("seq2seq-lm",),
    "translation": ("seq2seq-lm",),
    "table-question-answering": ("table-question-answering",),
    "image-classification": ("image-classification",),
    "image-feature-extraction": ("image", BASE_HEAD),
    "image-segmentation": (
        "image-segmentation",
        "semantic-segmentation",
        "universal-segmentation",
        "instance-segmentation",
    ),
    "object-detection": ("object-detection",),
    "depth-estimation": ("depth-estimation",),
    "mask-generation": ("mask-generation",),
    "image-to-image": ("image-to-image",),
    "video-classification": ("video-classification",),
    "zero-shot-image-classification": ("zero-shot-image-classification",),
    "zero-shot-object-detection": ("zero-shot-object-detection",),
    "image-to-text": ("image-text-to-text", "multimodal-lm"),
    "image-text-to-text": ("image-text-to-text", "multimodal-lm"),
    "visual-question-answering": ("visual-question-answering", "image-text-to-text"),
    "document-question-answering": ("document-question-answering",),
    "automatic-speech-recognition": ("ctc", "speech-seq2seq"),
    "audio-classification": ("audio-classification",),
    "text-to-audio": ("text-to-waveform", "text-to-spectrogram"),
    "text-to-speech": ("text-to-waveform", "text-to-spectrogram"),
    "time-series-prediction": ("time-series-prediction",),
}


def head_name(mapping_name: str) -> str:
    """The head of an auto mapping: ``MODEL_FOR_MASKED_LM_MAPPING_NAMES`` -> ``fill-mask``."""
    match = re.fullmatch(r"MODEL_(?:FOR_)?(.*?)_?MAPPING_NAMES", mapping_name)
    if match is None:
        raise ValueError(f"not an auto-mapping name: {mapping_name!r}")
    slug = match.group(1).lower().replace("_", "-")
    return _HEAD_RENAMES.get(slug, slug)


def categorize(heads: Iterable[str]) -> str:
    """The category of a model type, from the heads it has in the auto mappings."""
    present = set(heads)
    if present & _MULTIMODAL_HEADS:
        return "multimodal"
    if present & _AUDIO_HEADS:
        return "audio"
    if present & _VISION_HEADS:
        return "vision"
    return "text"


def normalize(name: str) -> str:
    """Fold case, ``-`` and ``_`` so ``XLM-RoBERTa`` and ``xlm_roberta`` compare equal."""
    return re.sub(r"[-_\s]", "", name).lower()


@dataclass(frozen=True)
class Pair:
    """One (model type, task head) pair and the transformers class that implements it."""

    model_type: str
    head: str
    class_name: str
    category: str

    @property
    def id(self) -> str:
        return f"{self.model_type}-{self.head}"


@dataclass(frozen=True)
class Registry:
    """The pairs of one transformers version, with lookups by model type."""

    transformers_version: str
    pairs: tuple[Pair, ...]

    def model_types(self) -> tuple[str, ...]:
        return tuple(sorted({pair.model_type for pair in self.pairs}))

    def heads_of(self, model_type: str) -> tuple[str, ...]:
        return tuple(pair.head for pair in self.pairs if pair.model_type == model_type)

    def category_of(self, model_type: str) -> str | None:
        for pair in self.pairs:
            if pair.model_type == model_type:
                return pair.category
        return None

    def find_model_type(self, name: str) -> str | None:
        """The registry's model type for ``name``, tolerant of case, ``-`` and ``_``."""
        wanted = normalize(name)
        for model_type in self.model_types():
            if normalize(model_type) == wanted:
                return model_type
        return None


def pairs_from_mappings(mappings: Mapping[str, Mapping[str, str | tuple[str, ...]]]) -> list[Pair]:
    """Build the pairs from ``{mapping name: {model type: class name(s)}}``."""
    heads_by_type: dict[str, dict[str, str]] = {}
    for mapping_name in sorted(mappings):
        head = head_name(mapping_name)
        for model_type, classes in mappings[mapping_name].items():
            class_name = classes if isinstance(classes, str) else classes[0]
            heads_by_type.setdefault(model_type, {})[head] = class_name
    pairs = []
    for model_type in sorted(heads_by_type):
        heads = heads_by_type[model_type]
        category = categorize(heads)
        for head in sorted(heads, key=lambda h: (h != BASE_HEAD, h)):
            pairs.append(Pair(model_type, head, heads[head], category))
    return pairs


def snapshot_from_transformers() -> dict[str, object]:
    """The snapshot of the installed transformers' auto mappings (imports transformers)."""
    transformers = importlib.import_module("transformers")
    modeling_auto = importlib.import_module("transformers.models.auto.modeling_auto")
    mappings = {
        name: dict(getattr(modeling_auto, name))
        for name in dir(modeling_auto)
        if name.startswith("MODEL_") and name.endswith("_MAPPING_NAMES")
    }
    return {
        "schema": SNAPSHOT_SCHEMA,
        "transformers_version": transformers.__version__,
        "mappings": {
            name: {t: c if isinstance(c, str) else list(c) for t, c in sorted(m.items())}
            for name, m in sorted(mappings.items())
        },
    }


def registry_from_snapshot(snapshot: Mapping[str, object]) -> Registry:
    if snapshot.get("schema") != SNAPSHOT_SCHEMA:
        raise ValueError(f"registry snapshot schema {snapshot.get('schema')!r} is not supported")
    raw = snapshot["mappings"]
    if not isinstance(raw, dict):
        raise ValueError("registry snapshot has no 'mappings' object")
    mappings = {
        name: {t: c if isinstance(c, str) else tuple(c) for t, c in m.items()}
        for name, m in raw.items()
    }
    return Registry(str(snapshot["transformers_version"]), tuple(pairs_from_mappings(mappings)))


@cache
def load_registry(path: Path = SNAPSHOT) -> Registry:
    """The registry from the shipped snapshot (no torch, no transformers)."""
    return registry_from_snapshot(json.loads(path.read_text(encoding="utf-8")))


def write_snapshot(path: Path = SNAPSHOT) -> Registry:
    """Write the installed transformers' mappings to ``path``; stable bytes for a rerun."""
    snapshot = snapshot_from_transformers()
    path.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return registry_from_snapshot(snapshot)
