"""The inputs a few pairs run on, pinned; and a recipe's draws, whatever else the table holds.

Each input recipe draws from a generator seeded from its own name, so these values change when
a recipe that the pair uses changes, never because another recipe was added or removed.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from pytest_modelgate.models import checks, inputs

pytestmark = [pytest.mark.model, pytest.mark.cpu]

Summary = dict[str, tuple[tuple[int, ...], float]]

# The input set each pair runs on: per input, its shape and the sum of its values, rounded.
PINNED: dict[tuple[str, str], Summary] = {
    ("bert", "fill-mask"): {"input_ids": ((1, 8), 599.0), "attention_mask": ((1, 8), 8.0)},
    ("vit", "image-classification"): {"pixel_values": ((1, 3, 64, 64), -117.437)},
    ("whisper", "speech-seq2seq"): {
        "decoder_input_ids": ((1, 8), 504.0),
        "input_features": ((1, 80, 1024), -222.508),
    },
    ("decision_transformer", "base"): {
        "states": ((1, 8, 17), 17.106),
        "actions": ((1, 8, 4), 5.969),
        "rewards": ((1, 8, 1), 4.014),
        "returns_to_go": ((1, 8, 1), 1.348),
        "timesteps": ((1, 8), 28.0),
        "attention_mask": ((1, 8), 8.0),
    },
}
LAYOUT = ("layoutlm", "token-classification")


def summary(model_inputs: dict[str, Any]) -> Summary:
    return {
        name: (tuple(tensor.shape), round(float(tensor.double().sum()), 3))
        for name, tensor in model_inputs.items()
    }


@pytest.mark.parametrize(("model_type", "head"), list(PINNED), ids="-".join)
def test_pinned_inputs(model_type: str, head: str) -> None:
    built = checks.build(model_type, head, "cpu")
    assert summary(built.inputs) == PINNED[(model_type, head)]


def test_a_recipes_draws_do_not_depend_on_the_other_recipes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    torch = importlib.import_module("torch")
    model = checks.build(*LAYOUT, "cpu").model
    with_boxes = next(found for found in inputs.candidates(model, LAYOUT[1]) if "bbox" in found)
    assert summary(with_boxes) == {
        "input_ids": ((1, 8), 599.0),
        "attention_mask": ((1, 8), 8.0),
        "bbox": ((1, 8, 4), 17.124),
    }

    spec = inputs.Spec(inputs.forward_params(model), model.config, LAYOUT[1])
    recipes = {recipe.name: recipe for recipe in inputs.RECIPES}

    def alone(name: str) -> dict[str, Any]:
        (made,) = recipes[name].build(
            inputs.Draw(spec, torch, inputs.generator(torch, name), {}, None)
        )
        return made

    # Each builder, called on its own, makes what it made among the others.
    assert torch.equal(alone("regions")["bbox"], with_boxes["bbox"])
    assert torch.equal(alone("input_ids")["input_ids"], with_boxes["input_ids"])

    # A recipe that draws a lot, added first, and another one removed: the boxes stay the same.
    greedy = inputs.Recipe("greedy", "text", lambda d: [{"greedy": d.randn(999)}])
    others = tuple(recipe for recipe in inputs.RECIPES if recipe.name != "input_ids")
    monkeypatch.setattr(inputs, "RECIPES", (greedy, *others))
    changed = next(found for found in inputs.candidates(model, LAYOUT[1]) if "bbox" in found)
    assert sorted(changed) == ["bbox", "greedy"]
    assert torch.equal(changed["bbox"], with_boxes["bbox"])
