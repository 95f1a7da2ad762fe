"""Cloudflare: two-slot, scoped, expiring deploy tokens, and one secret per Worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import bridged
from components.slot_switch import SlotSwitch, SlotSwitchArgs, standby_end
from components.worker_secret import WorkerSecret, WorkerSecretArgs
from envkeeper.infra import cloudflare as cf
from envkeeper.infra import resource_types
from envkeeper.stack.catalog import SLOTS
from envkeeper.stack.settings import Settings

TOKENS_TYPE = resource_types.DEPLOY_TOKENS
SECRETS_TYPE = resource_types.WORKER_SECRETS


def _permission_group_id(
    account_id: str, permission: cf.Permission, opts: pulumi.InvokeOutputOptions
) -> pulumi.Output[str]:
    """A permission group's id, looked up by name: ids are Cloudflare's, not ours to copy."""
    groups = bridged.get_account_api_token_permission_groups_list(
        account_id=account_id, name=permission.name, scope=permission.scope, opts=opts
    )

    def pick(answer: dict[str, Any]) -> str:
        for group in answer.get("results") or []:
            if group.get("name") == permission.name and permission.scope in (
                group.get("scopes") or []
            ):
                return group["id"]
        raise pulumi.RunError(
            f"Cloudflare has no permission group named {permission.name!r} "
            f"for {permission.scope} on account {account_id}"
        )

    return groups.apply(pick)


class DeployTokens(pulumi.ComponentResource):
    """CI's Cloudflare tokens for one environment: slots a and b; the later date is active.

    Each slot is replaced when its date changes, the new token created before the old one
    is deleted, and each dies by itself at its date + policy + grace.
    """

    active_token: pulumi.Output[str]
    writer_ids: pulumi.Output[str]
    permission_group_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKENS_TYPE, name, None, opts)
        account = settings.cloudflare.account_id
        invoke = pulumi.InvokeOutputOptions(parent=self)
        ids = {
            p: _permission_group_id(account, p, invoke)
            for policy in cf.deploy_policies(settings)
            for p in policy.permissions
        }
        policies = [
            bridged.AccountTokenPolicyArgs(
                effect="allow",
                permission_groups=[
                    bridged.AccountTokenPolicyPermissionGroupArgs(id=ids[p])
                    for p in policy.permissions
                ],
                resources=policy.resources_json,
            )
            for policy in cf.deploy_policies(settings)
        ]
        allowlist = settings.cloudflare.token_ip_allowlist
        condition = (
            bridged.AccountTokenConditionArgs(
                request_ip=bridged.AccountTokenConditionRequestIpArgs(ins=allowlist)
            )
            if allowlist
            else None
        )
        slots = settings.slots("CLOUDFLARE_API_TOKEN")
        # The standby's end counts from the day its switch is deployed (slot_switch.py).
        switch = SlotSwitch(
            SlotSwitchArgs("CLOUDFLARE_API_TOKEN", slots, settings.standby_grace_days),
            opts=pulumi.ResourceOptions(parent=self),
        )
        ends = standby_end(switch)
        tokens: dict[str, bridged.AccountToken] = {}
        for slot in SLOTS:
            rotated = slots.date_of(slot)
            tokens[slot] = bridged.AccountToken(
                cf.token_resource(slot),
                bridged.AccountTokenArgs(
                    account_id=account,
                    name=cf.token_name(settings, slot),
                    policies=policies,
                    # Moving the other slot shortens this one's life: an update in place.
                    expires_on=ends.apply(
                        lambda end, slot=slot: cf.token_expiry(settings, slot, end)
                    ),
                    condition=condition,
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    replacement_trigger=rotated.isoformat(),
                    delete_before_replace=False,  # the new token exists before the old dies
                    additional_secret_outputs=["value"],
                ),
            )
        self.active_token = pulumi.Output.secret(tokens[slots.active].value)
        # Both tokens' ids: every Worker secret carries them, so a token made anew (a date
        # moved, or re-minted in place with --replace) puts every Worker secret again.
        # Cloudflare never returns a secret's value, so one the old token's holder
        # overwrote is invisible to drift; putting it again is harmless otherwise.
        self.writer_ids = pulumi.Output.all(*(tokens[s].id for s in SLOTS)).apply(
            lambda ids: ",".join(f"{s}={i}" for s, i in zip(SLOTS, ids, strict=True))
        )
        # By permission group name: the ids Cloudflare gave, which the policy pack holds
        # every token of the stack to.
        self.permission_group_ids = {p.name: i for p, i in ids.items()}
        self.register_outputs({"activeSlot": slots.active, "activeToken": self.active_token})


@dataclass(frozen=True)
class WorkerSecretsArgs:
    settings: Settings
    secrets: dict[str, pulumi.Output[str]]  # catalog name -> secret Output
    writers: pulumi.Input[str]  # the deploy tokens' ids (DeployTokens.writer_ids)
    # What every Worker secret waits for (a component: all of its resources).
    after: list[pulumi.Resource] = field(default_factory=list)


class WorkerSecrets(pulumi.ComponentResource):
    """Every Worker-bound catalog secret, on every Worker of the environment."""

    def __init__(
        self, name: str, args: WorkerSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(SECRETS_TYPE, name, None, opts)
        settings = args.settings
        # Each put deploys a new version of the Worker: one Worker's secrets go one after
        # another, not a dozen at once against the same script. Workers still go in parallel.
        previous: dict[str, WorkerSecret] = {}
        for worker, secret in cf.worker_secret_targets(settings):
            before = [previous[worker]] if worker in previous else []
            previous[worker] = WorkerSecret(
                cf.worker_secret_resource(worker, secret),
                WorkerSecretArgs(
                    account_id=settings.cloudflare.account_id,
                    script_name=worker,
                    name=secret,
                    text=args.secrets[secret],
                    environment=settings.environment.value,
                    writers=args.writers,
                    zones=tuple(settings.cloudflare.zones),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.after, *before]),
            )
        self.register_outputs({})
