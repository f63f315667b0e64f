"""A generated test whose task test is a constant: the first model name is dead code."""
from transformers import AutoModel


class TestDistilbertSkill:
    def __init__(self):
        if "feature-extraction" == "text-generation":
            self.model_name = "distilgpt2"
        else:
            self.model_name = "distilbert-base-uncased"

    def test_features(self):
        return AutoModel.from_pretrained(self.model_name)
