"""The offline plan: the real program run under Pulumi's mocks (`program`), what it would
create and where each secret flows (`plan`), and that as a table, JSON or a Mermaid
flowchart (`render`).

Imports `rotation` and below. Only `program` imports Pulumi and the program, and only
when `envkeeper plan` (or a test) runs it: every other command stays free of provider SDKs.
"""
