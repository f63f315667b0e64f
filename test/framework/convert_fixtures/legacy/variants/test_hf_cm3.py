"""Skillset shape of a model transformers lacks: converted as an unknown type, as the same
model with a Test<Name>Models class would be."""


class TestSkillsetCm3:
    def __init__(self):
        self.model_type = "cm3"
        self.options = {"model": self.model_type}
