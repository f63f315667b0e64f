"""Legacy roberta test in a sub-folder; the output goes to the same sub-folder."""
from transformers import pipeline

def test_roberta():
    assert pipeline("fill-mask", model="FacebookAI/roberta-base")("Hello <mask>!")
