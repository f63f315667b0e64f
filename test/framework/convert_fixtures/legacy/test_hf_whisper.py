"""Legacy whisper test: a unittest case, tasks listed, audio probe."""
import unittest

MODEL_REGISTRY = {
    "openai/whisper-tiny": {"description": "smallest whisper", "recommended_tasks": ["automatic-speech-recognition"]},
}


class TestWhisperModels(unittest.TestCase):
    model_id = "openai/whisper-tiny"

    def test_transcribe(self):
        from transformers import pipeline
        asr = pipeline(task="automatic-speech-recognition", model=self.model_id)
        self.assertIn("text", asr({"raw": [0.0] * 16000, "sampling_rate": 16000}))


if __name__ == "__main__":
    unittest.main()
