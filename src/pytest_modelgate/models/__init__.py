"""The model-test library: registry catalog, tiny models, inputs and reusable checks.

Only ``catalog`` is importable without torch; the rest import it when they run.
"""
