"""A family template renamed to a model transformers lacks; its model code is still the
template's (an audio model), and the file is no longer Python."""
import transformers

nezha_MODELS_REGISTRY = {}}}}
    "nezha-base": {}}}}
        "description": "NEZHA base model",
        "class": "NezhaModel",
    },
}

class TestNezhaModels:
    def __init__())))self, model_id=None):
        self.model_id = model_id or "nezha-base"
        self.task = "fill-mask"

    def test_from_pretrained())))self):
        if self.class_name == "ASTForAudioClassification":
            model_class = transformers.ASTForAudioClassification
        return model_class.from_pretrained())))self.model_id)
