"""`python -m envkeeper` is the `envkeeper` command."""

from envkeeper.cli import main

main()
