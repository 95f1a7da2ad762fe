"""The guard rails: the quarterly access review (`access`), orphaned credentials and Worker
code no deploy recorded (`orphans`, `orphan_check`), drift (`drift`), a dead run's lock
before a deploy (`recovery`, `stack_holder`) and the approved production plan
(`approved_plan`). Isolation between stack files is a check of the settings, in
`envkeeper.stack`.

Imports `offline` and below, never `local`; a policy rule of the pack itself lives in
`policy/`.
"""
