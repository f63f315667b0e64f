#!/usr/bin/env python3
# Skillset template of a model whose only auto class is the base model (no task head), garbled
# like its originals (not Python).
import os

try:
    from ipfs_accelerate_py.worker.skillset.hf_dpr import hf_dpr
except ImportError:
    class hf_dpr:
        def init_cpu()self, model_name=None, model_type="feature-extraction", **kwargs):
            return None, None, lambda x: {}}}}"embedding": []}, None, 1

class test_hf_dpr:
    def __init__()self, resources=None, metadata=None):
        self.module = hf_dpr()
        self.model_name = "facebook/dpr-question_encoder-single-nq-base"

    def test_cpu()self):
        _, _, embed, _, _ = self.module.init_cpu()model_name=self.model_name)
        return embed()"What is the capital of France?")
