"""envkeeper's pure core: settings, the secret catalog, rotation and stack-file edits.

Nothing in this package imports a Pulumi provider SDK, so every command but `plan` starts fast.
"""
