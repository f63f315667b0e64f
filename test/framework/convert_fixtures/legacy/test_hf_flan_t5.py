"""Legacy test named after a fine-tuned family: its model type ends the name."""
from transformers import AutoTokenizer, T5ForConditionalGeneration


class TestFlanT5Models:
    def __init__(self, model_id="google/flan-t5-small"):
        self.model_id = model_id

    def test_generate(self):
        tokenizer = AutoTokenizer.from_pretrained(self.model_id)
        model = T5ForConditionalGeneration.from_pretrained(self.model_id)
        ids = tokenizer("translate English to German: hello", return_tensors="pt").input_ids
        return model.generate(ids)
