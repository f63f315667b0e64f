"""Model tests converted by ``modelgate convert`` (a package: see its docs)."""
