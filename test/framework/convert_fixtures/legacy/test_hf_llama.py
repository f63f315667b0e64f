"""Legacy llama test: MODEL_ID constant, task as a pipeline keyword."""
import transformers

MODEL_ID = "meta-llama/Llama-3.2-1B"


def run(device="cpu"):
    generator = transformers.pipeline(task="text-generation", model=MODEL_ID, device=device)
    return generator("Once upon a time", max_new_tokens=8)


if __name__ == "__main__":
    print(run())
