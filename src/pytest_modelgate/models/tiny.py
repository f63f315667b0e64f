"""Tiny configs and models: the default config of a model type, shrunk, then adjusted by data.

The generic shrinker works on the config's dict (``to_dict()``) and recurses into sub-configs
(``text_config``, ``vision_config``, ...): few layers, small hidden sizes, heads and feed-forward
widths, a small vocabulary, small images. ``overrides.json`` holds the per-model adjustments that
close the gaps, as data. torch and transformers are imported inside the functions that need them.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pytest_modelgate import affected

OVERRIDES = Path(__file__).with_name("overrides.json")
SEED = 0
PARAM_CAP = 2_000_000

LAYERS = 2
HIDDEN = 32
HEADS = 4
INTERMEDIATE = 64
VOCAB = 128
IMAGE = 64
POSITIONS = 512
EXPERTS = 4
TOP_K = 2
FRAMES = 4
WINDOW = 2
# Steps of a config whose validation refuses some shrunk values (``accepted``).
REFUSALS = 8

_LAYER_KEYS = frozenset(
    {
        "num_hidden_layers",
        "num_layers",
        "n_layer",
        "n_layers",
        "encoder_layers",
        "decoder_layers",
        "num_encoder_layers",
        "num_decoder_layers",
        "decoder_num_layers",
        "num_text_layers",
        "num_vision_layers",
        "text_layers",
        "vision_layers",
        "depth",
        "decoder_depth",
        "encoder_depth",
        "num_blocks",
        "num_backbone_layers",
        "prediction_layers",
        "num_cross_attention_layers",
        "num_self_attention_layers",
        "num_conv_layers",
    }
)
_HIDDEN_KEYS = frozenset(
    {
        "hidden_size",
        "d_model",
        "n_embd",
        "dim",
        "embed_dim",
        "embedding_dim",
        "hidden_dim",
        "model_dim",
        "word_embed_proj_dim",
        "projection_dim",
        "text_embed_dim",
        "vision_embed_dim",
        "encoder_hidden_size",
        "decoder_hidden_size",
        "embedding_size",
        "d_latents",
        "kv_channels",
        "proj_dim",
        "projector_hidden_size",
        "text_hidden_size",
        "vision_hidden_size",
        "hidden_channels",
    }
)
_HEAD_KEYS = frozenset(
    {
        "num_attention_heads",
        "n_head",
        "n_heads",
        "encoder_attention_heads",
        "decoder_attention_heads",
        "num_heads",
        "decoder_num_attention_heads",
        "encoder_num_attention_heads",
        "num_cross_attention_heads",
        "num_self_attention_heads",
    }
)
_KV_HEAD_KEYS = frozenset(
    {"num_key_value_heads", "n_kv_heads", "num_kv_heads", "multi_query_group_num"}
)
_INTERMEDIATE_KEYS = frozenset(
    {
        "intermediate_size",
        "ffn_dim",
        "d_ff",
        "encoder_ffn_dim",
        "decoder_ffn_dim",
        "n_inner",
        "ffn_hidden_size",
        "moe_intermediate_size",
        "shared_expert_intermediate_size",
        "decoder_intermediate_size",
        "encoder_intermediate_size",
        "mlp_dim",
        "ffn_embed_dim",
    }
)
_HEAD_DIM_KEYS = frozenset(
    {"head_dim", "d_kv", "attention_head_dim", "rotary_dim", "rotary_emb_dim", "d_head"}
)
_EXPERT_KEYS = frozenset(
    {"num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts"}
)
_POSITION_KEYS = frozenset(
    {"max_position_embeddings", "n_positions", "max_source_positions", "max_target_positions"}
)
_IMAGE_KEYS = frozenset({"image_size", "crop_size", "img_size"})
_LIST_DIM_KEYS = frozenset(
    {"hidden_sizes", "embed_dims", "embed_dim", "neck_hidden_sizes", "conv_dim", "hidden_dims"}
)
_LIST_DEPTH_KEYS = frozenset({"depths", "num_layers", "block_repeats"})
_TOP_K_KEYS = frozenset(
    {
        "num_experts_per_tok",
        "moe_topk",
        "num_experts_per_token",
        "top_k",
        "moe_k",
        "n_activated_experts",
    }
)
_GROUP_KEYS = frozenset({"n_group", "topk_group"})
_BACKBONE_FLAGS = frozenset({"use_timm_backbone", "use_pretrained_backbone"})
_FRAME_KEYS = frozenset({"num_frames", "frames_per_clip"})
# Keyed by index like a per-layer table, but the labels of a classifier: kept whole, so that
# ``id2label`` and ``label2id`` still agree on ``num_labels``.
_LABEL_KEYS = frozenset({"id2label"})
# Names that look like a width (``*_dim``, ``*_size``, ``*channels``, ``*_rank``), and names that
# look like one but are not (sizes of images, patches, windows, vocabularies, sequences, ...).
_WIDTH_NAME = re.compile(r"(hidden|dim|_size$|channels|channel_list|_rank$|width|^d_)")
_NOT_WIDTH_NAME = re.compile(
    r"(vocab|image|img|patch|position|window|kernel|stride|sampling|_samples|sample_rate|chunk|max_|seq|length|codebook"
    r"|^num_|^n_|fft|hop|frame|bucket|block_size|segment|pool_size|pooling|batch|cache|group|spatial|temporal"
    r"|merge|token|label|input_channels|num_channels|in_channels|in_chans|audio_channels"
    r"|mel|feature_size|resolution|tubelet|grid|_bins|step|_rate|factor|_ratio|scale|stack)"
)
_INTERMEDIATE_NAME = re.compile(r"(intermediate|ffn|_inner|^d_ff|mlp_dim|mlp_hidden)")
_DEPTH_NAME = re.compile(r"(depth|layers|repeats|num_blocks|blocks_per_stage|stages$)")


@dataclass(frozen=True)
class Override:
    """What ``overrides.json`` says about one model type (or one pair)."""

    config: Mapping[str, Any]
    param_cap: int
    reason: str


def shrink(values: Mapping[str, Any], *, hard: bool = False) -> dict[str, Any]:
    """A config dict made tiny; nested config dicts (those with a ``model_type``) recurse.

    ``hard`` also shrinks every other width-like number (a multiple of 16 from 128 up) whose
    name does not say it is something else: the second try for a model still over the cap.
    """
    out: dict[str, Any] = {}
    layer_counts: set[int] = set()
    staged = isinstance(values.get("depths"), list)
    for key, value in values.items():
        if key == "num_layers" and staged:
            out[key] = value  # derived from the per-stage depths, which keep their length
            continue
        if key == "window_size" and staged and isinstance(value, int):
            out[key] = min(value, WINDOW)  # windows of a staged (Swin-like) vision model
            continue
        if key in _BACKBONE_FLAGS:
            out[key] = False  # no timm, and never download backbone weights
            continue
        out[key] = _shrink_value(key, value, hard)
        if key in _LAYER_KEYS and isinstance(value, int) and value > LAYERS:
            layer_counts.add(value)
    _fill_missing(out)
    heads = out.get("num_attention_heads", HEADS)
    for key in _KV_HEAD_KEYS & out.keys():
        if isinstance(out[key], int) and isinstance(heads, int):
            out[key] = max(1, math.gcd(min(out[key], heads), heads))
    types = values.get("layer_types")
    kept = list(range(LAYERS))
    if isinstance(types, list) and len(types) in layer_counts:
        kept = kept_layers(types, LAYERS)
    for key, value in out.items():
        if isinstance(value, list) and len(value) in layer_counts and key not in _LIST_DIM_KEYS:
            out[key] = per_layer(value, LAYERS)
        elif key not in _LABEL_KEYS and _is_layer_table(value, layer_counts):
            out[key] = per_layer_table(value, kept, hard)
    _fit_backbone_outputs(out)
    _fit_rope_sections(out)
    return out


def _fill_missing(out: dict[str, Any]) -> None:
    """Some default configs leave sizes unset (``None``) that their models need."""
    if "vocab_size" in out and out["vocab_size"] is None:
        out["vocab_size"] = VOCAB
    hidden, heads = out.get("hidden_size"), out.get("num_attention_heads")
    unset = "head_dim" in out and out["head_dim"] is None
    if unset and isinstance(hidden, int) and isinstance(heads, int) and heads > 0:
        out["head_dim"] = hidden // heads


def per_layer(value: list[Any], count: int) -> list[Any]:
    """The entries of a per-layer list that ``kept_layers`` keeps.

    ``["linear", "linear", "linear", "full"] -> ["linear", "full"]``: a hybrid model keeps
    both kinds of layer when it shrinks to two.
    """
    return [value[i] for i in kept_layers(value, count)]


def kept_layers(value: list[Any], count: int) -> list[int]:
    """The indices, in order, of the ``count`` layers a per-layer list shrinks to: the first
    layer of each kind, then the first layers not yet kept."""
    kept: list[int] = []
    kinds: list[Any] = []
    for index, item in enumerate(value):
        if item not in kinds and len(kept) < count:
            kinds.append(item)
            kept.append(index)
    for index in range(len(value)):
        if len(kept) >= count:
            break
        if index not in kept:
            kept.append(index)
    return sorted(kept)


def per_layer_table(table: Mapping[Any, Any], kept: list[int], hard: bool) -> dict[Any, Any]:
    """A table keyed by layer index (``{"05": {"sliding_window": None}}``) for the kept layers,
    renumbered in the keys' own format. Sizes a layer sets for itself are dropped, so that the
    layer takes the tiny config's (and its overrides'), as the other layers do."""
    out: dict[Any, Any] = {}
    for key, entry in table.items():
        if int(key) not in kept:
            continue
        if isinstance(entry, dict):
            entry = {k: v for k, v in entry.items() if _shrink_value(k, v, hard) == v}
            if not entry:
                continue
        new = kept.index(int(key))
        out[str(new).zfill(len(key)) if isinstance(key, str) else new] = entry
    return out


def _is_layer_table(value: object, layer_counts: set[int]) -> bool:
    """A dict keyed by the indices of the config's layers (not, say, by patch counts)."""
    if not (isinstance(value, dict) and value and layer_counts):
        return False
    return all(_is_index(k) and int(k) < max(layer_counts) for k in value)


def _is_index(key: object) -> bool:
    return isinstance(key, int) or (isinstance(key, str) and key.isdigit())


def _fit_backbone_outputs(out: dict[str, Any]) -> None:
    """Point a shrunk ViT-style backbone's ``out_indices`` at its last layers."""
    indices = out.get("out_indices")
    layers = out.get("num_hidden_layers")
    if not (isinstance(indices, list) and isinstance(layers, int)) or "depths" in out:
        return
    if not indices or max(indices) <= layers:
        return
    count = max(layers, len(indices))
    out["num_hidden_layers"] = count
    out["out_indices"] = list(range(count - len(indices) + 1, count + 1))
    out["out_features"] = [f"stage{i}" for i in out["out_indices"]]
    out.pop("stage_names", None)


def _fit_rope_sections(out: dict[str, Any]) -> None:
    """Rescale multimodal rotary sections (``mrope_section``) to sum to half the head size."""
    hidden, heads = out.get("hidden_size"), out.get("num_attention_heads")
    head_dim = out.get("head_dim")
    if not isinstance(head_dim, int):
        if not (isinstance(hidden, int) and isinstance(heads, int) and heads):
            return
        head_dim = hidden // heads
    for key in ("rope_parameters", "rope_scaling"):
        rope = out.get(key)
        sections = rope.get("mrope_section") if isinstance(rope, dict) else None
        if isinstance(rope, dict) and isinstance(sections, list) and sections:
            rope["mrope_section"] = split_evenly(head_dim // 2, len(sections))
        elif isinstance(rope, dict) and sections is None and "rope_type" in rope:
            # Multimodal-rotary models fall back to sections sized for a full head.
            rope["mrope_section"] = split_evenly(head_dim // 2, 3)


def split_evenly(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` near-equal positive pieces, the larger ones last."""
    base, extra = divmod(total, parts)
    return [base + (1 if i >= parts - extra else 0) for i in range(parts)]


def _shrink_value(key: str, value: Any, hard: bool) -> Any:
    if isinstance(value, dict):
        if value.get("model_type") == "timm_backbone":
            value = resnet_for_timm(value)
        if "model_type" in value:
            return shrink(value, hard=hard)
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        small = _shrink_int(key, value)
        if hard and small == value and _hard_width(key, value):
            return HIDDEN
        return small
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        small_list = _shrink_int_list(key, value)
        if hard and small_list == value and all(_hard_width(key, v) for v in value):
            return [HIDDEN for _ in value]
        return small_list
    return value


def resnet_for_timm(timm: Mapping[str, Any]) -> dict[str, Any]:
    """A transformers ResNet backbone with the stages a timm backbone config asks for: the suite
    does not depend on timm, and the ResNet is what the timm default (``resnet50``) is."""
    indices = [i if i > 0 else 4 for i in timm.get("out_indices") or [-1]]
    return {
        "model_type": "resnet",
        "num_channels": timm.get("num_channels", 3),
        "embedding_size": 16,
        "hidden_sizes": [16, 32, 64, 128],
        "depths": [1, 1, 1, 1],
        "layer_type": "basic",
        "out_features": [f"stage{i}" for i in indices],
    }


def _hard_width(key: str, value: int) -> bool:
    return value >= 128 and value % 16 == 0 and not _NOT_WIDTH_NAME.search(key)


def _shrink_int(key: str, value: int) -> int:
    if key in _LAYER_KEYS:
        return min(value, LAYERS)
    if key in _HEAD_KEYS or key in _KV_HEAD_KEYS:
        return min(value, HEADS)
    if key in _HEAD_DIM_KEYS or "head_dim" in key or key == "d_head":
        return min(value, HIDDEN // HEADS)
    if key in _EXPERT_KEYS:
        return min(value, EXPERTS)
    if key in _TOP_K_KEYS:
        return min(value, TOP_K)
    if key in _GROUP_KEYS:
        return 1
    if key.startswith("vocab_size") or key.endswith(("_vocab_size", "_vocab")) or key == "n_words":
        return min(value, VOCAB)
    if key in _POSITION_KEYS:
        return min(value, POSITIONS)
    if key in _IMAGE_KEYS:
        return min(value, IMAGE)
    if key in _FRAME_KEYS:
        return min(value, FRAMES)
    if key in _INTERMEDIATE_KEYS or _INTERMEDIATE_NAME.search(key):
        return min(value, INTERMEDIATE)
    if key in _HIDDEN_KEYS or (_WIDTH_NAME.search(key) and not _NOT_WIDTH_NAME.search(key)):
        return min(value, HIDDEN)
    return value


def _shrink_int_list(key: str, value: list[int]) -> list[int]:
    if key in _LIST_DEPTH_KEYS or _DEPTH_NAME.search(key):
        return [min(v, 1) for v in value]
    if "heads" in key:
        return [1 for _ in value]
    if key in _IMAGE_KEYS:
        return [min(v, IMAGE) for v in value]
    if key in _LIST_DIM_KEYS or (_WIDTH_NAME.search(key) and not _NOT_WIDTH_NAME.search(key)):
        top = max(value)
        if top <= 2 * HIDDEN:
            return value
        factor = top // (2 * HIDDEN)
        return [max(min(v, 4), v // factor) for v in value]  # 3 input channels stay 3
    return value


@cache
def load_overrides(path: Path = OVERRIDES) -> dict[str, Override]:
    """The overrides table: ``{model type or pair id: {"config": {...}, "param_cap": N, ...}}``."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, Override] = {}
    for name, entry in raw.items():
        if name.startswith("_"):
            continue
        unknown = set(entry) - {"config", "param_cap", "reason"}
        if unknown:
            raise ValueError(f"{path.name}: {name}: unknown keys {sorted(unknown)}")
        cap = int(entry.get("param_cap", PARAM_CAP))
        reason = str(entry.get("reason", ""))
        if cap > PARAM_CAP and not reason:
            raise ValueError(f"{path.name}: {name}: a param_cap above {PARAM_CAP} needs a reason")
        table[name] = Override(dict(entry.get("config", {})), cap, reason)
    return table


def override_for(model_type: str, head: str) -> Override:
    """The type's override merged with the pair's (``bert`` then ``bert-fill-mask``)."""
    table = load_overrides()
    config: dict[str, Any] = {}
    cap, reason = PARAM_CAP, ""
    for name in (model_type, f"{model_type}-{head}"):
        affected.uses(OVERRIDES, name)  # a test depends on these entries, not the whole table
        entry = table.get(name)
        if entry is not None:
            config = merge(config, entry.config)
            cap = entry.param_cap if entry.param_cap != PARAM_CAP else cap
            reason = entry.reason or reason
    return Override(config, cap, reason)


def merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``, recursing into nested dicts."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def tiny_config(model_type: str, head: str = "base", *, hard: bool = False) -> Any:
    """The tiny ``PretrainedConfig`` of ``model_type`` (imports transformers)."""
    transformers = importlib.import_module("transformers")
    config_cls = transformers.CONFIG_MAPPING[model_type]
    reference = config_cls().to_dict()
    reference.pop("transformers_version", None)
    values = shrink(reference, hard=hard)
    values = merge(values, override_for(model_type, head).config)
    _fit_token_ids(values)
    return accepted(config_cls, values, reference)


def accepted(config_cls: Any, values: dict[str, Any], reference: Mapping[str, Any]) -> Any:
    """``config_cls`` built from ``values``, where its own validation accepts them.

    A config may validate its fields against each other, and a shrunk set can break that. Where
    the error names a shrunk field (``index_layers must be increasing``), the field tries other
    values (``alternatives``) until the error no longer names it; each such step is kept, and
    at most ``REFUSALS`` steps are taken. An error that names no field it can change is raised.
    """
    built = _built(config_cls, values)
    for _ in range(REFUSALS):
        if not isinstance(built, Exception):
            return built
        step = _first_step(config_cls, values, reference, str(built))
        if step is None:
            raise built
        values, built = step
    if isinstance(built, Exception):
        raise built
    return built


def _built(config_cls: Any, values: Mapping[str, Any]) -> Any:
    """The config, or the error its construction raised."""
    try:
        return config_cls.from_dict(dict(values))
    except Exception as error:  # a config's validation may raise any type
        return error


def _first_step(
    config_cls: Any, values: dict[str, Any], reference: Mapping[str, Any], message: str
) -> tuple[dict[str, Any], Any] | None:
    """The values with the first named field changed so that the error stops naming it, and
    what they build (a config, or the next error)."""
    for path in named_fields(message, values):
        for changed in alternatives(values, reference, path):
            built = _built(config_cls, changed)
            if not isinstance(built, Exception) or _named(str(built), path[-1]) is None:
                return changed, built
    return None


def named_fields(message: str, values: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The paths of the fields ``message`` names, sub-configs included, in the order the
    message names them (its subject first)."""
    return [path for _, path in sorted(_mentions(message, values))]


def _mentions(message: str, values: Mapping[str, Any]) -> list[tuple[int, tuple[str, ...]]]:
    found: list[tuple[int, tuple[str, ...]]] = []
    for key, value in values.items():
        if isinstance(value, dict) and "model_type" in value:
            found += [(at, (key, *path)) for at, path in _mentions(message, value)]
        elif (match := _named(message, key)) is not None:
            found.append((match.start(), (key,)))
    return found


def alternatives(
    values: Mapping[str, Any], reference: Mapping[str, Any], path: tuple[str, ...]
) -> list[dict[str, Any]]:
    """``values`` with the field at ``path`` changed, smallest change first: a number from the
    small ones up; the reference value; for a field of the layers, the whole layer layout of its
    config (every field named for layers) as the reference has it."""
    if len(path) > 1:
        sub, ref = values.get(path[0]), reference.get(path[0])
        if not (isinstance(sub, dict) and isinstance(ref, dict)):
            return []
        return [{**values, path[0]: v} for v in alternatives(sub, ref, path[1:])]
    (key,) = path
    value, ref = values[key], reference.get(key)
    options: list[dict[str, Any]] = []
    if isinstance(value, int) and not isinstance(value, bool) and isinstance(ref, int):
        small = [n for n in (1, 2, 4, 8, 16, 32, 64) if n < ref and n != value]
        options += [{**values, key: n} for n in small]
    if key in reference and ref != value:
        options.append({**values, key: ref})
    if "layer" in key:
        options.append({**values, **{k: v for k, v in reference.items() if "layer" in k}})
    return options


def _named(message: str, key: str) -> re.Match[str] | None:
    return re.search(rf"(?<![\w.]){re.escape(key)}(?!\w)", message)


def _fit_token_ids(values: dict[str, Any]) -> None:
    """Move special token ids that fall outside the shrunk vocabulary to its top end."""
    for sub in values.values():
        if isinstance(sub, dict) and "model_type" in sub:
            _fit_token_ids(sub)
    vocab = values.get("vocab_size")
    if not isinstance(vocab, int):
        text = values.get("text_config")
        vocab = text.get("vocab_size") if isinstance(text, dict) else None
    if not isinstance(vocab, int):
        return
    taken: dict[int, int] = {}
    for key in sorted(values):
        value = values[key]
        if not (key.endswith(("_token_id", "_token_index", "_token_ids")) or key == "image_token"):
            continue
        if isinstance(value, int) and not isinstance(value, bool) and value >= vocab:
            values[key] = taken.setdefault(value, vocab - 1 - len(taken))
        elif isinstance(value, list):
            values[key] = [
                taken.setdefault(v, vocab - 1 - len(taken))
                if isinstance(v, int) and v >= vocab
                else v
                for v in value
            ]


def build_tiny(model_type: str, head: str, class_name: str) -> Any:
    """A tiny random model of the pair, in eval mode on the CPU; its size is asserted.

    A model still over the cap after the generic shrink is rebuilt from a harder shrink.
    """
    cap = override_for(model_type, head).param_cap
    model, count = _instantiate(model_type, head, class_name, hard=False)
    if count > cap:
        model, count = _instantiate(model_type, head, class_name, hard=True)
    if count > cap:
        raise AssertionError(
            f"{model_type}-{head}: tiny model has {count:,} parameters, above the cap of {cap:,}; "
            f"shrink it in {OVERRIDES.name}"
        )
    return model


def _instantiate(model_type: str, head: str, class_name: str, *, hard: bool) -> tuple[Any, int]:
    torch = importlib.import_module("torch")
    transformers = importlib.import_module("transformers")
    cls = getattr(transformers, class_name)
    config = tiny_config(model_type, head, hard=hard)
    model = None
    first_error: Exception | None = None
    for candidate in _configs_for(config, cls):
        torch.manual_seed(SEED)
        try:
            model = cls(candidate)
        except (AttributeError, TypeError, ValueError) as exc:
            first_error = first_error or exc
            continue
        break
    if model is None:
        raise first_error or RuntimeError(f"{class_name}: no config to build it from")
    model.eval()
    return model, sum(p.numel() for p in model.parameters())


def _configs_for(config: Any, cls: Any) -> Iterator[Any]:
    """The config, then its text, decoder or vision part: some heads of a composite model type
    (a causal LM or the vision tower of a vision-language type, say) are built from the
    sub-config, as the auto classes do. A head with a config class of its own that reads a
    model of this type (a decision head) gets that config with the tiny one as its
    ``text_config``; that one is made only when all the others fail to build."""
    found = [config]
    try:
        text = config.get_text_config()
    except ValueError:  # several text sub-configs: the candidates below name them
        text = None
    subs = (
        text,
        getattr(config, "text_config", None),
        getattr(config, "decoder", None),
        getattr(config, "vision_config", None),
    )
    for sub in subs:
        if sub is not None and hasattr(sub, "to_dict") and all(sub is not c for c in found):
            found.append(sub)
    yield from found
    wrapped = _as_text_config_of(getattr(cls, "config_class", None), config)
    if wrapped is not None:
        yield wrapped


def _as_text_config_of(wrapper: Any, config: Any) -> Any:
    """``wrapper(text_config=config)`` when ``wrapper`` is another config class that takes a
    model's config as its ``text_config``; None otherwise."""
    if wrapper is None or isinstance(config, wrapper):
        return None
    if "text_config" not in getattr(wrapper, "sub_configs", {}):
        return None
    values: dict[str, Any] = {"text_config": config.to_dict()}
    if "hidden_size" in getattr(wrapper, "__dataclass_fields__", {}):
        values["hidden_size"] = config.get_text_config().hidden_size
    return wrapper(**values)
