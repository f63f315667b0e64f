"""Legacy gpt2 test: positional pipeline task, unittest runner, recommended_tasks."""
import unittest

from transformers import pipeline, GPT2LMHeadModel

recommended_tasks = ["text-generation", "text-classification"]


class TestGpt2Models(unittest.TestCase):
    def setUp(self):
        self.generator = pipeline("text-generation", model="openai-community/gpt2")

    def test_generate(self):
        out = self.generator("Hello, I am", max_new_tokens=5)
        self.assertTrue(out)


if __name__ == "__main__":
    unittest.main()
