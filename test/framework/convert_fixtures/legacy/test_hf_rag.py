#!/usr/bin/env python3
"""Legacy test of a retrieval-augmented generator: transformers has a config for its model type
but no auto model class, so the registry snapshot (the auto mappings) does not list it."""

import json
import sys

RAG_MODELS_REGISTRY = {
    "facebook/rag-token-nq": {
        "description": "RAG token model, natural questions",
        "class": "RagTokenForGeneration",
        "task": "text2text-generation",
    },
}


class TestRagModels:
    def __init__(self, model_id=None):
        self.model_id = model_id or "facebook/rag-token-nq"
        self.question = "who holds the record in 100m freestyle"

    def test_from_pretrained(self, device="cpu"):
        import transformers
        tokenizer = transformers.RagTokenizer.from_pretrained(self.model_id)
        retriever = transformers.RagRetriever.from_pretrained(self.model_id, index_name="exact")
        model = transformers.RagTokenForGeneration.from_pretrained(self.model_id, retriever=retriever)
        inputs = tokenizer(self.question, return_tensors="pt")
        return model.generate(input_ids=inputs["input_ids"].to(device))


if __name__ == "__main__":
    print(json.dumps(TestRagModels().test_from_pretrained(), default=str))
    sys.exit(0)
