"""Skillset shape: the model type is only a field, and a checkpoint-family name (DialoGPT is
a gpt2), in a class not named Test<Name>Models."""
import importlib.util


class TestSkillsetDialogpt:
    def __init__(self):
        self.model_type = "dialogpt"
        self.model_type_safe = "dialogpt"
        self.options = {"model": self.model_type, "task": "text-generation"}

    def load(self, path):
        return importlib.util.spec_from_file_location(f"hf_{self.model_type}", path)
