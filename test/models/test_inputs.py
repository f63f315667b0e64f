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


def test_a_forward_that_names_an_input_it_lacked_gets_one_made() -> None:
    """A base model may pass its ``**kwargs`` on to a part that requires an input its own
    signature does not show (PI0.5's action expert and ``timestep_embeds``): the probe reads
    the name from the error and makes it, of the width of the embedding beside it."""
    torch = importlib.import_module("torch")

    class Expert(torch.nn.Module):  # type: ignore[misc]
        def forward(self, inputs_embeds: Any, timestep_embeds: Any) -> Any:
            return inputs_embeds * timestep_embeds[:, None, :]

    class Policy(torch.nn.Module):  # type: ignore[misc]
        config = type("Config", (), {"hidden_size": 4})()

        def __init__(self) -> None:
            super().__init__()
            self.expert = Expert()

        def forward(self, action_embeds: Any, **kwargs: Any) -> Any:
            return self.expert(action_embeds, **kwargs)

    errors: list[str] = []
    given = {"action_embeds": torch.ones(1, 3, 6)}
    probed = checks._first_that_runs(Policy(), given, "cpu", errors)
    assert probed is not None, errors
    assert probed.built.inputs["timestep_embeds"].shape == (1, 6)  # the width beside it
    assert tuple(probed.output.shape) == (1, 3, 6)
    assert len(errors) == 1 and "argument: 'timestep_embeds'" in errors[0]  # the first try's
