"""envkeeper's Pulumi program. All the work is in components/ and envkeeper/."""

from components.program import run

run()
