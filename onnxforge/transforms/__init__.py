"""Passes (one module each) and the named pipelines."""
