"""The doors every command goes through: a file a person names (`reading`, `writing`), a
stack name (`stack_name`), a printed line (`terminal`, `output`, `redaction`) and an error
(`problems`: one line naming the file, the key and the fix), and text a project wrote,
made safe for Markdown (`markdown`).

The lowest layer: imports nothing else of envkeeper, so a new command cannot open its own
door around them.
"""
