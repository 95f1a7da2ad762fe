"""What the Pulumi program builds, as data, for `components/` and the guard rails: the
database's roles and grants, Cloudflare's token scopes and Worker targets, GitHub's
environments, every resource type, and the facts the policy pack ships.

Imports `stack`, `vendors`, `config` and `doors`; never a provider SDK.
"""
