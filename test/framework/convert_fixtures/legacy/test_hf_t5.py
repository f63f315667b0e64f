"""Legacy t5 test: statements pasted on one line in the class body, a try: with no body."""
import transformers
from transformers import T5ForConditionalGeneration

class TestT5Models:
    model_id = "google-t5/t5-small"    task = "translation_en_to_fr"    recommended_tasks = ["summarization", "translation"]
    def test_from_pretrained(self):
        try:
        except Exception as error:
            print(error)
        model = T5ForConditionalGeneration.from_pretrained(self.model_id)
        return model
