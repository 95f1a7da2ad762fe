"""How Pulumi marks a secret in a serialized property (state, plans, the wire): an object
with this key and signature. Here, not in sdk_internals, so reading a plan or a state file
imports no Pulumi SDK."""

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 (a protocol marker)
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 (a protocol marker)
