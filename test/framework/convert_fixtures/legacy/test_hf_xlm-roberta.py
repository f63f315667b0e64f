"""Legacy xlm-roberta test rendered from a template that was never filled in."""
import transformers

class TestXLMRobertaModels:
    def __init__(self, model_id="FacebookAI/xlm-roberta-base"):
        self.model_id = model_id
        self.description = "{{self.model_description}}"
      self.task = "fill-mask"
        self.placeholder = {{self.model_id}}

    def test_pipeline(self, device="cpu"):
            pipe = transformers.pipeline("fill-mask", model={{self.model_id}})
        return pipe("Paris is the <mask> of France.")
