"""Hostile: model ids that try to break out of a string literal."""
from transformers import ElectraModel

MODEL_ID = "google/electra\n__import__('os').system('echo pwned')"


class TestElectraModels:
    def __init__(self, model_id="electra'); __import__(\"os\").system(\"echo pwned\"); ('"):
        self.model_id = model_id

    def test_load(self):
        return ElectraModel.from_pretrained("google/electra-small-discriminator")
