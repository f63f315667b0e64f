"""Legacy opt test whose closing quotes were lost: even tokenize gives up on it.
from transformers import OPTForCausalLM

class TestOptModels:
    def __init__(self, model_id="facebook/opt-125m"):
        self.model_id = model_id
        self.task = "text-generation"
