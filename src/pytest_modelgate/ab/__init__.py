"""``modelgate ab``: A/B performance runs of two revisions or two dependency sets."""
