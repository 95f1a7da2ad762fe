"""The command line, one module per group of commands: each a thin Typer app that parses,
calls the core and prints through the doors. `envkeeper/cli.py` gathers them; what they
share (the stack argument, --format, --dry-run, --project-dir) is defined once, in `common`.

A new command goes in the module of its group, or a new module added in `cli.py`. Imports
anything below it; nothing imports this package but `cli`.
"""
