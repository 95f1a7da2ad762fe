"""Environment isolation across stack files: no Worker, database, GitHub environment,
sending domain or webhook URL is shared between two stacks, and no stack's admin
credential reaches another stack's resources, so a value of one environment can never land
in another.

`validate` and the program both run these checks: the program reads the other stack files
beside it, so a manual `pulumi up` cannot skip them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from envkeeper.config import ci
from envkeeper.config.stackfile import (
    StackConfig,
    load_config,
    short_stack_name,
    stack_names,
)
from envkeeper.doors.problems import Problem, UserError
from envkeeper.stack import catalog
from envkeeper.stack.settings import Environment, Settings, parse_settings
from envkeeper.vendors.naming import stack_mark


def _claims(settings: Settings) -> dict[str, set[str]]:
    cf, gh, neon = settings.cloudflare, settings.github, settings.neon
    return {
        "envkeeper:cloudflare.workers": {f"{cf.account_id}/{w}" for w in cf.workers},
        # A deploy token can only be scoped to a whole account: a shared account would let
        # one environment's CI overwrite another's Workers.
        "envkeeper:cloudflare.accountId": {cf.account_id},
        "envkeeper:neon.projectName": {neon.project_name},
        # Two stacks adopting one project would share its database and roles.
        "envkeeper:neon.existingProjectId": (
            {neon.existing_project_id} if neon.existing_project_id else set()
        ),
        # GitHub reads repository and environment names without regard to case: a stack
        # that writes `Production` writes production's environment.
        "envkeeper:github.environment": {ci.folded(f"{gh.repository}/{gh.environment}")},
        # A sending key is bound to a domain: two stacks on one domain send as each other.
        "envkeeper:resend.domain": {settings.resend.domain} if settings.resend else set(),
        # One URL is one Worker: it would take both environments' events.
        "envkeeper:stripe.webhook.url": (
            {settings.stripe.webhook.url} if settings.stripe else set()
        ),
    }


WHY = {
    "envkeeper:cloudflare.accountId": " (deploy tokens reach every Worker of an account)",
    "envkeeper:resend.domain": (
        " (its sending keys would send as the other environment; give production a Resend "
        "team of its own, whose admin key cannot reach the other domains)"
    ),
    "envkeeper:stripe.webhook.url": (
        " (one Worker would take both environments' events, test and live alike)"
    ),
}


def sibling_settings(project_dir: Path, stack: str) -> tuple[dict[str, Settings], list[Problem]]:
    """The other stacks' settings, and the problems of each stack file beside this one that
    does not validate, as its own `validate` names them. None is left out: every check
    compares this stack with all of them, and production creates each one's GitHub
    environment, so one that cannot be read stops this stack too."""
    found: dict[str, Settings] = {}
    problems: list[Problem] = []
    for other in stack_names(project_dir):
        if other == stack:
            continue
        try:
            found[other] = parse_settings(load_config(project_dir, other), other)
        except UserError as exc:
            problems += exc.problems
    return found, problems


def _holds_neon_api_key(settings: Settings) -> bool:
    """Whether the stack manages its Neon project with `neon:apiKey`: an organization (or
    personal) key, which reaches every project of its organization. An adopted project is
    reached through its owner's connection URL instead, which reaches that project only."""
    return not settings.neon.adopted


def _neon_problem(origin: str, settings: Settings, other: str, theirs: Settings) -> Problem | None:
    mine, their_key = _holds_neon_api_key(settings), _holds_neon_api_key(theirs)
    if not (mine or their_key):
        return None
    org, their_org = settings.neon.org_id, theirs.neon.org_id
    key = catalog.NEON_API_KEY.key
    # An adopted project that names no organization may be in the key holder's: nothing
    # here can tell, so the stack file must say (a project holding its key names its own).
    if not org:
        return Problem(
            origin,
            "envkeeper:neon.orgId",
            f"missing; stack {other}'s {key} reaches every project of Neon organization "
            f"{their_org}, so name the organization this adopted project is in (console: "
            "Organization settings) and validate checks it is another",
        )
    if not their_org:
        return Problem(
            origin,
            "envkeeper:neon.orgId",
            f"this stack's {key} reaches every project of {org}, and stack {other} adopts a "
            "project without naming its organization; set envkeeper:neon.orgId in its stack "
            "file and validate checks it is another",
        )
    if org != their_org:
        return None
    if mine:
        why = f"this stack's {key} reaches every project of it, stack {other}'s too"
    else:
        why = f"stack {other}'s {key} reaches every project of it, this stack's too"
    return Problem(
        origin,
        "envkeeper:neon.orgId",
        f"{org} is also stack {other}'s Neon organization, and {why}; give each stack that "
        "holds a Neon API key an organization of its own, or adopt the project "
        f"(neon.existingProjectId and {catalog.NEON_OWNER_URL.key}, which reach that project only)",
    )


def _mark_problem(origin: str, settings: Settings, other: str, theirs: Settings) -> Problem | None:
    """Two stacks whose credentials carry one mark at their vendors (envkeeper/vendors/
    naming.py): each one's orphan check would take the other's credentials for its own."""
    if stack_mark(settings) != stack_mark(theirs):
        return None
    return Problem(
        origin,
        "envkeeper:github.environment",
        f"gives this stack the vendor-name mark of stack {other}, so each would take the "
        "other's credentials at the vendors for its own; name the environment otherwise",
    )


def isolation_problems(
    origin: str, settings: Settings, others: dict[str, Settings]
) -> list[Problem]:
    problems = []
    mine = _claims(settings)
    for other, other_settings in others.items():
        theirs = _claims(other_settings)
        for key, claimed in mine.items():
            shared = sorted(claimed & theirs[key])
            if shared:
                names = ", ".join(s.rsplit("/", 1)[-1] for s in shared)
                if key == "envkeeper:stripe.webhook.url":
                    names = ", ".join(shared)  # a URL's last part names nothing
                problems.append(
                    Problem(
                        origin,
                        key,
                        f"{names} also belongs to stack {other}; give each environment its own"
                        + WHY.get(key, ""),
                    )
                )
        for check in (_mark_problem, _neon_problem):
            problem = check(origin, settings, other, other_settings)
            if problem:
                problems.append(problem)
    return problems


# Stripe names a key's mode in its prefix: sk_ (secret) or rk_ (restricted), then live_ or
# test_. Outside production only test mode may be used: a live key there reaches real
# payments and production's customers from a stack nobody approves deploys of.
_LIVE_PREFIXES = ("sk_live_", "rk_live_")


def stripe_key_problem(key: str, value: str, environment: Environment, stack: str) -> str | None:
    """Why `value`, held at config `key`, may not be used in this environment, or None.
    Checked where the value is, when the program runs; the message never quotes it."""
    if environment is Environment.PRODUCTION or not value.startswith(_LIVE_PREFIXES):
        return None
    return (
        f"is a live-mode Stripe key in {environment.value}; outside production only "
        "test-mode keys (sk_test_ or rk_test_) may be used. Roll the live key at Stripe (a "
        "lower environment held it) and set a test-mode key with "
        f"`pulumi config set --secret --stack {stack} {key}`"
    )


@dataclass(frozen=True)
class CheckedStack:
    """One stack's settings, checked alone and against the stack files beside it."""

    settings: Settings
    siblings: dict[str, Settings]  # the other stacks' settings, those that validate


def load_checked_settings(
    config: StackConfig,
    stack: str,
    project_dir: Path,
    more_checks: Sequence[Callable[[Settings], list[Problem]]] = (),
) -> CheckedStack:
    """The settings of `stack`, or UserError with every problem: its own, isolation from
    the other stacks (every stack file beside it must validate), then
    `more_checks` (the program's, which read values only the engine holds). The command
    line and the program both load a stack through here, so neither can skip a check."""
    settings = parse_settings(config, stack)
    short = short_stack_name(stack)
    siblings, problems = sibling_settings(project_dir, short)
    problems += isolation_problems(config.origin, settings, siblings)
    for check in more_checks:
        problems += check(settings)
    if problems:
        raise UserError(problems)
    return CheckedStack(settings, siblings)
