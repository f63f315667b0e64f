#!/usr/bin/env python3
# Skillset template of a model type transformers has a config for but no auto model class,
# garbled like its originals (not Python): its only "model_type" is a task, passed as a default
# to every init method, so the file name alone names the model.
import os
import sys

try:
    from ipfs_accelerate_py.worker.skillset.hf_nougat import hf_nougat
    HAS_IMPLEMENTATION = True
except ImportError:
    class hf_nougat:
        def __init__()self, resources=None, metadata=None):
            self.resources = resources or {}}}}}

        def init_cpu()self, model_name=None, model_type="text-generation", **kwargs):
            return None, None, lambda x: {}}}}"output": "Mock CPU output"}, None, 1

        def init_cuda()self, model_name=None, model_type="text-generation", device_label="cuda:0", **kwargs):
            return None, None, lambda x: {}}}}"output": "Mock CUDA output"}, None, 1

class test_hf_nougat:
    def __init__()self, resources=None, metadata=None):
        self.module = hf_nougat()resources, metadata)

    def test_cpu()self):
        try:
            model_name = self._get_default_model_name())
            _, _, pred_fn, _, _ = self.module.init_cpu()model_name=model_name)
            result = pred_fn()"The quick brown fox jumps over the lazy dog.")
        return {}}}}"cpu_status": "Success"}
        except Exception as e:
        return {}}}}"cpu_status": "Failed: " + str()e)}

    def _get_default_model_name()self):
        return "test-model"  # Replace with an appropriate default
