"""The command line, one module per group of commands: each a thin Typer app that parses,
calls the core and prints through the doors. `envkeeper/cli.py` gathers them; what they
share (the stack argument, --format, --dry-run, the project folder) is defined once, in
`common`; `--project-dir` itself is the app's own option, in `cli.py`.

A new command goes in the module of its group, or a new module added in `cli.py`. Imports
anything below it; nothing imports this package but `cli`.
"""
