"""envkeeper's core and its command line, one folder per concern, each a layer that imports
only downward (docs/layout.md lists them; pyproject.toml's import contracts hold them).

Nothing in this package imports a Pulumi provider SDK, so every command but `plan` starts fast.
"""
