"""The Pulumi side: the few `pulumi` CLI calls envkeeper makes (`pulumi_cli`,
`stack_outputs`), the SDK's private names it relies on (`sdk_internals`, `secret_marks`),
and the offline plan: the real program under Pulumi's mocks (`offline`, `plan`, `render`).

Imports `rotation` and below. Only `offline` imports the program, and only when `plan`
runs it: every other command stays free of provider SDKs.
"""
