"""Performance baselines: measure a model, store its figures, compare a run with them, report.

One module per concern: ``measure`` (timing and peak memory), ``store`` (the per-device files),
``schema`` (their validation), ``compare`` (verdicts), ``report`` (terminal, JSON, step summary),
``plugin`` (the pytest side: checks in tests, writes on the controller), ``fixtures`` (the
``model_benchmark`` and ``pytest_config`` fixtures and the ``ModelTestUtils`` helpers) and
``legacy`` (the upstream guide's single-file baselines); ``modelgate baselines`` and
``modelgate report`` live in ``pytest_modelgate.cli``. Importing this package imports none of
them, nor torch.
"""
