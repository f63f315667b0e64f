"""Inputs synthesised for a model from its config and the names its ``forward`` accepts.

Token ids stay inside the vocabulary and clear of the special ids the tiny config moved to its
top end; pixel values follow the config's image size and channels; audio is a waveform
(``input_values``) or log-mel features (``input_features``, in either layout); forecasting
models get a past window of a time series; encoder-decoders get decoder inputs. ``candidates``
returns a few input sets, fullest first: the checks use the first one the model accepts (a
vision-language model without image tokens in its text runs text only, for example).
"""

from __future__ import annotations

import importlib
import inspect
import math
from typing import Any

BATCH = 1
SEQ = 8
CHOICES = 2
SAMPLES = 16000
FRAMES = 64
SERIES = 32
REGIONS = 4
HIDDEN_FEATURES = 32
SEED = 0
_RESERVED_TOP = 16
_BIN_NAMES = (
    "num_mel_bins",
    "n_mels",
    "num_mels",
    "input_dim",
    "feat_in",
    "feature_dim",
    "num_chroma",
    "feature_projection_input_dim",
    "input_size",
)
_FEATURE_MASKS = (
    "input_features_mask",
    "feature_attention_mask",
    "input_features_attention_mask",
)  # ids at the top of a vocabulary are where special tokens were moved
_GRID_NAMES = ("grid_thw", "image_grid_thw")
# A decision head's questions: one of each type (noul, score, choice), with these many options.
DECISION_OPTIONS = (2, 3, 4)
_LATENT_NAMES = ("hidden_states", "latents")
_QUESTION_HEADS = ("question-answering", "multiple-choice")


def forward_params(model: Any) -> dict[str, inspect.Parameter]:
    """The parameters of ``model.forward`` by name."""
    return dict(inspect.signature(model.forward).parameters)


def _get(config: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(config, name, None)
        if value is not None:
            return value
    return default


def _text_config(config: Any) -> Any:
    getter = getattr(config, "get_text_config", None)
    if getter is None:
        return config
    try:
        text = getter()
    except ValueError:  # a text encoder and a decoder (MusicGen): the ids feed the encoder
        text = getter(encoder=True)
    if getattr(text, "vocab_size", None) is None:  # FastSpeech2's vocabulary is in model_config
        subs = [v for v in vars(config).values() if hasattr(v, "to_dict")]
        return next((sub for sub in subs if getattr(sub, "vocab_size", None)), text)
    return text


def _vision_config(config: Any) -> Any:
    for name in ("vision_config", "backbone_config", "encoder_config"):
        sub = getattr(config, name, None)
        if sub is not None and hasattr(sub, "to_dict"):
            return sub
    return config


def token_ids(torch: Any, config: Any, shape: tuple[int, ...], generator: Any) -> Any:
    """Random ids in ``[3, vocab - 16)``, never a special id, ending in the end-of-sequence id.

    Sequence classifiers of encoder-decoders read the hidden state at the last ``eos``.
    """
    text = _text_config(config)
    vocab = int(_get(text, "vocab_size", default=100))
    high = vocab - _RESERVED_TOP if vocab > 4 * _RESERVED_TOP else vocab
    low = 3 if high > 6 else 0
    ids = torch.randint(low, high, shape, generator=generator)
    eos = _get(text, "eos_token_id", default=None)
    if isinstance(eos, list):
        eos = eos[0] if eos else None
    if isinstance(eos, int) and 0 <= eos < vocab:
        ids[..., -1] = eos
    return ids


def image_size(config: Any) -> tuple[int, int]:
    vision = _vision_config(config)
    size = _get(vision, "image_size", "img_size", default=None)
    if size is None:
        size = _get(config, "image_size", default=64)
    if isinstance(size, (list, tuple)):
        return int(size[0]), int(size[-1])
    if isinstance(size, dict):
        return int(size.get("height", 64)), int(size.get("width", 64))
    return int(size), int(size)


def pixel_values(torch: Any, config: Any, head: str, generator: Any) -> Any:
    vision = _vision_config(config)
    channels = int(_get(vision, "num_channels", "in_channels", "in_chans", default=3))
    height, width = image_size(config)
    frames = _get(vision, "num_frames", default=None)
    # A frame count makes a clip, except for an image classifier (Perceiver's config has both).
    if head == "video-classification" or (frames and head != "image-classification"):
        return video_values(torch, config, generator)
    matcher = getattr(config, "keypoint_detector_config", None) is not None
    if head == "keypoint-matching" or matcher:  # a pair of images to match
        return torch.randn(BATCH, 2, channels, height, width, generator=generator)
    return torch.randn(BATCH, channels, height, width, generator=generator)


def video_values(torch: Any, config: Any, generator: Any) -> Any:
    """A clip of ``(batch, frames, channels, height, width)`` at the config's frame count."""
    vision = _vision_config(config)
    channels = int(_get(vision, "num_channels", "in_channels", "in_chans", default=3))
    height, width = image_size(config)
    frames = int(_get(vision, "num_frames", "frames_per_clip", default=8))
    return torch.randn(BATCH, frames, channels, height, width, generator=generator)


def feature_bins(config: Any) -> list[int]:
    """Feature sizes the config names for its audio input, the usual one first."""
    found = [
        int(_get(config, "num_mel_bins", "feature_size", "input_feat_per_channel", default=80))
    ]
    audio = getattr(config, "audio_config", None) or getattr(config, "encoder_config", None)
    semantic = getattr(config, "semantic_model_config", None)  # a codec's feature branch
    for owner in (config, audio, semantic):
        for name in _BIN_NAMES:
            value = getattr(owner, name, None) if owner is not None else None
            if isinstance(value, int) and not isinstance(value, bool) and value not in found:
                found.append(value)
    stacked = getattr(config, "num_stacked_frames", None)  # low-frame-rate features (FunASR)
    if isinstance(stacked, int) and stacked > 1:
        found.append(found[0] * stacked)
    return found


def audio_features(
    torch: Any, config: Any, channels_first: bool, generator: Any, bins: int | None = None
) -> Any:
    bins = bins or feature_bins(config)[0]
    sources = _get(config, "max_source_positions", default=None)
    window = _get(config, "n_window", default=None)  # Qwen3-ASR reads whole chunks of 2 windows
    frames = 2 * int(sources or window or FRAMES // 2) if channels_first else FRAMES
    if channels_first:
        return torch.randn(BATCH, bins, frames, generator=generator)
    return torch.randn(BATCH, frames, bins, generator=generator)


def with_waveform(
    torch: Any, config: Any, spectrum: dict[str, Any], generator: Any
) -> dict[str, Any]:
    """``spectrum`` and a ``(batch, 1, samples)`` waveform as long as its frames at the config's
    hop: codecs with a semantic branch (X-Codec 2, NeuCodec) join the two frame by frame."""
    hop = _get(config, "encoder_hop_length", "hop_length", default=None)
    if not isinstance(hop, int):
        ratios = _get(config, "downsampling_ratios", default=None)
        hop = math.prod(ratios) if isinstance(ratios, list) else None
    frames = max(spectrum["input_features"].shape[1:])  # either layout: frames outnumber bins
    samples = frames * hop if isinstance(hop, int) else SAMPLES
    return {**spectrum, "input_values": torch.randn(BATCH, 1, samples, generator=generator)}


def special_inputs(
    torch: Any, config: Any, params: dict[str, inspect.Parameter], generator: Any
) -> dict[str, Any]:
    """Inputs some models name their own way, made from the config's sizes: a mel spectrogram as
    ``audio_mel`` (Gemma 3n), embeddings instead of ids, a draft model's noise and context,
    patches with their positions (Gemma 4) or grid (MiniCPM-V), trajectories (Decision
    Transformer), prompt images and masks (SegGPT)."""
    text = _text_config(config)
    hidden = int(_get(text, "hidden_size", "d_model", default=HIDDEN_FEATURES))
    found: dict[str, Any] = {}
    if "audio_mel" in params:
        bins = int(_get(config, "input_feat_size", default=feature_bins(config)[0]))
        found["audio_mel"] = torch.randn(BATCH, FRAMES, bins, generator=generator)
        found["audio_mel_mask"] = torch.zeros(BATCH, FRAMES, dtype=torch.bool)  # True: padding
    if "noise_embeds" in params and "context_hidden_states" in params:
        block = int(_get(config, "block_size", default=SEQ))
        layers = len(_get(config, "target_layer_ids", default=[0]))
        found["noise_embeds"] = torch.randn(BATCH, block, hidden, generator=generator)
        context = torch.randn(BATCH, SEQ, hidden * layers, generator=generator)
        found["context_hidden_states"] = context
    elif "inputs_embeds" in params and "input_ids" not in params and not found:
        found["inputs_embeds"] = torch.randn(BATCH, SEQ, hidden, generator=generator)
    if "pixel_position_ids" in params and "pixel_values" in params:  # Gemma 4's patches
        vision = _vision_config(config)
        patch = int(_get(vision, "patch_size", default=16))
        side = 2 * int(_get(vision, "pooling_kernel_size", default=2))
        found["pixel_values"] = torch.randn(
            BATCH, side * side, 3 * patch * patch, generator=generator
        )
        rows, cols = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
        grid = torch.stack([cols.flatten(), rows.flatten()], dim=-1)  # (x, y) per patch
        found["pixel_position_ids"] = grid.expand(BATCH, side * side, 2)
    if "target_sizes" in params and "pixel_values" in params:  # MiniCPM-V's patch grid
        patch = int(_get(_vision_config(config), "patch_size", default=14))
        height, width = image_size(config)
        found["pixel_values"] = pixel_values(torch, config, "base", generator)
        grid = [height // patch, width // patch]
        found["target_sizes"] = torch.tensor([grid] * BATCH, dtype=torch.int32)
    if {"states", "actions", "returns_to_go", "timesteps"} <= params.keys():  # trajectories
        found["states"] = torch.randn(BATCH, SEQ, int(config.state_dim), generator=generator)
        found["actions"] = torch.randn(BATCH, SEQ, int(config.act_dim), generator=generator)
        found["rewards"] = torch.randn(BATCH, SEQ, 1, generator=generator)
        found["returns_to_go"] = torch.randn(BATCH, SEQ, 1, generator=generator)
        found["timesteps"] = torch.arange(SEQ).expand(BATCH, SEQ)
        found["attention_mask"] = torch.ones(BATCH, SEQ, dtype=torch.long)
    if "prompt_pixel_values" in params and "prompt_masks" in params:
        height, width = image_size(config)  # the prompt and the input, stacked, fill it
        channels = int(_get(config, "num_channels", default=3))
        pixels = torch.randn(BATCH, channels, height // 2, width, generator=generator)
        found["pixel_values"] = pixels
        found["prompt_pixel_values"] = torch.randn(pixels.shape, generator=generator)
        found["prompt_masks"] = torch.randn(pixels.shape, generator=generator)
    return found


def masked_patches(torch: Any, config: Any, generator: Any) -> Any:
    """``bool_masked_pos``: half the patches of the image (or of the clip's tubelets) masked."""
    vision = _vision_config(config)
    height, width = image_size(config)
    patch = int(_get(vision, "patch_size", default=16))
    count = (height // patch) * (width // patch)
    frames = _get(vision, "num_frames", default=None)
    if frames:
        count *= int(frames) // int(_get(vision, "tubelet_size", default=1))
    mask = torch.zeros(BATCH, count, dtype=torch.bool)
    mask[:, torch.randperm(count, generator=generator)[: count // 2]] = True
    return mask


def flat_patches(torch: Any, config: Any, generator: Any) -> dict[str, Any]:
    """Flattened patches of one image and its ``grid_thw``, as Qwen-VL style vision towers take."""
    vision = _vision_config(config)
    patch = int(_get(vision, "patch_size", default=14))
    temporal = int(_get(vision, "temporal_patch_size", "patch_temporal", default=1))
    channels = int(_get(vision, "in_channels", "num_channels", "in_chans", default=3))
    merge = int(_get(vision, "spatial_merge_size", "merge_size", default=2))
    side = 2 * merge
    return {
        "hidden_states": torch.randn(
            side * side, channels * temporal * patch * patch, generator=generator
        ),
        "grid_thw": torch.tensor([[1, side, side]]),
    }


def patch_sequence(torch: Any, config: Any, generator: Any) -> dict[str, Any]:
    """One image as a sequence of flattened patches with its mask and ``(rows, columns)`` grid,
    as SigLIP 2's variable-resolution vision tower takes it."""
    vision = _vision_config(config)
    patch = int(_get(vision, "patch_size", default=16))
    channels = int(_get(vision, "num_channels", default=3))
    height, width = image_size(config)
    rows, columns = max(1, height // patch), max(1, width // patch)
    count = rows * columns
    return {
        "pixel_values": torch.randn(BATCH, count, channels * patch * patch, generator=generator),
        "pixel_attention_mask": torch.ones(BATCH, count, dtype=torch.long),
        "spatial_shapes": torch.tensor([[rows, columns]] * BATCH),
    }


def robot_inputs(
    torch: Any, config: Any, params: dict[str, inspect.Parameter], pixels: Any, generator: Any
) -> dict[str, Any]:
    """What a vision-language-action policy (PI0) reads besides the prompt: one camera image
    with its camera mask, and the robot state with action noise and a denoising time, or (its
    base model) the action embeddings they make, one per step of the action chunk plus one."""
    chunk = int(_get(config, "chunk_size", default=SEQ))
    found: dict[str, Any] = {
        "pixel_values": pixels.unsqueeze(1),
        "pixel_attention_mask": torch.ones(BATCH, 1, dtype=torch.bool),
    }
    if "state" in params:
        states = int(_get(config, "max_state_dim", default=HIDDEN_FEATURES))
        actions = int(_get(config, "max_action_dim", default=HIDDEN_FEATURES))
        found["state"] = torch.randn(BATCH, states, generator=generator)
        if "noise" in params:
            found["noise"] = torch.randn(BATCH, chunk, actions, generator=generator)
        if "timestep" in params:
            found["timestep"] = torch.full((BATCH,), 0.5)
    else:
        expert = getattr(config, "dit_config", None) or config
        width = int(_get(expert, "hidden_size", default=HIDDEN_FEATURES))
        found["action_embeds"] = torch.randn(BATCH, chunk + 1, width, generator=generator)
    return found


def class_prompts(torch: Any, config: Any, generator: Any) -> dict[str, Any]:
    """An open-vocabulary detector's prompts (OmDet-Turbo): ``CHOICES`` class names, flattened
    over the batch with ``classes_structure`` counting them per image, and a task prompt."""
    classes = BATCH * CHOICES
    return {
        "classes_input_ids": token_ids(torch, config, (classes, SEQ), generator),
        "classes_attention_mask": torch.ones(classes, SEQ, dtype=torch.long),
        "tasks_input_ids": token_ids(torch, config, (BATCH, SEQ), generator),
        "tasks_attention_mask": torch.ones(BATCH, SEQ, dtype=torch.long),
        "classes_structure": torch.full((BATCH,), CHOICES, dtype=torch.long),
    }


def numbered_patches(torch: Any, config: Any, generator: Any) -> Any:
    """Pix2Struct's ``flattened_patches``: a 4 x 4 grid of patches, each row its 1-based row and
    column number followed by the patch (``patch_embed_hidden_size`` values)."""
    width = int(_get(_vision_config(config), "patch_embed_hidden_size", default=HIDDEN_FEATURES))
    side = 4
    rows = torch.arange(1, side + 1).repeat_interleave(side).float()
    columns = torch.arange(1, side + 1).repeat(side).float()
    patches = torch.randn(side * side, width, generator=generator)
    grid = torch.cat([rows[:, None], columns[:, None], patches], dim=-1)
    return grid.unsqueeze(0).expand(BATCH, -1, -1).contiguous()


def tiled_image(torch: Any, config: Any, pixels: Any) -> dict[str, Any]:
    """One image cut in the config's ``max_num_tiles`` tiles of ``pixels``' size, and the aspect
    ratio (id 1: a single row of tiles, all valid) that Mllama's vision tower takes."""
    tiles = int(_get(_vision_config(config), "max_num_tiles", default=1))
    tiled = pixels.unsqueeze(1).unsqueeze(1).expand(-1, 1, tiles, -1, -1, -1).contiguous()
    return {
        "pixel_values": tiled,
        "aspect_ratio_ids": torch.ones(BATCH, 1, dtype=torch.long),
        "aspect_ratio_mask": torch.ones(BATCH, 1, tiles, dtype=torch.long),
    }


def codebook_streams(
    torch: Any, config: Any, params: dict[str, inspect.Parameter], generator: Any
) -> dict[str, Any]:
    """Token ids of a text stream and ``num_codebooks`` audio codebook streams side by side,
    ``(batch, seq, 1 + codebooks)``, as Kyutai's speech-to-text model reads them; empty for a
    model whose config names no codebook vocabulary."""
    codebooks = _get(config, "num_codebooks")
    vocab = _get(config, "codebook_vocab_size")
    if not ("input_ids" in params and isinstance(codebooks, int) and isinstance(vocab, int)):
        return {}
    text = token_ids(torch, config, (BATCH, SEQ), generator).unsqueeze(-1)
    high = vocab - _RESERVED_TOP if vocab > 4 * _RESERVED_TOP else vocab
    audio = torch.randint(0, high, (BATCH, SEQ, codebooks), generator=generator)
    found = {"input_ids": torch.cat([text, audio], dim=-1)}
    if "attention_mask" in params:
        found["attention_mask"] = torch.ones(BATCH, SEQ, dtype=torch.long)
    return found


def with_query_tokens(config: Any, text: dict[str, Any]) -> dict[str, Any] | None:
    """``text`` with its first ids replaced by the image token, one per query token of a
    Q-Former model (``num_query_tokens``); None for other models or when they do not fit."""
    count = getattr(config, "num_query_tokens", None)
    token = _get(config, "image_token_id", "image_token_index")
    ids = text.get("input_ids")
    if not (isinstance(count, int) and isinstance(token, int) and ids is not None):
        return None
    if ids.dim() != 2 or count >= ids.shape[-1]:
        return None
    ids = ids.clone()
    ids[:, :count] = token
    return {**text, "input_ids": ids}


def time_series(
    torch: Any, config: Any, params: dict[str, inspect.Parameter], generator: Any
) -> dict[str, Any]:
    """A past window of a time series (``context_length`` steps, plus the longest lag), with the
    masks, paddings, time features and future window the forecasting models ask for."""
    lags = _get(config, "lags_sequence", default=None)
    length = int(_get(config, "context_length", default=SERIES)) + (max(lags) if lags else 0)
    channels = _get(config, "num_input_channels", default=None)
    size = int(_get(config, "input_size", default=1))
    shape: tuple[int, ...] = (BATCH, length)
    if channels is not None:
        shape = (BATCH, length, int(channels))
    elif size > 1:
        shape = (BATCH, length, size)
    found: dict[str, Any] = {"past_values": torch.randn(*shape, generator=generator)}
    if "past_observed_mask" in params:
        found["past_observed_mask"] = torch.ones(shape)
    if "past_values_padding" in params:
        found["past_values_padding"] = torch.zeros(BATCH, length)
    if "freq" in params and params["freq"].default is not None:  # None: the model picks one
        found["freq"] = torch.zeros(BATCH, 1, dtype=torch.long)
    features = int(_get(config, "num_time_features", default=0))
    if "past_time_features" in params:
        found["past_time_features"] = torch.randn(BATCH, length, features, generator=generator)
    horizon = _get(config, "prediction_length", default=None)
    if "future_time_features" in params and isinstance(horizon, int):
        found["future_time_features"] = torch.randn(BATCH, horizon, features, generator=generator)
    return found


def regions(
    torch: Any, config: Any, params: dict[str, inspect.Parameter], generator: Any
) -> dict[str, Any]:
    """Boxes that go with the text: a layout box per token (``bbox``, corners in ``[0, 1]``), or
    region features and their boxes (``visual_feats``, ``visual_pos``)."""
    found: dict[str, Any] = {}
    if "bbox" in params:
        corners = torch.rand(BATCH, SEQ, 2, 2, generator=generator).sort(dim=2).values
        found["bbox"] = corners.transpose(2, 3).reshape(BATCH, SEQ, 4)
    if "visual_feats" in params and "visual_pos" in params:
        dim = int(_get(config, "visual_feat_dim", default=HIDDEN_FEATURES))
        found["visual_feats"] = torch.randn(BATCH, REGIONS, dim, generator=generator)
        found["visual_pos"] = torch.rand(BATCH, REGIONS, 4, generator=generator)
    return found


def query_inputs(
    torch: Any, config: Any, params: dict[str, inspect.Parameter], generator: Any
) -> dict[str, Any]:
    """Query embeddings for a Q-Former on its own (``query_embeds``), and the image features its
    cross-attention reads (``encoder_hidden_states``, ``encoder_hidden_size`` wide)."""
    hidden = int(_get(config, "hidden_size", default=HIDDEN_FEATURES))
    found = {"query_embeds": torch.randn(BATCH, REGIONS, hidden, generator=generator)}
    if "encoder_hidden_states" in params:
        width = int(_get(config, "encoder_hidden_size", default=hidden))
        found["encoder_hidden_states"] = torch.randn(BATCH, SEQ, width, generator=generator)
    return found


def patch_tower_inputs(
    torch: Any, config: Any, params: dict[str, inspect.Parameter], grid: str, generator: Any
) -> dict[str, Any]:
    """Flattened patches as ``pixel_values`` with their grid under the name the vision tower
    uses (``grid_thw``, ``image_grid_thw``), and ``merge_sizes`` where it asks for them."""
    patches = flat_patches(torch, config, generator)
    found = {"pixel_values": patches["hidden_states"], grid: patches["grid_thw"]}
    if "merge_sizes" in params:
        merge = int(_get(_vision_config(config), "spatial_merge_size", default=2))
        found["merge_sizes"] = torch.tensor([merge])
    return found


def decision_questions(torch: Any) -> dict[str, Any]:
    """The questions of one prompt for a decision head: the position after each question's mark
    token, its number of options and its type, a question of each type."""
    count = len(DECISION_OPTIONS)
    return {
        "marks": torch.tensor([[SEQ - count + 1 + i for i in range(count)]]),
        "num_options": torch.tensor([list(DECISION_OPTIONS)]),
        "question_type_ids": torch.arange(count).unsqueeze(0),
    }


def patch_layouts(config: Any, tower: dict[str, Any], grid: str) -> list[dict[str, Any]]:
    """The tower's flattened patches unflattened: each patch channels first (Kimi K2.5, whose
    patch embedding is a convolution), or one block of merge x merge patches per merged token,
    channels last, with the grid counted in merged tokens (Inkling 2)."""
    vision = _vision_config(config)
    patch = int(_get(vision, "patch_size", default=14))
    merge = int(_get(vision, "spatial_merge_size", default=1))
    flat = tower["pixel_values"]
    if flat.shape[-1] % (patch * patch):
        return []
    layouts = [{**tower, "pixel_values": flat.reshape(flat.shape[0], -1, patch, patch)}]
    if merge > 1 and flat.shape[0] % (merge * merge) == 0:
        side = patch * merge
        blocks = flat.reshape(flat.shape[0] // (merge * merge), side, side, -1)
        merged = tower[grid] // tower[grid].new_tensor([1, merge, merge])
        layouts.append({**tower, "pixel_values": blocks, grid: merged})
    return layouts


def candidates(model: Any, head: str) -> list[dict[str, Any]]:
    """Input sets for ``model``, fullest first (seeded, so every call gives the same tensors)."""
    torch = importlib.import_module("torch")
    generator = torch.Generator().manual_seed(SEED)
    config = model.config
    params = forward_params(model)
    text: dict[str, Any] = {}
    if "input_ids" in params:
        shape = (BATCH, CHOICES, SEQ) if head == "multiple-choice" else (BATCH, SEQ)
        text["input_ids"] = token_ids(torch, config, shape, generator)
        question = getattr(config, "question_token_id", None)
        if "question_positions" in params and isinstance(question, int):
            text["input_ids"][..., 1] = question  # Splinter selects spans at its question tokens
        if "attention_mask" in params:
            text["attention_mask"] = torch.ones(shape, dtype=torch.long)
        if head in _QUESTION_HEADS and "global_attention_mask" in params:
            # Longformer puts global attention on the question, found by its separator tokens
            # unless told: the first token attends globally.
            text["global_attention_mask"] = torch.zeros(shape, dtype=torch.long)
            text["global_attention_mask"][..., 0] = 1
    qformer = getattr(config, "qformer_config", None)
    if qformer is not None and "qformer_input_ids" in params:  # InstructBLIP's Q-Former prompt
        text["qformer_input_ids"] = token_ids(torch, qformer, (BATCH, SEQ), generator)
        if "qformer_attention_mask" in params:
            text["qformer_attention_mask"] = torch.ones(BATCH, SEQ, dtype=torch.long)
    if getattr(config, "is_encoder_decoder", False) and "decoder_input_ids" in params:
        text["decoder_input_ids"] = token_ids(torch, config, (BATCH, SEQ), generator)
    if "decoder_input_values" in params:  # a speech decoder's spectrogram frames (SpeechT5)
        bins = feature_bins(config)[0]
        text["decoder_input_values"] = torch.randn(BATCH, SEQ, bins, generator=generator)
    media: list[dict[str, Any]] = []
    if "pixel_values" in params:
        pixels = pixel_values(torch, config, head, generator)
        media.append({"pixel_values": pixels})
        query_text = with_query_tokens(config, text)
        if query_text is not None:  # BLIP-2 style: the image's query tokens lead the text
            media.insert(0, {**query_text, "pixel_values": pixels})
        if "image_attention_mask" in params and "input_ids" in params:
            # IDEFICS style: images in their own dimension, a mask of which each token sees
            seen = torch.ones(BATCH, SEQ, 1, dtype=torch.long)
            media.append({"pixel_values": pixels.unsqueeze(1), "image_attention_mask": seen})
        slots = getattr(config, "latent_query_num", None)
        if "image_embeds_position_mask" in params and isinstance(slots, int) and slots < SEQ:
            # Kosmos-2 style: the image's latent queries fill the text positions after the first
            where = torch.zeros(BATCH, SEQ, dtype=torch.long)
            where[:, 1 : 1 + slots] = 1
            media.insert(0, {"pixel_values": pixels, "image_embeds_position_mask": where})
        if "spatial_shapes" in params and "pixel_attention_mask" in params:
            media.append(patch_sequence(torch, config, generator))
        if "aspect_ratio_ids" in params and "input_ids" not in params:
            media.append(tiled_image(torch, config, pixels))
    if "pixel_values" in params and ("state" in params or "action_embeds" in params):
        media.append(robot_inputs(torch, config, params, pixels, generator))
    if "classes_input_ids" in params and "tasks_input_ids" in params and "pixel_values" in params:
        media.append({**class_prompts(torch, config, generator), "pixel_values": pixels})
    if "flattened_patches" in params and "input_ids" not in params:  # kosmos-2.5 keeps its text
        media.append({"flattened_patches": numbered_patches(torch, config, generator)})
    if "task_inputs" in params:  # OneFormer: the tokenised task prompt goes with the image
        length = int(_get(config, "task_seq_len", default=SEQ))
        vocab = int(_get(config, "text_encoder_vocab_size", default=_RESERVED_TOP))
        task = torch.randint(0, vocab, (BATCH, length), generator=generator)
        media = [{**extra, "task_inputs": task} for extra in media]
    required = params.get("bool_masked_pos")
    if required is not None and required.default is inspect.Parameter.empty and media:
        # Masked-patch pretraining heads that cannot run without a mask (VideoMAE).
        mask = masked_patches(torch, config, generator)
        media = [{**extra, "bool_masked_pos": mask} for extra in media]
    if "pixel_values_videos" in params:
        media.append({"pixel_values_videos": video_values(torch, config, generator)})
    if "input_values" in params:
        waveform = torch.randn(BATCH, SAMPLES, generator=generator)
        media.append({"input_values": waveform})
        media.append({"input_values": waveform.unsqueeze(1)})  # codecs take (batch, 1, samples)
        bins = feature_bins(config)[0]  # a spectrogram as (batch, frames, bins), as AST takes
        media.append({"input_values": torch.randn(BATCH, FRAMES, bins, generator=generator)})
    if "input_features" in params:
        masks = [name for name in _FEATURE_MASKS if name in params]
        for bins, channels_first in [(b, c) for b in feature_bins(config) for c in (True, False)]:
            features = audio_features(torch, config, channels_first, generator, bins)
            frames = features.shape[-1] if channels_first else features.shape[1]
            mask = torch.ones(BATCH, frames, dtype=torch.long)
            media.append({"input_features": features, **dict.fromkeys(masks, mask)})
        for bins in feature_bins(config):  # a one-channel spectrogram image (CLAP)
            image = audio_features(torch, config, False, generator, bins).unsqueeze(1)
            media.append({"input_features": image})
    if "input_values" in params and "input_features" in params:
        spectra = [found for found in media if "input_features" in found]
        media.extend(with_waveform(torch, config, spectrum, generator) for spectrum in spectra)
    if {"marks", "num_options", "question_type_ids"} <= params.keys():
        text.update(decision_questions(torch))
    if "past_values" in params:
        media.append(time_series(torch, config, params, generator))
    special = special_inputs(torch, config, params, generator)
    if special:
        media.append(special)
    if "grid_thw" in params and "hidden_states" in params:
        media.append(flat_patches(torch, config, generator))
    grid = next((name for name in _GRID_NAMES if name in params), None)
    if grid and "pixel_values" in params and "input_ids" not in params:
        tower = patch_tower_inputs(torch, config, params, grid, generator)
        media.append(tower)
        media.extend(patch_layouts(config, tower, grid))
    if "query_embeds" in params:
        media.append(query_inputs(torch, config, params, generator))
    main = getattr(model, "main_input_name", "input_ids")
    mains = [main] if isinstance(main, str) else list(main)  # some models name several
    found: list[dict[str, Any]] = []
    for extra in media:
        found.append({**text, **extra})
    if text:
        found.append(text)
        # Boxes after the text alone, so a model that runs without boxes keeps its inputs.
        boxes = regions(torch, config, params, generator) if not media else {}
        if boxes:
            found.append({**text, **boxes})
    for extra in media:
        if any(name in extra for name in mains):
            found.append(extra)
    if text and media:
        # A layout model that also takes an image (UDOP) gets boxes with it, after all else.
        boxes = regions(torch, config, params, generator)
        if boxes:
            found.extend({**text, **boxes, **extra} for extra in media)
    if "pixel_values" in params and pixels.dim() == 4:
        # Last resort for a matcher whose head does not say so: a pair of images.
        second = torch.randn(pixels.shape, generator=generator)
        found.append({"pixel_values": torch.stack([pixels, second], dim=1)})
    if "inputs" in params and not found:
        # Perceiver without a preprocessor: inputs already embedded, ``d_model`` wide.
        width = int(_get(config, "d_model", "hidden_size", default=HIDDEN_FEATURES))
        found.append({"inputs": torch.randn(BATCH, SEQ, width, generator=generator)})
    if "decoder_input_ids" in params and "decoder_input_ids" not in text:
        # Last resort for a model that is no encoder-decoder but still wants decoder ids (BLIP's
        # question answering): every set again with them, after the sets without.
        decoder = token_ids(torch, config, (BATCH, SEQ), generator)
        found += [{**inputs, "decoder_input_ids": decoder} for inputs in found]
    streams = codebook_streams(torch, config, params, generator)
    if streams:  # last: only a model that refuses flat token ids gets them
        found.append(streams)
    unique: list[dict[str, Any]] = []
    for inputs in found:
        if inputs and all(
            inputs.keys() != seen.keys() or not _same(seen, inputs) for seen in unique
        ):
            unique.append(inputs)
    latent = next((name for name in _LATENT_NAMES if name in params), None)
    if not unique and latent is not None:
        unique = latent_inputs(torch, config, latent, generator)
    return unique


def latent_inputs(torch: Any, config: Any, name: str, generator: Any) -> list[dict[str, Any]]:
    """For a forward that takes only ``hidden_states`` or ``latents`` (the encoder or decoder
    half of an audio codec, say): a waveform of the config's channels, then latent frames of its
    hidden size in either layout."""
    channels = int(_get(config, "channels", "audio_channels", default=1))
    hidden = int(_get(config, "hidden_size", "d_model", "latent_dim", default=HIDDEN_FEATURES))
    return [
        {name: torch.randn(BATCH, channels, SAMPLES, generator=generator)},
        {name: torch.randn(BATCH, hidden, FRAMES, generator=generator)},
        {name: torch.randn(BATCH, FRAMES, hidden, generator=generator)},
    ]


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a[k].shape == b[k].shape for k in a)
