#!/usr/bin/env python3
"""Legacy test for bert-family models (registry, test class, pipeline kwargs, hardware probe)."""

import os
import sys
import json
import logging

logger = logging.getLogger(__name__)

try:
    import torch
    HAS_TORCH = True
except ImportError:
    HAS_TORCH = False


def check_hardware():
    capabilities = {"cpu": True, "cuda": False, "mps": False}
    if HAS_TORCH:
        capabilities["cuda"] = torch.cuda.is_available()
        capabilities["mps"] = torch.backends.mps.is_available()
    return capabilities


HW_CAPABILITIES = check_hardware()

BERT_MODELS_REGISTRY = {
    "google-bert/bert-base-uncased": {
        "description": "BERT base, uncased",
        "model_type": "bert",
        "class": "BertForMaskedLM",
        "task": "fill-mask",
    },
    "google-bert/bert-large-cased": {
        "description": "BERT large, cased",
        "class": "BertForMaskedLM",
    },
}


class TestBertModels:
    def __init__(self, model_id=None):
        self.model_id = model_id or "google-bert/bert-base-uncased"
        self.model_info = BERT_MODELS_REGISTRY.get(self.model_id, {})
        self.task = "fill-mask"
        self.test_text = "The capital of France is [MASK]."

    def test_pipeline(self, device="cpu"):
        import transformers
        pipeline_kwargs = {"task": self.task, "model": self.model_id, "device": device}
        pipe = transformers.pipeline(**pipeline_kwargs)
        return pipe(self.test_text)

    def test_from_pretrained(self, device="cpu"):
        import transformers
        tokenizer = transformers.AutoTokenizer.from_pretrained(self.model_id)
        model = transformers.BertForMaskedLM.from_pretrained(self.model_id).to(device)
        return model(**tokenizer(self.test_text, return_tensors="pt"))


if __name__ == "__main__":
    results = TestBertModels().test_pipeline()
    print(json.dumps(results, default=str))
    sys.exit(0)
