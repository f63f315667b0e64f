"""The input recipes' table, seeds and choices: what a pair's inputs are made of, without torch."""

from __future__ import annotations

import inspect
import subprocess
import sys
import zlib
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_modelgate.models import inputs

NAMES = [recipe.name for recipe in inputs.RECIPES]


def spec(*names: str, head: str = "base", required: tuple[str, ...] = (), **config: Any) -> Any:
    """A spec for a forward taking ``names`` (with defaults) and ``required`` (without)."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = {name: inspect.Parameter(name, keyword, default=None) for name in names}
    params |= {name: inspect.Parameter(name, keyword) for name in required}
    return inputs.Spec(params, SimpleNamespace(**config), head)


def applied(recipe_spec: inputs.Spec) -> list[str]:
    return [recipe.name for recipe in inputs.applicable(recipe_spec)]


def test_recipe_names_are_unique() -> None:
    assert [name for name, count in Counter(NAMES).items() if count > 1] == []


def test_a_recipes_seed_is_a_stable_hash_of_its_name_only() -> None:
    assert inputs.seed_of("input_ids") == zlib.crc32(b"input_ids") == 1_955_134_192
    assert len({inputs.seed_of(name) for name in NAMES}) == len(NAMES)
    # hash() of a string changes with the process; the seed must not.
    code = "from pytest_modelgate.models import inputs; print(inputs.seed_of('pixel_values'))"
    seeds = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": salt},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for salt in ("1", "2")
    }
    assert seeds == {str(inputs.seed_of("pixel_values"))}


def test_each_recipe_draws_from_a_generator_seeded_by_its_name() -> None:
    class Generator:
        def manual_seed(self, seed: int) -> int:
            return seed

    torch = SimpleNamespace(Generator=Generator)
    assert inputs.generator(torch, "regions") == zlib.crc32(b"regions")


def test_table_order_is_the_order_sets_are_tried() -> None:
    known = [
        "input_ids",
        "decoder_input_ids",
        "image_embeds_position_mask",
        "query_tokens",
        "pixel_values",
        "task_inputs",
        "bool_masked_pos",
        "input_values",
        "input_features",
        "input_features_with_waveform",
        "past_values",
        "trajectories",
        "regions",
        "image_pair",
        "inputs",
        "decoder_input_ids_again",
        "codebook_streams",
        "latents",
    ]
    assert [name for name in NAMES if name in known] == known


def test_recipes_are_grouped_by_how_they_join() -> None:
    """The sets a model is built with come before the last resorts tried after them."""
    first = ("text", "media", "every-media")
    joins = [recipe.joins for recipe in inputs.RECIPES]
    assert joins[0] == "text"
    assert joins.index("boxes") > max(i for i, join in enumerate(joins) if join in first)
    assert joins[-1] == "fallback"


@pytest.mark.parametrize(
    ("recipe_spec", "names"),
    [
        pytest.param(
            spec(
                "input_ids", "attention_mask", "token_type_ids", "inputs_embeds", head="fill-mask"
            ),
            ["input_ids"],
            id="bert-fill-mask",
        ),
        pytest.param(
            spec("pixel_values", "labels", "attention_mask", head="image-classification"),
            ["pixel_values", "image_pair"],
            id="vit-image-classification",
        ),
        pytest.param(
            spec(
                "input_features",
                "attention_mask",
                "decoder_input_ids",
                head="speech-seq2seq",
                is_encoder_decoder=True,
            ),
            ["decoder_input_ids", "input_features"],
            id="whisper-speech-seq2seq",
        ),
        pytest.param(
            spec("input_ids", "bbox", "attention_mask", "inputs_embeds"),
            ["input_ids", "regions"],
            id="layoutlm-base",
        ),
        pytest.param(
            spec("states", "actions", "rewards", "returns_to_go", "timesteps", "attention_mask"),
            ["trajectories"],
            id="decision_transformer-base",
        ),
        pytest.param(
            spec("input_ids", "decoder_input_ids", is_encoder_decoder=False),
            ["input_ids", "decoder_input_ids_again"],
            id="decoder-ids-last-for-a-model-that-is-no-encoder-decoder",
        ),
        pytest.param(
            spec("pixel_values", required=("bool_masked_pos",)),
            ["pixel_values", "bool_masked_pos", "image_pair"],
            id="a-required-mask",
        ),
        pytest.param(
            spec("pixel_values", "bool_masked_pos"),
            ["pixel_values", "image_pair"],
            id="an-optional-mask",
        ),
        pytest.param(spec("inputs_embeds", "audio_mel"), ["audio_mel"], id="embeds-of-its-own"),
        pytest.param(spec("hidden_states"), ["latents"], id="a-codec-half"),
    ],
)
def test_recipes_that_apply(recipe_spec: inputs.Spec, names: list[str]) -> None:
    assert applied(recipe_spec) == names


def test_a_new_recipe_applies_without_changing_which_others_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layout = spec("input_ids", "bbox", "attention_mask")
    extra = inputs.Recipe("extra", "text", lambda draw: [])
    monkeypatch.setattr(inputs, "RECIPES", (extra, *inputs.RECIPES))
    assert applied(layout) == ["extra", "input_ids", "regions"]


@pytest.mark.parametrize(
    ("message", "names"),
    [
        (
            "forward() missing 1 required positional argument: 'timestep_embeds'",
            ("timestep_embeds",),
        ),
        ("f() missing 2 required keyword-only arguments: 'a' and 'b_mask'", ("a", "b_mask")),
        ("forward() got an unexpected keyword argument 'timestep'", ()),
        ("'NoneType' object has no attribute 'shape'", ()),
    ],
)
def test_missing_arguments_reads_the_names_a_call_lacked(
    message: str, names: tuple[str, ...]
) -> None:
    assert inputs.missing_arguments(message) == names
