"""What the Pulumi program builds, as data, for `components/` and the guard rails: the
database's roles and grants, Cloudflare's token scopes and Worker targets, GitHub's
environments, every resource type, the facts the policy pack ships, and what a Worker
secret's put records of its Worker's code (`worker_code`).

Imports `stack`, `vendors`, `config` and `doors`; never a provider SDK.
"""
