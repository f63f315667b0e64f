"""The files here are inputs and expected outputs of the converter, never tests to collect:
the legacy scripts are mostly not Python at all, and one of them must never be imported."""

collect_ignore_glob = ["legacy/*", "legacy/*/*", "golden/*", "golden/*/*"]
