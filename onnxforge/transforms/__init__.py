"""The passes, one module each (discovered by the registry), and the named pipelines."""
