"""One stack, read and checked: its `envkeeper:` settings (`settings` is the public
face; `stack_settings`, `vendor_settings`), the secret catalog (`catalog`) with the
project's declared secrets (`declared`) and its checks against the stack
(`stack_catalog`), where each value goes (`destinations`, `generated`, `versioned`), and
the isolation of each stack from its siblings (`isolation`).

Imports `vendors`, `config` and `doors`: the catalog and the settings gather every
vendor's module, which is why they sit above `vendors`.
"""
