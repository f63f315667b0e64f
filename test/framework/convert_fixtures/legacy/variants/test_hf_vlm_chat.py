"""Not Python: a checkpoint name became the class name. Its id is a plain assignment."""
from transformers import AutoModelForImageTextToText


class TestLlavav1.57BModels:
    """Test for llava-v1.5-7b model"""

    def __init__(self):
        self.model_id = "llava-v1.5-7b"
        self.task = "image-text-to-text"

    def test_from_pretrained(self):
        return AutoModelForImageTextToText.from_pretrained(self.model_id)
