"""The catalog's pure functions and the shipped registry snapshot (no torch needed)."""

from __future__ import annotations

import pytest

from pytest_modelgate.models import catalog


@pytest.mark.parametrize(
    ("mapping", "head"),
    [
        ("MODEL_MAPPING_NAMES", "base"),
        ("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "causal-lm"),
        ("MODEL_FOR_MASKED_LM_MAPPING_NAMES", "fill-mask"),
        ("MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES", "seq2seq-lm"),
        ("MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES", "speech-seq2seq"),
        ("MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES", "image-classification"),
    ],
)
def test_head_name(mapping: str, head: str) -> None:
    assert catalog.head_name(mapping) == head


def test_head_name_refuses_other_names() -> None:
    with pytest.raises(ValueError, match="CONFIG_MAPPING_NAMES"):
        catalog.head_name("CONFIG_MAPPING_NAMES")


@pytest.mark.parametrize(
    ("heads", "category"),
    [
        ({"base", "fill-mask"}, "text"),
        ({"base", "image-classification"}, "vision"),
        ({"base", "ctc", "causal-lm"}, "audio"),
        ({"base", "image-classification", "zero-shot-image-classification"}, "multimodal"),
    ],
)
def test_categorize(heads: set[str], category: str) -> None:
    assert catalog.categorize(heads) == category


def test_pairs_from_mappings() -> None:
    pairs = catalog.pairs_from_mappings(
        {
            "MODEL_MAPPING_NAMES": {"bert": "BertModel", "funnel": ("FunnelModel", "FunnelBase")},
            "MODEL_FOR_MASKED_LM_MAPPING_NAMES": {"bert": "BertForMaskedLM"},
        }
    )
    assert [p.id for p in pairs] == ["bert-base", "bert-fill-mask", "funnel-base"]
    assert pairs[2].class_name == "FunnelModel"
    assert {p.category for p in pairs} == {"text"}


def test_shipped_registry() -> None:
    registry = catalog.load_registry()
    assert len(registry.pairs) >= 1900
    assert len({p.id for p in registry.pairs}) == len(registry.pairs)
    assert registry.category_of("vit") == "vision"
    assert registry.category_of("whisper") == "audio"
    assert registry.category_of("llava") == "multimodal"
    assert registry.category_of("bert") == "text"
    assert "fill-mask" in registry.heads_of("bert")
    assert registry.find_model_type("XLM_RoBERTa") == "xlm-roberta"
    assert registry.find_model_type("no-such-model") is None
    for heads in catalog.TASK_HEADS.values():
        assert all(any(p.head == h for p in registry.pairs) for h in heads), heads
