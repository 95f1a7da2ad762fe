"""Local development against dev: what a stack exports for local Workers (`exports`),
the files that hold its values on a machine (`files`, `dotenv`) and where they were
written (`record`).

Imports `offline` and below; never a guard rail or a command.
"""
