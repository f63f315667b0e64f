"""Legacy clip test copied from the bert template: its task was never changed."""
import transformers

CLIP_MODELS_REGISTRY = {
    "openai/clip-vit-base-patch32": {"description": "CLIP ViT-B/32", "class": "CLIPModel", "task": "fill-mask"},
}


class TestClipModels:
    def __init__(self, model_id=None):
        self.model_id = model_id or "openai/clip-vit-base-patch32"
        self.task = "fill-mask"

    def test_pipeline(self):
        return transformers.pipeline(self.task, model=self.model_id)
