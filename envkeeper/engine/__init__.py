"""The Pulumi CLI and SDK, as envkeeper's commands use them: the few `pulumi` calls they
make (`pulumi_cli`), a deployed stack's outputs (`stack_outputs`), and the SDK's private
names envkeeper relies on (`sdk_internals`, `secret_marks`).

Imports only `envkeeper.doors`: these know nothing of a stack's settings, so every layer
above may call them. The offline plan, which runs the program, is `envkeeper.offline`.
"""
