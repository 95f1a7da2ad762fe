"""The policy pack's rules, as plain functions so the tests can call them directly.

Each takes the validation arguments and a `report` callback, like pulumi-policy's
validations, and reports one line per violation. Values are never put in a message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from envkeeper import catalog
from envkeeper import cloudflare as cf
from envkeeper import policy_facts as facts
from envkeeper.settings import Environment, origin_problem

Report = Callable[..., None]

ENVIRONMENT_TYPE = catalog.ENVIRONMENT_TYPE
TOKEN = "cloudflare:index/accountToken:AccountToken"
ROLE = "postgresql:index/role:Role"
OWNED = ("postgresql:index/schema:Schema", "postgresql:index/database:Database")
DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges"
WORKER_SECRET = "pulumi-python:dynamic/envkeeper:WorkerSecret"
GITHUB_ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
GITHUB_SCOPED = (
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
)
SPECIFIC_RESOURCE = re.compile(r"com\.cloudflare\.api\.account(\.zone)?\.[0-9a-f]{32}")


def _now() -> datetime:
    return datetime.now(UTC)


def token_is_short_lived_and_scoped(args: Any, report: Report, now: datetime | None = None) -> None:
    """Cloudflare tokens expire within policy + grace from now and name one account or zone."""
    if args.resource_type != TOKEN:
        return
    props = args.props
    days = (catalog.BUILT_IN["CLOUDFLARE_API_TOKEN"].rotation_days or 0) + cf.GRACE_DAYS
    limit = (now or _now()) + timedelta(days=days)
    expires = props.get("expiresOn")
    if not expires:
        report(f"token {args.name} never expires; set expires_on (at most {days} days ahead)")
    else:
        when = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        if when > limit:
            report(f"token {args.name} expires {expires}, later than {days} days from now")
    for policy in props.get("policies") or []:
        resources = policy.get("resources") or "{}"
        keys = json.loads(resources) if isinstance(resources, str) else dict(resources)
        for key in keys or ["(none)"]:
            if not SPECIFIC_RESOURCE.fullmatch(key):
                report(f"token {args.name} reaches {key}; name one account or zone by its id")


def _environment(resources: Iterable[Any]) -> dict[str, Any] | None:
    for resource in resources:
        if resource.resource_type == ENVIRONMENT_TYPE:
            return dict(resource.props)
    return None


def production_environment_is_protected(args: Any, report: Report) -> None:
    """Production's GitHub environment: reviewers, no self-review, a branch policy."""
    env = _environment(args.resources)
    if env is None or env.get(facts.ENVIRONMENT) != Environment.PRODUCTION.value:
        return
    for resource in args.resources:
        if resource.resource_type != GITHUB_ENVIRONMENT:
            continue
        props, name = resource.props, resource.props.get("environment", resource.name)
        reviewers = props.get("reviewers") or []
        if not any((r.get("teams") or r.get("users")) for r in reviewers):
            report(f"GitHub environment {name} has no required reviewers", resource.urn)
        if props.get("preventSelfReview") is not True:
            report(f"GitHub environment {name} lets people approve their own deploys", resource.urn)
        branch = props.get("deploymentBranchPolicy") or {}
        if not (branch.get("protectedBranches") or branch.get("customBranchPolicies")):
            report(f"GitHub environment {name} deploys from any branch", resource.urn)


def logins_are_not_privileged(args: Any, report: Report) -> None:
    """PostgreSQL login roles are not superusers and create no roles or databases."""
    if args.resource_type != ROLE or not args.props.get("login"):
        return
    for flag, what in (
        ("superuser", "a superuser"),
        ("createRole", "allowed to create roles"),
        ("createDatabase", "allowed to create databases"),
    ):
        if args.props.get(flag):
            report(f"login role {args.props.get('name', args.name)} is {what}")


def runtime_logins_own_nothing(args: Any, report: Report) -> None:
    """A runtime login (a member of a group role) owns no schema, database or defaults."""
    runtime = {
        r.props.get("name")
        for r in args.resources
        if r.resource_type == ROLE and r.props.get("login") and r.props.get("roles")
    }
    for resource in args.resources:
        if resource.resource_type in (*OWNED, DEFAULT_PRIVILEGES):
            owner = resource.props.get("owner")
            if owner in runtime:
                report(f"runtime login {owner} owns {resource.name}", resource.urn)


def secrets_stay_in_this_stack(args: Any, report: Report) -> None:
    """Worker secrets and GitHub environment values target this stack's own Workers and
    environment, never another stack's."""
    env = _environment(args.resources)
    if env is None:
        report("no envkeeper environment in this stack; nothing to check against")
        return
    workers, account = set(env.get(facts.WORKERS) or []), env.get(facts.ACCOUNT_ID)
    allowed = env.get(facts.WORKER_SECRETS) or {}
    for resource in args.resources:
        props = resource.props
        if resource.resource_type == WORKER_SECRET:
            worker = props.get("scriptName")
            if worker not in workers or props.get("accountId") != account:
                report(
                    f"Worker secret {props.get('name')} targets Worker {worker}, "
                    "which is not one of this stack's",
                    resource.urn,
                )
            elif worker in allowed and props.get("name") not in allowed[worker]:
                report(
                    f"Worker secret {props.get('name')} is not in Worker {worker}'s secret set; "
                    "list it under its secrets, or remove the resource",
                    resource.urn,
                )
        elif resource.resource_type in (*GITHUB_SCOPED, GITHUB_ENVIRONMENT):
            target = (props.get("repository"), props.get("environment"))
            if target != (env.get(facts.REPOSITORY), env.get(facts.GITHUB_ENVIRONMENT)):
                report(
                    f"{resource.name} targets GitHub environment {target[1]} of {target[0]}, "
                    "which is not this stack's",
                    resource.urn,
                )


def cors_origins_are_exact(args: Any, report: Report) -> None:
    """CORS origins are exact origins, https outside dev."""
    env = _environment(args.resources)
    if env is None:
        return
    try:
        environment = Environment(env.get(facts.ENVIRONMENT))
    except ValueError:
        report(f"unknown environment {env.get(facts.ENVIRONMENT)!r}")
        return
    for number, origin in enumerate(env.get(facts.CORS_ORIGINS) or [], start=1):
        problem = origin_problem(origin, environment)
        if problem:
            report(f"CORS origin {number} of corsOrigins {problem}")
