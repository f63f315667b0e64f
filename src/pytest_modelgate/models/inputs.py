"""Inputs synthesised for a model from its config and the names its ``forward`` accepts.

Token ids stay inside the vocabulary and clear of the special ids the tiny config moved to its
top end; pixel values follow the config's image size and channels; audio is a waveform
(``input_values``) or log-mel features (``input_features``, in either layout); forecasting
models get a past window of a time series; encoder-decoders get decoder inputs. ``candidates``
returns a few input sets, fullest first: the checks use the first one the model accepts (a
vision-language model without image tokens in its text runs text only, for example).

Each way of making inputs is a ``Recipe`` in the ``RECIPES`` table: its name, how what it makes
joins the rest (``Join``), when it applies (a test of the forward's parameter names, the config
and the head, which needs no torch) and its builder. A builder draws from a generator of its
own, seeded from the recipe's name, so adding or removing a recipe leaves the values every
other recipe makes as they were.
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

BATCH = 1
SEQ = 8
CHOICES = 2
SAMPLES = 16000
FRAMES = 64
SERIES = 32
REGIONS = 4
HIDDEN_FEATURES = 32
COMPLETIONS = 8  # input sets tried for a forward that names inputs it lacked
_RESERVED_TOP = 16  # ids at the top of a vocabulary are where special tokens were moved
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
)
_GRID_NAMES = ("grid_thw", "image_grid_thw")
# A decision head's questions: one of each type (noul, score, choice), with these many options.
DECISION_OPTIONS = (2, 3, 4)
_LATENT_NAMES = ("hidden_states", "latents")
_QUESTION_HEADS = ("question-answering", "multiple-choice")
_QUESTIONS = ("marks", "num_options", "question_type_ids")  # what a decision head reads
# The image input, and the recipe whose image the other image recipes share.
_IMAGE = "pixel_values"

Inputs = dict[str, Any]
# Where a recipe's input sets go, in the order ``candidates`` tries them:
#   text         merged into the text that every set starts from;
#   media        sets of their own, each tried with the text, then (when it holds the model's
#                main input) alone, after the text alone;
#   every-media  merged into each media set made before it;
#   boxes        with the text after all of those: alone, then with each media set;
#   last         sets of their own, tried after all of those;
#   fallback     made only when no set was made before it;
#   again        every set made before it, again with these inputs added.
Join = Literal["text", "media", "every-media", "boxes", "last", "fallback", "again"]


def forward_params(model: Any) -> dict[str, inspect.Parameter]:
    """The parameters of ``model.forward`` by name."""
    return dict(inspect.signature(model.forward).parameters)


@dataclass(frozen=True)
class Spec:
    """What decides which recipes apply: the forward's parameters, the config and the head."""

    params: Mapping[str, inspect.Parameter]
    config: Any
    head: str

    def takes(self, *names: str) -> bool:
        """Whether the forward takes every one of ``names``."""
        return all(name in self.params for name in names)

    def requires(self, name: str) -> bool:
        """Whether the forward takes ``name`` without a default."""
        param = self.params.get(name)
        return param is not None and param.default is inspect.Parameter.empty


@dataclass(frozen=True)
class Draw:
    """What a builder makes its inputs from: the spec, torch, the recipe's own generator, the
    text made so far and the image the image recipes share (None for a model without one)."""

    spec: Spec
    torch: Any
    generator: Any
    text: Mapping[str, Any]
    pixels: Any

    @property
    def config(self) -> Any:
        return self.spec.config

    def randn(self, *shape: int) -> Any:
        return self.torch.randn(*shape, generator=self.generator)

    def ids(self, shape: tuple[int, ...], config: Any = None) -> Any:
        """Token ids of the model's vocabulary, or of ``config``'s."""
        owner = self.config if config is None else config
        return token_ids(self.torch, owner, shape, self.generator)


def _always(spec: Spec) -> bool:
    return True


@dataclass(frozen=True)
class Recipe:
    """One way of making inputs: where the forward takes all of ``takes`` and ``when`` holds,
    ``build`` makes input sets from the recipe's own draws, and ``joins`` says where they go."""

    name: str
    joins: Join
    build: Callable[[Draw], list[Inputs]]
    takes: tuple[str, ...] = ()
    when: Callable[[Spec], bool] = _always

    def applies(self, spec: Spec) -> bool:
        return spec.takes(*self.takes) and self.when(spec)


def seed_of(name: str) -> int:
    """A recipe's seed: a hash of its name that every process computes alike (``hash`` is
    salted per process)."""
    return zlib.crc32(name.encode())


def generator(torch: Any, name: str) -> Any:
    """The generator of the recipe ``name``, at the start of its draws."""
    return torch.Generator().manual_seed(seed_of(name))


def applicable(spec: Spec) -> tuple[Recipe, ...]:
    """The recipes that apply to ``spec``, in table order."""
    return tuple(recipe for recipe in RECIPES if recipe.applies(spec))


def candidates(model: Any, head: str) -> list[Inputs]:
    """Input sets for ``model``, fullest first (seeded, so every call gives the same tensors)."""
    torch = importlib.import_module("torch")
    spec = Spec(forward_params(model), model.config, head)
    main = getattr(model, "main_input_name", "input_ids")
    mains = [main] if isinstance(main, str) else list(main)  # some models name several
    pixels = None
    if spec.takes(_IMAGE):
        pixels = pixel_values(torch, spec.config, head, generator(torch, _IMAGE))
    recipes = applicable(spec)
    text: Inputs = {}

    def made(recipe: Recipe) -> list[Inputs]:
        return recipe.build(Draw(spec, torch, generator(torch, recipe.name), text, pixels))

    media: list[Inputs] = []
    for recipe in recipes:
        if recipe.joins == "text":
            for part in made(recipe):
                text.update(part)
        elif recipe.joins == "media":
            media += made(recipe)
        elif recipe.joins == "every-media" and media:
            media = [{**extra, **part} for part in made(recipe) for extra in media]
    found = [{**text, **extra} for extra in media]
    found += [text] if text else []
    found += [extra for extra in media if any(name in extra for name in mains)]
    for recipe in recipes:
        if recipe.joins == "boxes" and text:
            found += [{**text, **part, **extra} for part in made(recipe) for extra in media or [{}]]
        elif recipe.joins == "last" or (recipe.joins == "fallback" and not found):
            found += made(recipe)
        elif recipe.joins == "again":
            found += [{**inputs, **part} for part in made(recipe) for inputs in found]
    unique: list[Inputs] = []
    for inputs in found:
        if inputs and all(
            inputs.keys() != seen.keys() or not _same(seen, inputs) for seen in unique
        ):
            unique.append(inputs)
    return unique


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


def _text_width(config: Any) -> int:
    return int(_get(_text_config(config), "hidden_size", "d_model", default=HIDDEN_FEATURES))


def _vision_config(config: Any) -> Any:
    for name in ("vision_config", "backbone_config", "encoder_config"):
        sub = getattr(config, name, None)
        if sub is not None and hasattr(sub, "to_dict"):
            return sub
    return config


def _id_ceiling(vocab: int) -> int:
    """Where random ids stop: below the special ids moved to the top of a large vocabulary."""
    return vocab - _RESERVED_TOP if vocab > 4 * _RESERVED_TOP else vocab


def token_ids(torch: Any, config: Any, shape: tuple[int, ...], generator: Any) -> Any:
    """Random ids in ``[3, vocab - 16)``, never a special id, ending in the end-of-sequence id.

    Sequence classifiers of encoder-decoders read the hidden state at the last ``eos``.
    """
    text = _text_config(config)
    vocab = int(_get(text, "vocab_size", default=100))
    high = _id_ceiling(vocab)
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


# The text every set starts from.


def _input_ids(draw: Draw) -> list[Inputs]:
    spec, torch = draw.spec, draw.torch
    shape = (BATCH, CHOICES, SEQ) if spec.head == "multiple-choice" else (BATCH, SEQ)
    found = {"input_ids": draw.ids(shape)}
    question = getattr(draw.config, "question_token_id", None)
    if spec.takes("question_positions") and isinstance(question, int):
        found["input_ids"][..., 1] = question  # Splinter selects spans at its question tokens
    if spec.takes("attention_mask"):
        found["attention_mask"] = torch.ones(shape, dtype=torch.long)
    if spec.head in _QUESTION_HEADS and spec.takes("global_attention_mask"):
        # Longformer puts global attention on the question, found by its separator tokens
        # unless told: the first token attends globally.
        found["global_attention_mask"] = torch.zeros(shape, dtype=torch.long)
        found["global_attention_mask"][..., 0] = 1
    return [found]


def _qformer_ids(draw: Draw) -> list[Inputs]:
    """InstructBLIP's Q-Former prompt, from the Q-Former's vocabulary."""
    found = {"qformer_input_ids": draw.ids((BATCH, SEQ), draw.config.qformer_config)}
    if draw.spec.takes("qformer_attention_mask"):
        found["qformer_attention_mask"] = draw.torch.ones(BATCH, SEQ, dtype=draw.torch.long)
    return [found]


def _decoder_ids(draw: Draw) -> list[Inputs]:
    return [{"decoder_input_ids": draw.ids((BATCH, SEQ))}]


def _decoder_values(draw: Draw) -> list[Inputs]:
    """A speech decoder's spectrogram frames (SpeechT5)."""
    return [{"decoder_input_values": draw.randn(BATCH, SEQ, feature_bins(draw.config)[0])}]


def decision_questions(draw: Draw) -> list[Inputs]:
    """The questions of one prompt for a decision head: the position after each question's mark
    token, its number of options and its type, a question of each type."""
    torch, count = draw.torch, len(DECISION_OPTIONS)
    return [
        {
            "marks": torch.tensor([[SEQ - count + 1 + i for i in range(count)]]),
            "num_options": torch.tensor([list(DECISION_OPTIONS)]),
            "question_type_ids": torch.arange(count).unsqueeze(0),
        }
    ]


# Images, and what goes with them.


def _image_slots_fit(spec: Spec) -> bool:
    slots = getattr(spec.config, "latent_query_num", None)
    return isinstance(slots, int) and slots < SEQ


def _image_slots(draw: Draw) -> list[Inputs]:
    """Kosmos-2 style: the image's latent queries fill the text positions after the first."""
    where = draw.torch.zeros(BATCH, SEQ, dtype=draw.torch.long)
    where[:, 1 : 1 + draw.config.latent_query_num] = 1
    return [{"pixel_values": draw.pixels, "image_embeds_position_mask": where}]


def _query_tokens(draw: Draw) -> list[Inputs]:
    """BLIP-2 style: the image's query tokens lead the text."""
    query_text = with_query_tokens(draw.config, draw.text)
    return [] if query_text is None else [{**query_text, "pixel_values": draw.pixels}]


def with_query_tokens(config: Any, text: Mapping[str, Any]) -> Inputs | None:
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


def _image(draw: Draw) -> list[Inputs]:
    return [{"pixel_values": draw.pixels}]


def _image_per_token(draw: Draw) -> list[Inputs]:
    """IDEFICS style: images in their own dimension, a mask of which each token sees."""
    seen = draw.torch.ones(BATCH, SEQ, 1, dtype=draw.torch.long)
    return [{"pixel_values": draw.pixels.unsqueeze(1), "image_attention_mask": seen}]


def patch_sequence(draw: Draw) -> list[Inputs]:
    """One image as a sequence of flattened patches with its mask and ``(rows, columns)`` grid,
    as SigLIP 2's variable-resolution vision tower takes it."""
    torch, vision = draw.torch, _vision_config(draw.config)
    patch = int(_get(vision, "patch_size", default=16))
    channels = int(_get(vision, "num_channels", default=3))
    height, width = image_size(draw.config)
    rows, columns = max(1, height // patch), max(1, width // patch)
    count = rows * columns
    return [
        {
            "pixel_values": draw.randn(BATCH, count, channels * patch * patch),
            "pixel_attention_mask": torch.ones(BATCH, count, dtype=torch.long),
            "spatial_shapes": torch.tensor([[rows, columns]] * BATCH),
        }
    ]


def tiled_image(draw: Draw) -> list[Inputs]:
    """The shared image cut in the config's ``max_num_tiles`` tiles of its size, and the aspect
    ratio (id 1: a single row of tiles, all valid) that Mllama's vision tower takes."""
    torch = draw.torch
    tiles = int(_get(_vision_config(draw.config), "max_num_tiles", default=1))
    tiled = draw.pixels.unsqueeze(1).unsqueeze(1).expand(-1, 1, tiles, -1, -1, -1).contiguous()
    return [
        {
            "pixel_values": tiled,
            "aspect_ratio_ids": torch.ones(BATCH, 1, dtype=torch.long),
            "aspect_ratio_mask": torch.ones(BATCH, 1, tiles, dtype=torch.long),
        }
    ]


def robot_inputs(draw: Draw) -> list[Inputs]:
    """What a vision-language-action policy (PI0, PI0.5) reads besides the prompt: one camera
    image with its camera mask, and what its forward takes of the robot state, the action noise
    and the denoising time, or (a base model) the action embeddings they make, one per step of
    the action chunk plus one."""
    torch, spec, config = draw.torch, draw.spec, draw.config
    chunk = int(_get(config, "chunk_size", default=SEQ))
    found: Inputs = {
        "pixel_values": draw.pixels.unsqueeze(1),
        "pixel_attention_mask": torch.ones(BATCH, 1, dtype=torch.bool),
    }
    if spec.takes("state"):
        found["state"] = draw.randn(
            BATCH, int(_get(config, "max_state_dim", default=HIDDEN_FEATURES))
        )
    if spec.takes("noise"):
        actions = int(_get(config, "max_action_dim", default=HIDDEN_FEATURES))
        found["noise"] = draw.randn(BATCH, chunk, actions)
    if spec.takes("timestep"):
        found["timestep"] = torch.full((BATCH,), 0.5)
    if spec.takes("action_embeds"):
        expert = getattr(config, "dit_config", None) or config
        width = int(_get(expert, "hidden_size", default=HIDDEN_FEATURES))
        found["action_embeds"] = draw.randn(BATCH, chunk + 1, width)
    return [found]


def class_prompts(draw: Draw) -> list[Inputs]:
    """An open-vocabulary detector's prompts (OmDet-Turbo) with the image: ``CHOICES`` class
    names, flattened over the batch with ``classes_structure`` counting them per image, and a
    task prompt."""
    torch, classes = draw.torch, BATCH * CHOICES
    return [
        {
            "classes_input_ids": draw.ids((classes, SEQ)),
            "classes_attention_mask": torch.ones(classes, SEQ, dtype=torch.long),
            "tasks_input_ids": draw.ids((BATCH, SEQ)),
            "tasks_attention_mask": torch.ones(BATCH, SEQ, dtype=torch.long),
            "classes_structure": torch.full((BATCH,), CHOICES, dtype=torch.long),
            "pixel_values": draw.pixels,
        }
    ]


def numbered_patches(draw: Draw) -> list[Inputs]:
    """Pix2Struct's ``flattened_patches``: a 4 x 4 grid of patches, each row its 1-based row and
    column number followed by the patch (``patch_embed_hidden_size`` values)."""
    torch, side = draw.torch, 4
    vision = _vision_config(draw.config)
    width = int(_get(vision, "patch_embed_hidden_size", default=HIDDEN_FEATURES))
    rows = torch.arange(1, side + 1).repeat_interleave(side).float()
    columns = torch.arange(1, side + 1).repeat(side).float()
    grid = torch.cat([rows[:, None], columns[:, None], draw.randn(side * side, width)], dim=-1)
    return [{"flattened_patches": grid.unsqueeze(0).expand(BATCH, -1, -1).contiguous()}]


def _task_prompt(draw: Draw) -> list[Inputs]:
    """OneFormer's tokenised task prompt, which goes with every image."""
    length = int(_get(draw.config, "task_seq_len", default=SEQ))
    vocab = int(_get(draw.config, "text_encoder_vocab_size", default=_RESERVED_TOP))
    task = draw.torch.randint(0, vocab, (BATCH, length), generator=draw.generator)
    return [{"task_inputs": task}]


def masked_patches(draw: Draw) -> list[Inputs]:
    """``bool_masked_pos``, for masked-patch pretraining heads that cannot run without it
    (VideoMAE): half the patches of the image (or of the clip's tubelets) masked."""
    vision = _vision_config(draw.config)
    height, width = image_size(draw.config)
    patch = int(_get(vision, "patch_size", default=16))
    count = (height // patch) * (width // patch)
    frames = _get(vision, "num_frames", default=None)
    if frames:
        count *= int(frames) // int(_get(vision, "tubelet_size", default=1))
    mask = draw.torch.zeros(BATCH, count, dtype=draw.torch.bool)
    mask[:, draw.torch.randperm(count, generator=draw.generator)[: count // 2]] = True
    return [{"bool_masked_pos": mask}]


def _videos(draw: Draw) -> list[Inputs]:
    return [{"pixel_values_videos": video_values(draw.torch, draw.config, draw.generator)}]


# Audio.


def _waveforms(draw: Draw) -> list[Inputs]:
    """A waveform, as ``(batch, samples)`` and as codecs take it, ``(batch, 1, samples)``; then a
    spectrogram as ``(batch, frames, bins)``, as AST takes it."""
    waveform = draw.randn(BATCH, SAMPLES)
    bins = feature_bins(draw.config)[0]
    return [
        {"input_values": waveform},
        {"input_values": waveform.unsqueeze(1)},
        {"input_values": draw.randn(BATCH, FRAMES, bins)},
    ]


def audio_features(draw: Draw, channels_first: bool, bins: int) -> Any:
    sources = _get(draw.config, "max_source_positions", default=None)
    window = _get(draw.config, "n_window", default=None)  # Qwen3-ASR reads chunks of 2 windows
    frames = 2 * int(sources or window or FRAMES // 2) if channels_first else FRAMES
    if channels_first:
        return draw.randn(BATCH, bins, frames)
    return draw.randn(BATCH, frames, bins)


def spectra(draw: Draw) -> list[Inputs]:
    """Features of every bin count the config names, in either layout, with the feature masks
    the forward takes; then each bin count as a one-channel spectrogram image (CLAP)."""
    masks = [name for name in _FEATURE_MASKS if name in draw.spec.params]
    bin_counts = feature_bins(draw.config)
    found: list[Inputs] = []
    for bins, channels_first in [(b, c) for b in bin_counts for c in (True, False)]:
        features = audio_features(draw, channels_first, bins)
        frames = features.shape[-1] if channels_first else features.shape[1]
        mask = draw.torch.ones(BATCH, frames, dtype=draw.torch.long)
        found.append({"input_features": features, **dict.fromkeys(masks, mask)})
    for bins in bin_counts:
        found.append({"input_features": audio_features(draw, False, bins).unsqueeze(1)})
    return found


def with_waveforms(draw: Draw) -> list[Inputs]:
    """Each of ``spectra`` with a ``(batch, 1, samples)`` waveform as long as its frames at the
    config's hop: codecs with a semantic branch (X-Codec 2, NeuCodec) join the two frame by
    frame."""
    hop = _get(draw.config, "encoder_hop_length", "hop_length", default=None)
    if not isinstance(hop, int):
        ratios = _get(draw.config, "downsampling_ratios", default=None)
        hop = math.prod(ratios) if isinstance(ratios, list) else None
    found = []
    for spectrum in spectra(draw):
        frames = max(spectrum["input_features"].shape[1:])  # either layout: more frames than bins
        samples = frames * hop if isinstance(hop, int) else SAMPLES
        found.append({**spectrum, "input_values": draw.randn(BATCH, 1, samples)})
    return found


def _audio_mel(draw: Draw) -> list[Inputs]:
    """A mel spectrogram as Gemma 3n names it, with its padding mask (True: padding)."""
    bins = int(_get(draw.config, "input_feat_size", default=feature_bins(draw.config)[0]))
    padding = draw.torch.zeros(BATCH, FRAMES, dtype=draw.torch.bool)
    return [{"audio_mel": draw.randn(BATCH, FRAMES, bins), "audio_mel_mask": padding}]


# Time series, embeddings, patches and other inputs some models name their own way.


def time_series(draw: Draw) -> list[Inputs]:
    """A past window of a time series (``context_length`` steps, plus the longest lag), with the
    masks, paddings, time features and future window the forecasting models ask for."""
    torch, spec, config = draw.torch, draw.spec, draw.config
    lags = _get(config, "lags_sequence", default=None)
    length = int(_get(config, "context_length", default=SERIES)) + (max(lags) if lags else 0)
    channels = _get(config, "num_input_channels", default=None)
    size = int(_get(config, "input_size", default=1))
    shape: tuple[int, ...] = (BATCH, length)
    if channels is not None:
        shape = (BATCH, length, int(channels))
    elif size > 1:
        shape = (BATCH, length, size)
    found: Inputs = {"past_values": draw.randn(*shape)}
    if spec.takes("past_observed_mask"):
        found["past_observed_mask"] = torch.ones(shape)
    if spec.takes("past_values_padding"):
        found["past_values_padding"] = torch.zeros(BATCH, length)
    if spec.takes("freq") and spec.params["freq"].default is not None:  # None: the model picks
        found["freq"] = torch.zeros(BATCH, 1, dtype=torch.long)
    features = int(_get(config, "num_time_features", default=0))
    if spec.takes("past_time_features"):
        found["past_time_features"] = draw.randn(BATCH, length, features)
    horizon = _get(config, "prediction_length", default=None)
    if spec.takes("future_time_features") and isinstance(horizon, int):
        found["future_time_features"] = draw.randn(BATCH, horizon, features)
    return [found]


def _draft_context(draw: Draw) -> list[Inputs]:
    """A draft model's noise for its block and the target model's hidden states it reads, one
    slice per target layer."""
    hidden = _text_width(draw.config)
    block = int(_get(draw.config, "block_size", default=SEQ))
    layers = len(_get(draw.config, "target_layer_ids", default=[0]))
    return [
        {
            "noise_embeds": draw.randn(BATCH, block, hidden),
            "context_hidden_states": draw.randn(BATCH, SEQ, hidden * layers),
        }
    ]


def _only_embeds(spec: Spec) -> bool:
    """Embeddings are the input of a forward without ids and without another input of its own."""
    own = spec.takes("audio_mel") or spec.takes("noise_embeds", "context_hidden_states")
    return not spec.takes("input_ids") and not own


def _embeds(draw: Draw) -> list[Inputs]:
    return [{"inputs_embeds": draw.randn(BATCH, SEQ, _text_width(draw.config))}]


def _positioned_patches(draw: Draw) -> list[Inputs]:
    """Gemma 4's patches, with the ``(x, y)`` position of each."""
    torch, vision = draw.torch, _vision_config(draw.config)
    patch = int(_get(vision, "patch_size", default=16))
    side = 2 * int(_get(vision, "pooling_kernel_size", default=2))
    rows, cols = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    grid = torch.stack([cols.flatten(), rows.flatten()], dim=-1)
    return [
        {
            "pixel_values": draw.randn(BATCH, side * side, 3 * patch * patch),
            "pixel_position_ids": grid.expand(BATCH, side * side, 2),
        }
    ]


def _sized_image(draw: Draw) -> list[Inputs]:
    """An image with its grid of patches (MiniCPM-V's ``target_sizes``)."""
    patch = int(_get(_vision_config(draw.config), "patch_size", default=14))
    height, width = image_size(draw.config)
    grid = [height // patch, width // patch]
    return [
        {
            "pixel_values": pixel_values(draw.torch, draw.config, "base", draw.generator),
            "target_sizes": draw.torch.tensor([grid] * BATCH, dtype=draw.torch.int32),
        }
    ]


def _trajectories(draw: Draw) -> list[Inputs]:
    """Decision Transformer's trajectories: states, actions, rewards, returns and steps."""
    torch, config = draw.torch, draw.config
    return [
        {
            "states": draw.randn(BATCH, SEQ, int(config.state_dim)),
            "actions": draw.randn(BATCH, SEQ, int(config.act_dim)),
            "rewards": draw.randn(BATCH, SEQ, 1),
            "returns_to_go": draw.randn(BATCH, SEQ, 1),
            "timesteps": torch.arange(SEQ).expand(BATCH, SEQ),
            "attention_mask": torch.ones(BATCH, SEQ, dtype=torch.long),
        }
    ]


def _prompted_image(draw: Draw) -> list[Inputs]:
    """SegGPT's input image, prompt image and prompt mask: the prompt and the input, stacked,
    fill the config's image size."""
    height, width = image_size(draw.config)
    channels = int(_get(draw.config, "num_channels", default=3))
    shape = (BATCH, channels, height // 2, width)
    return [
        {
            "pixel_values": draw.randn(*shape),
            "prompt_pixel_values": draw.randn(*shape),
            "prompt_masks": draw.randn(*shape),
        }
    ]


def flat_patches(draw: Draw) -> Inputs:
    """Flattened patches of one image and its ``grid_thw``, as Qwen-VL style vision towers take."""
    vision = _vision_config(draw.config)
    patch = int(_get(vision, "patch_size", default=14))
    temporal = int(_get(vision, "temporal_patch_size", "patch_temporal", default=1))
    channels = int(_get(vision, "in_channels", "num_channels", "in_chans", default=3))
    merge = int(_get(vision, "spatial_merge_size", "merge_size", default=2))
    side = 2 * merge
    return {
        "hidden_states": draw.randn(side * side, channels * temporal * patch * patch),
        "grid_thw": draw.torch.tensor([[1, side, side]]),
    }


def patch_towers(draw: Draw) -> list[Inputs]:
    """Flattened patches as ``pixel_values`` with their grid under the name the vision tower
    uses (``grid_thw``, ``image_grid_thw``), and ``merge_sizes`` where it asks for them; then the
    same patches in the layouts of ``patch_layouts``."""
    grid = next(name for name in _GRID_NAMES if name in draw.spec.params)
    patches = flat_patches(draw)
    tower = {"pixel_values": patches["hidden_states"], grid: patches["grid_thw"]}
    if draw.spec.takes("merge_sizes"):
        merge = int(_get(_vision_config(draw.config), "spatial_merge_size", default=2))
        tower["merge_sizes"] = draw.torch.tensor([merge])
    return [tower, *patch_layouts(draw.config, tower, grid)]


def patch_layouts(config: Any, tower: Inputs, grid: str) -> list[Inputs]:
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


def query_inputs(draw: Draw) -> list[Inputs]:
    """Query embeddings for a Q-Former on its own (``query_embeds``), and the image features its
    cross-attention reads (``encoder_hidden_states``, ``encoder_hidden_size`` wide)."""
    hidden = int(_get(draw.config, "hidden_size", default=HIDDEN_FEATURES))
    found = {"query_embeds": draw.randn(BATCH, REGIONS, hidden)}
    if draw.spec.takes("encoder_hidden_states"):
        width = int(_get(draw.config, "encoder_hidden_size", default=hidden))
        found["encoder_hidden_states"] = draw.randn(BATCH, SEQ, width)
    return [found]


# Last resorts, tried after everything else.


def regions(draw: Draw) -> list[Inputs]:
    """Boxes that go with the text: a layout box per token (``bbox``, corners in ``[0, 1]``), or
    region features and their boxes (``visual_feats``, ``visual_pos``)."""
    torch, found = draw.torch, {}
    if draw.spec.takes("bbox"):
        corners = torch.rand(BATCH, SEQ, 2, 2, generator=draw.generator).sort(dim=2).values
        found["bbox"] = corners.transpose(2, 3).reshape(BATCH, SEQ, 4)
    if draw.spec.takes("visual_feats", "visual_pos"):
        dim = int(_get(draw.config, "visual_feat_dim", default=HIDDEN_FEATURES))
        found["visual_feats"] = draw.randn(BATCH, REGIONS, dim)
        found["visual_pos"] = torch.rand(BATCH, REGIONS, 4, generator=draw.generator)
    return [found]


def _image_pair(draw: Draw) -> list[Inputs]:
    """For a matcher whose head does not say so: the shared image and a second one."""
    if draw.pixels.dim() != 4:
        return []
    second = draw.randn(*draw.pixels.shape)
    return [{"pixel_values": draw.torch.stack([draw.pixels, second], dim=1)}]


def _embedded_inputs(draw: Draw) -> list[Inputs]:
    """Perceiver without a preprocessor: inputs already embedded, ``d_model`` wide."""
    width = int(_get(draw.config, "d_model", "hidden_size", default=HIDDEN_FEATURES))
    return [{"inputs": draw.randn(BATCH, SEQ, width)}]


def _has_codebooks(spec: Spec) -> bool:
    codebooks = _get(spec.config, "num_codebooks")
    return isinstance(codebooks, int) and isinstance(_get(spec.config, "codebook_vocab_size"), int)


def codebook_streams(draw: Draw) -> list[Inputs]:
    """Token ids of a text stream and ``num_codebooks`` audio codebook streams side by side,
    ``(batch, seq, 1 + codebooks)``, as Kyutai's speech-to-text model reads them."""
    torch, config = draw.torch, draw.config
    vocab = int(config.codebook_vocab_size)
    high = _id_ceiling(vocab)
    text = draw.ids((BATCH, SEQ)).unsqueeze(-1)
    audio = torch.randint(0, high, (BATCH, SEQ, config.num_codebooks), generator=draw.generator)
    found = {"input_ids": torch.cat([text, audio], dim=-1)}
    if draw.spec.takes("attention_mask"):
        found["attention_mask"] = torch.ones(BATCH, SEQ, dtype=torch.long)
    return [found]


def latent_inputs(draw: Draw) -> list[Inputs]:
    """For a forward that takes only ``hidden_states`` or ``latents`` (the encoder or decoder
    half of an audio codec, say): a waveform of the config's channels, then latent frames of its
    hidden size in either layout."""
    config = draw.config
    name = next(name for name in _LATENT_NAMES if name in draw.spec.params)
    channels = int(_get(config, "channels", "audio_channels", default=1))
    hidden = int(_get(config, "hidden_size", "d_model", "latent_dim", default=HIDDEN_FEATURES))
    return [
        {name: draw.randn(BATCH, channels, SAMPLES)},
        {name: draw.randn(BATCH, hidden, FRAMES)},
        {name: draw.randn(BATCH, FRAMES, hidden)},
    ]


def _same(a: Inputs, b: Inputs) -> bool:
    return all(a[k].shape == b[k].shape for k in a)


def _encoder_decoder(spec: Spec) -> bool:
    return bool(_get(spec.config, "is_encoder_decoder"))


def _no_ids(spec: Spec) -> bool:
    return not spec.takes("input_ids")


def _any_of(*names: str) -> Callable[[Spec], bool]:
    return lambda spec: any(spec.takes(name) for name in names)


# Grouped by join, each group in the order its sets are tried.
RECIPES: tuple[Recipe, ...] = (
    Recipe("input_ids", "text", _input_ids, ("input_ids",)),
    Recipe(
        "qformer_input_ids",
        "text",
        _qformer_ids,
        ("qformer_input_ids",),
        lambda s: _get(s.config, "qformer_config") is not None,
    ),
    Recipe("decoder_input_ids", "text", _decoder_ids, ("decoder_input_ids",), _encoder_decoder),
    Recipe("decoder_input_values", "text", _decoder_values, ("decoder_input_values",)),
    Recipe("decision_questions", "text", decision_questions, _QUESTIONS),
    Recipe(
        "image_embeds_position_mask",
        "media",
        _image_slots,
        (_IMAGE, "image_embeds_position_mask"),
        _image_slots_fit,
    ),
    Recipe("query_tokens", "media", _query_tokens, (_IMAGE, "input_ids")),
    Recipe(_IMAGE, "media", _image, (_IMAGE,)),
    Recipe(
        "image_attention_mask",
        "media",
        _image_per_token,
        (_IMAGE, "image_attention_mask", "input_ids"),
    ),
    Recipe(
        "spatial_shapes",
        "media",
        patch_sequence,
        (_IMAGE, "spatial_shapes", "pixel_attention_mask"),
    ),
    Recipe("aspect_ratio_ids", "media", tiled_image, (_IMAGE, "aspect_ratio_ids"), _no_ids),
    Recipe(
        "robot_state", "media", robot_inputs, (_IMAGE,), _any_of("state", "action_embeds", "noise")
    ),
    Recipe(
        "classes_input_ids",
        "media",
        class_prompts,
        (_IMAGE, "classes_input_ids", "tasks_input_ids"),
    ),
    Recipe("flattened_patches", "media", numbered_patches, ("flattened_patches",), _no_ids),
    Recipe("task_inputs", "every-media", _task_prompt, ("task_inputs",)),
    Recipe(
        "bool_masked_pos",
        "every-media",
        masked_patches,
        when=lambda s: s.requires("bool_masked_pos"),
    ),
    Recipe("pixel_values_videos", "media", _videos, ("pixel_values_videos",)),
    Recipe("input_values", "media", _waveforms, ("input_values",)),
    Recipe("input_features", "media", spectra, ("input_features",)),
    Recipe(
        "input_features_with_waveform", "media", with_waveforms, ("input_values", "input_features")
    ),
    Recipe("past_values", "media", time_series, ("past_values",)),
    Recipe("audio_mel", "media", _audio_mel, ("audio_mel",)),
    Recipe("noise_embeds", "media", _draft_context, ("noise_embeds", "context_hidden_states")),
    Recipe("inputs_embeds", "media", _embeds, ("inputs_embeds",), _only_embeds),
    Recipe("pixel_position_ids", "media", _positioned_patches, (_IMAGE, "pixel_position_ids")),
    Recipe("target_sizes", "media", _sized_image, (_IMAGE, "target_sizes")),
    Recipe(
        "trajectories", "media", _trajectories, ("states", "actions", "returns_to_go", "timesteps")
    ),
    Recipe("prompt_masks", "media", _prompted_image, ("prompt_pixel_values", "prompt_masks")),
    Recipe("grid_thw", "media", lambda d: [flat_patches(d)], ("grid_thw", "hidden_states")),
    Recipe(
        "patch_tower",
        "media",
        patch_towers,
        (_IMAGE,),
        lambda s: _any_of(*_GRID_NAMES)(s) and _no_ids(s),
    ),
    Recipe("query_embeds", "media", query_inputs, ("query_embeds",)),
    Recipe(
        "regions",
        "boxes",
        regions,
        when=lambda s: s.takes("bbox") or s.takes("visual_feats", "visual_pos"),
    ),
    Recipe("image_pair", "last", _image_pair, (_IMAGE,)),
    Recipe("inputs", "fallback", _embedded_inputs, ("inputs",)),
    Recipe(
        "decoder_input_ids_again",
        "again",
        _decoder_ids,
        ("decoder_input_ids",),
        lambda s: not _encoder_decoder(s),
    ),
    Recipe("codebook_streams", "last", codebook_streams, ("input_ids",), _has_codebooks),
    Recipe("latents", "fallback", latent_inputs, when=_any_of(*_LATENT_NAMES)),
)


_MISSING = re.compile(r"missing \d+ required (?:positional|keyword-only) arguments?: (.*)")


def missing_arguments(message: str) -> tuple[str, ...]:
    """The names a ``TypeError`` says a call lacked (``missing 1 required positional argument:
    'timestep_embeds'``); empty for any other message."""
    match = _MISSING.search(message)
    return tuple(re.findall(r"'(\w+)'", match.group(1))) if match else ()


def completions(model: Any, given: Inputs, names: tuple[str, ...]) -> list[Inputs]:
    """``given`` with the inputs ``names`` added, for a forward (or a module it calls with its
    ``**kwargs``) that refused to run without them: each made from its name and the config's
    widths, in the shapes it may have, likeliest first (at most ``COMPLETIONS`` sets)."""
    torch = importlib.import_module("torch")
    gen = generator(torch, "completions")
    sets: list[Inputs] = [dict(given)]
    for name in names:
        sets = [
            {**inputs, name: value}
            for inputs in sets
            for value in _guesses(torch, gen, model.config, inputs, name)
        ]
    return sets[:COMPLETIONS]


def _guesses(torch: Any, gen: Any, config: Any, given: Inputs, name: str) -> list[Any]:
    """Tensors ``name`` may be: ids and masks over the text's length; anything else a float
    tensor of a width from the config (that of an embedding beside it first), per example,
    per position of that embedding, or per position of the text."""
    if name.endswith("_ids"):
        return [token_ids(torch, config, (BATCH, SEQ), gen)]
    if name.endswith("mask"):
        return [torch.ones(BATCH, SEQ, dtype=torch.long)]
    beside = [v for k, v in given.items() if k.endswith("_embeds") and v.dim() == 3]
    lengths = [int(v.shape[1]) for v in beside] + [SEQ]
    widths = list(dict.fromkeys([*(int(v.shape[-1]) for v in beside), *_widths(config)]))
    guesses = [torch.randn(BATCH, w, generator=gen) for w in widths]
    guesses += [torch.randn(BATCH, n, w, generator=gen) for n in lengths for w in widths]
    return guesses


def _widths(config: Any) -> list[int]:
    """The hidden sizes of a config and of its sub-configs, the config's own first."""
    found = [_get(config, "hidden_size", "d_model")]
    found += [
        _get(sub, "hidden_size", "d_model")
        for sub in vars(config).values()
        if hasattr(sub, "to_dict")
    ]
    return [int(w) for w in found if isinstance(w, int)] or [HIDDEN_FEATURES]
