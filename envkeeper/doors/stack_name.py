"""A stack's name as a person writes it: the one door every command takes a stack through.

`prod`, or fully qualified `ORG/PROJECT/prod` with this project's own name. Nothing else:
a name is never a path (`../prod`, `prod/../dev`), never another project's stack (whose
outputs `dev-vars` would otherwise read against this project's stack file), and never a
file name. The short name picks the stack file, `Pulumi.<short>.yaml`; the name as given
is what `pulumi --stack` is told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from envkeeper.doors.problems import COMMAND_LINE, UserError

# As Pulumi names stacks and organizations, less the names made only of dots.
_PART = re.compile(r"(?!\.+$)[A-Za-z0-9_.-]{1,100}")
_FILE_NAME = re.compile(r"Pulumi\.(.+)\.ya?ml")


@dataclass(frozen=True)
class StackName:
    short: str  # picks the stack file
    given: str  # what pulumi is told: the short name, or the qualified one as written


def parse_stack_name(text: str, project: str, given_as: str = "STACK") -> StackName:
    """`text` as a stack of the project named `project`, or one line saying what to write,
    which names the argument or option `given_as` that the text was given by."""
    last = text.rsplit("/", 1)[-1]
    file_name = _FILE_NAME.fullmatch(last)
    if file_name:
        raise UserError.one(
            COMMAND_LINE,
            given_as,
            f"{last} is the stack's file; name the stack instead: {file_name.group(1)}",
        )
    parts = text.split("/")
    if len(parts) == 1 and _PART.fullmatch(text):
        return StackName(short=text, given=text)
    if len(parts) == 3 and all(_PART.fullmatch(p) for p in parts) and parts[1] == project:
        return StackName(short=parts[2], given=text)
    # The text itself is not repeated: it may be anything pasted into the wrong place.
    raise UserError.one(
        COMMAND_LINE,
        given_as,
        f"is not a stack name of this project; write its name (dev: 1 to 100 letters, digits, "
        f"'-', '_' or '.') or ORG/{project}/NAME",
    )


def unique(names: list[StackName]) -> list[StackName]:
    """Each stack once, in the order first given: `dev dev` and `dev org/p/dev` are one."""
    seen: dict[str, StackName] = {}
    for name in names:
        seen.setdefault(name.short, name)
    return list(seen.values())
