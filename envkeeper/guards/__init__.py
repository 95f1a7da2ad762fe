"""The guard rails around a deploy: environment isolation across stack files
(`isolation`), the access review (`access`), orphaned credentials and unrecorded Worker
code (`orphans`, `orphan_check`, `worker_code`), drift (`drift`), a dead run's lock
(`recovery`, `stack_holder`) and the approved production plan (`approved_plan`).

Imports `engine` and below; a policy rule of the pack itself lives in `policy/`.
"""
