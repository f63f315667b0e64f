"""Legacy test named after a checkpoint: the model type is the name's leading part."""
from transformers import pipeline

MODEL_ID = "google-bert/bert-base-uncased"


def test_fill_mask():
    unmasker = pipeline("fill-mask", model=MODEL_ID)
    assert unmasker("Hello [MASK].")
