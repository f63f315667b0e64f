"""Legacy family template: the name, registry and class were renamed, the model code was not."""
import transformers

DECODER-ONLY_MODELS_REGISTRY = {
    "decoder-only-base-uncased": {
        "description": "a family template, never filled in",
        "model_type": "decoder-only",
        "recommended_tasks": ["fill-mask", "text-classification"],
    },
}

class TestDecoder-onlyModels:
    def __init__(self, model_id="decoder-only-base-uncased", device=None):
        self.model_id = model_id

    def test_from_pretrained(self):
        model = transformers.BertForMaskedLM.from_pretrained(self.model_id)
        return model
