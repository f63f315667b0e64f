"""Legacy test of a model the transformers registry does not know."""
from transformers import AutoModel, AutoImageProcessor


class TestMysteryNetModels:
    def __init__(self, model_id="example-org/mystery-net-base"):
        self.model_id = model_id
        self.processor = AutoImageProcessor.from_pretrained(self.model_id)

    def test_image(self, image):
        pixel_values = self.processor(images=image, return_tensors="pt").pixel_values
        return AutoModel.from_pretrained(self.model_id)(pixel_values=pixel_values)
