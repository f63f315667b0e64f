"""Legacy test written out from a template whose fields were never filled in."""
import transformers

{registry_name} = {{
    "{default_model}": {{"description": "{model_description}", "class": "{model_class}"}},
}}


class Test{model_family}Models:
    def __init__(self, model_id=None):
        self.model_id = model_id or "{default_model}"
        self.task = "{default_task}"

    def test_pipeline(self):
        pipe = transformers.pipeline(self.task, model=self.model_id)
        return {{"success": True, "output": pipe("{test_input}")}}
