"""The policy pack's rules, as plain functions so the tests can call them directly.

Each takes the validation arguments and a `report` callback, like pulumi-policy's
validations, and reports one line per violation. Values are never put in a message.

The pack refuses what it does not know (a resource type envkeeper does not declare), and
holds what it knows to the stack's own boundaries, which the Environment component
registers (envkeeper/infra/policy_facts.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

# What the pack knows of envkeeper (resource types, roles, scopes, the names the Environment
# component registers), generated from its core: the pack imports nothing from the project.
FACTS: dict[str, Any] = json.loads(Path(__file__).with_name("pack_facts.json").read_text())
_TYPES, _KEYS = FACTS["resourceTypes"], FACTS["boundaryKeys"]
_GH, _CF, _DB = FACTS["github"], FACTS["cloudflare"], FACTS["database"]
facts = SimpleNamespace(**_KEYS)
PRODUCTION: str = FACTS["production"]
MAIN: str = _GH["main"]

Report = Callable[..., None]

ENVIRONMENT_TYPE: str = _TYPES["environment"]
TOKEN: str = _TYPES["accountToken"]
# A token owned by a person: it dies with their account, and may reach every account
# they can. envkeeper makes account-owned tokens only.
USER_TOKEN = "cloudflare:index/apiToken:ApiToken"
ROLE: str = _TYPES["pgRole"]
GRANT_ROLE = "postgresql:index/grantRole:GrantRole"
OWNED = (_TYPES["pgSchema"], _TYPES["pgDatabase"])
DEFAULT_PRIVILEGES: str = _TYPES["pgDefaultPrivileges"]
WORKER_SECRET: str = _TYPES["workerSecret"]
GITHUB_ENVIRONMENT: str = _TYPES["githubEnvironment"]
GITHUB_BRANCH_POLICY: str = _TYPES["githubBranchPolicy"]
GITHUB_IN_ENVIRONMENT = (_TYPES["githubEnvironmentSecret"], _TYPES["githubEnvironmentVariable"])
# Secrets and variables GitHub hands to more than one environment: every workflow of the
# repository (any branch that can push a workflow), or of the organization, can read them.
GITHUB_WIDE = {
    "github:index/actionsSecret:ActionsSecret": "secretName",
    "github:index/actionsVariable:ActionsVariable": "variableName",
    "github:index/actionsOrganizationSecret:ActionsOrganizationSecret": "secretName",
    "github:index/actionsOrganizationVariable:ActionsOrganizationVariable": "variableName",
    "github:index/dependabotSecret:DependabotSecret": "secretName",
    "github:index/dependabotOrganizationSecret:DependabotOrganizationSecret": "secretName",
    "github:index/codespacesSecret:CodespacesSecret": "secretName",
    "github:index/codespacesOrganizationSecret:CodespacesOrganizationSecret": "secretName",
    "github:index/codespacesUserSecret:CodespacesUserSecret": "secretName",
}
SPECIFIC_RESOURCE = re.compile(r"com\.cloudflare\.api\.account(\.zone)?\.[0-9a-f]{32}")


def _allowed_type(resource_type: str) -> bool:
    """A type envkeeper declares, the stack, or a provider of a package envkeeper uses."""
    if resource_type in _TYPES["declared"] or resource_type == _TYPES["stack"]:
        return True
    prefix = _TYPES["providerPrefix"]
    return resource_type.startswith(prefix) and (
        resource_type[len(prefix) :] in _TYPES["providerPackages"]
    )


def _folded(name: str) -> str:
    """An environment's name as GitHub tells two apart: it ignores case."""
    return name.casefold()


def _same_environment(a: str, b: str) -> bool:
    return _folded(a) == _folded(b)


def _is_ci_environment(name: str) -> bool:
    """One of the environments this repository's own workflows run in, as
    envkeeper/config/ci.py's is_ci_environment reads them (preview, rotation, drift-<stack>)."""
    folded = _folded(name)
    return folded in (_GH["preview"], _GH["rotation"]) or folded.startswith(_GH["driftPrefix"])


def _deploy_scope(account: str, zones: list[str]) -> list[tuple[list[str], dict[str, str]]]:
    """The deploy scope, as envkeeper/infra/cloudflare.py's deploy_policies_for gives it: the
    permission groups (by name) and the resources of each policy."""
    scope = [(_CF["accountPermissions"], {f"{_CF['accountScope']}.{account}": "*"})]
    if zones:
        scope.append((_CF["zonePermissions"], {f"{_CF['zoneScope']}.{z}": "*" for z in zones}))
    return scope


def _origin_problem(origin: Any, environment: Any) -> str | None:
    """Whether a CORS origin is exact (https outside dev). The pack's own reading of
    envkeeper/config/url_rules.py's origin rule, which a test holds it to."""
    if not isinstance(origin, str) or "*" in origin:
        return "is not one exact origin; list each, e.g. https://app.example.com"
    parts = urlsplit(origin)
    try:
        _ = parts.port
    except ValueError:
        return "has an invalid port; use a number from 1 to 65535"
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or origin.endswith("/")
        or parts.username
        or parts.password
        or parts.netloc != parts.netloc.lower()
    ):
        return "is not an exact origin; write scheme://host[:port] in lower case"
    if parts.scheme != "https" and environment != FACTS["dev"]:
        return "is not https; only dev may allow plain http origins"
    return None


def _now() -> datetime:
    return datetime.now(UTC)


def types_are_envkeepers(args: Any, report: Report) -> None:
    """Every resource is of a type envkeeper declares (envkeeper/infra/resource_types.py): a
    hand-written or unknown resource fails even where no rule names its type."""
    if not _allowed_type(args.resource_type):
        report(
            f"{args.name} is a {args.resource_type}, which envkeeper does not make; remove it, "
            "or add its type to envkeeper/infra/resource_types.py (then write "
            "policy/pack_facts.json "
            "again) with a rule for what it may do"
        )


def token_is_short_lived_and_scoped(args: Any, report: Report, now: datetime | None = None) -> None:
    """Cloudflare tokens are account-owned, expire within policy + grace from now and name
    one account or zone."""
    if args.resource_type == USER_TOKEN:
        report(
            f"token {args.name} is owned by a user: it dies with that person's account and may "
            "reach every account they can; make an account-owned AccountToken"
        )
    elif args.resource_type != TOKEN:
        return
    props = args.props
    days: int = _CF["tokenDays"]
    limit = (now or _now()) + timedelta(days=days)
    expires = props.get("expiresOn")
    if not expires:
        report(f"token {args.name} never expires; set expires_on (at most {days} days ahead)")
    else:
        when = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        if when > limit:
            report(f"token {args.name} expires {expires}, later than {days} days from now")
    for policy in props.get("policies") or []:
        for key in _resource_keys(policy.get("resources")) or ["(none)"]:
            if not SPECIFIC_RESOURCE.fullmatch(key):
                report(f"token {args.name} reaches {key}; name one account or zone by its id")


def _resources(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _resource_keys(value: Any) -> list[str]:
    """Every resource a token policy names, nested ones included (Cloudflare lets an
    account map to the zones inside it, a zone wildcard among them)."""
    found = _resources(value)
    if not isinstance(found, dict):
        return [str(found)] if found else []
    keys = []
    for key, inner in found.items():
        keys.append(str(key))
        if isinstance(inner, dict):
            keys += _resource_keys(inner)
    return keys


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _environment(resources: Iterable[Any]) -> dict[str, Any] | None:
    for resource in resources:
        if resource.resource_type == ENVIRONMENT_TYPE:
            return dict(resource.props)
    return None


def deploy_tokens_carry_exactly_the_deploy_scope(args: Any, report: Report) -> None:
    """Every Cloudflare token of the stack is on this stack's account and carries exactly
    the deploy permission groups, on exactly this account and its zones."""
    env = _environment(args.resources)
    if env is None:
        return
    account = env.get(facts.ACCOUNT_ID)
    groups = env.get(facts.DEPLOY_PERMISSION_GROUPS) or {}
    expected = sorted(
        (
            tuple(sorted(str(groups.get(name)) for name in permissions)),
            _canonical(resources),
        )
        for permissions, resources in _deploy_scope(str(account), list(env.get(facts.ZONES) or []))
    )
    for resource in args.resources:
        if resource.resource_type != TOKEN:
            continue
        props, name = resource.props, resource.name
        if props.get("accountId") != account:
            report(f"token {name} is on another Cloudflare account than this stack's", resource.urn)
        policies = props.get("policies") or []
        if any(p.get("effect") != "allow" for p in policies):
            report(f"token {name} has a policy that is not a plain allow", resource.urn)
        found = sorted(
            (
                tuple(sorted(str(g.get("id")) for g in p.get("permissionGroups") or [])),
                _canonical(_resources(p.get("resources"))),
            )
            for p in policies
        )
        if found != expected:
            report(
                f"token {name} does not carry exactly the deploy scope (Workers Scripts Write "
                "on this account, Workers Routes Write on its zones)",
                resource.urn,
            )


def _branch_patterns(resources: Iterable[Any], environment: str) -> list[str]:
    return sorted(
        str(r.props.get("branchPattern") or r.props.get("tagPattern") or "(a tag)")
        for r in resources
        if r.resource_type == GITHUB_BRANCH_POLICY and r.props.get("environment") == environment
    )


def _main_only(resource: Any, resources: list[Any], name: str, report: Report) -> None:
    branch = resource.props.get("deploymentBranchPolicy") or {}
    patterns = _branch_patterns(resources, name)
    if branch.get("protectedBranches"):
        where = "any protected branch"
    elif not branch.get("customBranchPolicies"):
        where = "any branch"
    elif patterns != [MAIN]:
        where = ", ".join(patterns) or "no branch"
    else:
        return
    report(
        f"GitHub environment {name} deploys from {where}; give it a branch policy of exactly "
        f"{MAIN}",
        resource.urn,
    )


def _approved(resource: Any, name: str, report: Report) -> None:
    props = resource.props
    reviewers = props.get("reviewers") or []
    if not any((r.get("teams") or r.get("users")) for r in reviewers):
        report(f"GitHub environment {name} has no required reviewers", resource.urn)
    if props.get("preventSelfReview") is not True:
        report(f"GitHub environment {name} lets people approve their own deploys", resource.urn)


def production_environment_is_protected(args: Any, report: Report) -> None:
    """Production's GitHub environment: reviewers, no self-review, no admin bypass, a branch
    policy of exactly main. Previews: reviewers, no self-review, no admin bypass. The drift
    check's and the rotation's: main only."""
    env = _environment(args.resources)
    if env is None or env.get(facts.ENVIRONMENT) != PRODUCTION:
        return
    resources = list(args.resources)
    for resource in resources:
        if resource.resource_type != GITHUB_ENVIRONMENT:
            continue
        name = resource.props.get("environment", resource.name)
        bypass = resource.props.get("canAdminsBypass") is not False
        if _same_environment(name, str(env.get(facts.GITHUB_ENVIRONMENT))):
            _approved(resource, name, report)
            if bypass:
                report(f"GitHub environment {name} lets admins bypass its rules", resource.urn)
            _main_only(resource, resources, name, report)
        elif _same_environment(name, _GH["preview"]):
            _approved(resource, name, report)
            if bypass:
                report(f"GitHub environment {name} lets admins bypass its rules", resource.urn)
        elif _is_ci_environment(name):
            if bypass:
                report(f"GitHub environment {name} lets admins bypass its rules", resource.urn)
            _main_only(resource, resources, name, report)


def environment_names_differ_by_more_than_case(args: Any, report: Report) -> None:
    """No two GitHub environments of the stack differ only by case: GitHub reads them as
    one, so the second would rewrite the first's rules and secrets."""
    seen: dict[tuple[str, str], str] = {}
    for resource in args.resources:
        if resource.resource_type != GITHUB_ENVIRONMENT:
            continue
        name = str(resource.props.get("environment", resource.name))
        key = (str(resource.props.get("repository", "")).casefold(), _folded(name))
        if key in seen and seen[key] != name:
            report(
                f"GitHub environments {seen[key]} and {name} are one environment to GitHub, "
                "which ignores case; keep one",
                resource.urn,
            )
        seen.setdefault(key, name)


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


# Who may be a member of the roles that own the data or hold the app's privileges: the
# database model's design (envkeeper/infra/database.py), nothing more.
_GUARDED: tuple[str, ...] = tuple(_DB["guarded"])
_DESIGNED: dict[str, set[str]] = {name: set(groups) for name, groups in _DB["designed"].items()}


def memberships_are_as_designed(args: Any, report: Report) -> None:
    """No role is a member of app_owner or app_runtime beyond the database model's design:
    the migrator works as app_owner, the runtime logins are app_runtime, no one else."""
    for resource in args.resources:
        props = resource.props
        if resource.resource_type == ROLE:
            name = props.get("name", resource.name)
            extra = set(props.get("roles") or []) & set(_GUARDED) - _DESIGNED.get(name, set())
            for group in sorted(extra):
                report(
                    f"role {name} is made a member of {group}, which the database model "
                    "does not grant it",
                    resource.urn,
                )
        elif resource.resource_type == GRANT_ROLE and props.get("grantRole") in _GUARDED:
            report(
                f"{resource.name} grants {props.get('grantRole')} to {props.get('role')}; "
                "membership of it is given by the roles' own definitions only",
                resource.urn,
            )


def no_repository_wide_secret_holds_a_catalog_value(args: Any, report: Report) -> None:
    """No repository-, organization- or Dependabot/Codespaces-level GitHub secret or variable
    carries a catalog value: those reach every workflow of every branch, not one
    environment's approved deploys."""
    env = _environment(args.resources)
    names = set((env or {}).get(facts.DELIVERED) or []) | set(FACTS["catalogNames"])
    for resource in args.resources:
        key = GITHUB_WIDE.get(resource.resource_type)
        if key and resource.props.get(key) in names:
            report(
                f"{resource.name} puts {resource.props.get(key)} in a {resource.resource_type}, "
                "which every workflow of the repository can read; deliver it to the stack's "
                "GitHub environment only",
                resource.urn,
            )


def secrets_stay_in_this_stack(args: Any, report: Report) -> None:
    """Worker secrets, Cloudflare resources and GitHub environment values target this
    stack's own account, Workers and environment, never another stack's."""
    env = _environment(args.resources)
    if env is None:
        report("no envkeeper environment in this stack; nothing to check against")
        return
    workers, account = set(env.get(facts.WORKERS) or []), env.get(facts.ACCOUNT_ID)
    allowed = env.get(facts.WORKER_SECRETS) or {}
    repository, mine = env.get(facts.REPOSITORY), env.get(facts.GITHUB_ENVIRONMENT)
    owned = {_folded(str(name)) for name in env.get(facts.GITHUB_ENVIRONMENTS_OWNED) or []}
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
        elif resource.resource_type.startswith("cloudflare:") and "accountId" in props:
            if props.get("accountId") != account:
                report(
                    f"{resource.name} targets another Cloudflare account than this stack's",
                    resource.urn,
                )
        elif resource.resource_type in GITHUB_IN_ENVIRONMENT:
            target = (props.get("repository"), props.get("environment"))
            if target != (repository, mine):
                report(
                    f"{resource.name} targets GitHub environment {target[1]} of {target[0]}, "
                    "which is not this stack's",
                    resource.urn,
                )
        elif resource.resource_type in (GITHUB_ENVIRONMENT, GITHUB_BRANCH_POLICY):
            target = (props.get("repository"), props.get("environment"))
            if target[0] != repository or _folded(str(target[1])) not in owned:
                report(
                    f"{resource.name} sets up GitHub environment {target[1]} of {target[0]}, "
                    "which this stack does not own",
                    resource.urn,
                )


def cors_origins_are_exact(args: Any, report: Report) -> None:
    """CORS origins are exact origins, https outside dev."""
    env = _environment(args.resources)
    if env is None:
        return
    environment = env.get(facts.ENVIRONMENT)
    if environment not in FACTS["environments"]:
        report(f"unknown environment {environment!r}")
        return
    for number, origin in enumerate(env.get(facts.CORS_ORIGINS) or [], start=1):
        problem = _origin_problem(origin, environment)
        if problem:
            report(f"CORS origin {number} of corsOrigins {problem}")
