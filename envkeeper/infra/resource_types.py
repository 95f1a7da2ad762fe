"""Every Pulumi resource type envkeeper declares, in one place. The policy pack refuses any
other type in a stack (policy/rules.py), so a hand-written or unreviewed resource fails the
preview even where no rule was written for it.

A new resource type joins by being named here: a component's type is defined here and
imported by its class; a dynamic provider's resource is `dynamic(<its class's name>)`; a
provider resource is its SDK's type token. tests/test_policy.py runs the program of every
stack in every mode and fails on a declared type missing here, and on an entry here that
no stack declares.
"""

from __future__ import annotations

from envkeeper import vendors
from envkeeper.stack.catalog import ENVIRONMENT_TYPE
from envkeeper.vendors.resend import RESEND_KEY_TYPE, SENDING_KEYS_TYPE
from envkeeper.vendors.stripe import STRIPE_ENDPOINT_TYPE


def dynamic(name: str) -> str:
    """The type of a resource of one of envkeeper's dynamic providers: `Resource` subclasses
    declared with `module="envkeeper", name=NAME`."""
    return f"pulumi-python:dynamic/envkeeper:{name}"


# envkeeper's components (envkeeper:<area>:<Thing>).
ENVIRONMENT = ENVIRONMENT_TYPE
NEON_DATABASE = "envkeeper:neon:Database"
GITHUB_ENVIRONMENT_COMPONENT = "envkeeper:github:Environment"
DEPLOY_TOKENS = "envkeeper:cloudflare:DeployTokens"
WORKER_SECRETS = "envkeeper:cloudflare:WorkerSecrets"
RESEND_SENDING_KEYS = SENDING_KEYS_TYPE
OLD_SESSIONS_ENDED = "envkeeper:neon:OldSessionsEnded"

# Its dynamic providers' resources.
WORKER_SECRET = dynamic("WorkerSecret")
RESEND_KEY = RESEND_KEY_TYPE
STRIPE_ENDPOINT = STRIPE_ENDPOINT_TYPE
LOGIN_SESSIONS = dynamic("LoginSessions")
NEON_OWNER_PASSWORD = dynamic("NeonOwnerPassword")
ENDPOINT_RESTART = dynamic("EndpointRestart")
SLOT_SWITCH = dynamic("SlotSwitch")

# The providers' resources it makes.
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
GITHUB_ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
GITHUB_BRANCH_POLICY = (
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
)
GITHUB_ENVIRONMENT_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
GITHUB_ENVIRONMENT_VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
NEON_PROJECT = "neon:index/project:Project"
PG_DATABASE = "postgresql:index/database:Database"
PG_SCHEMA = "postgresql:index/schema:Schema"
PG_ROLE = "postgresql:index/role:Role"
PG_GRANT = "postgresql:index/grant:Grant"
PG_DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"

# The engine's own: the stack, and the provider resources (explicit or default) of the
# packages above.
STACK = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"

DECLARED: frozenset[str] = frozenset(
    {
        ENVIRONMENT,
        NEON_DATABASE,
        GITHUB_ENVIRONMENT_COMPONENT,
        DEPLOY_TOKENS,
        WORKER_SECRETS,
        OLD_SESSIONS_ENDED,
        WORKER_SECRET,
        LOGIN_SESSIONS,
        NEON_OWNER_PASSWORD,
        ENDPOINT_RESTART,
        SLOT_SWITCH,
        ACCOUNT_TOKEN,
        GITHUB_ENVIRONMENT,
        GITHUB_BRANCH_POLICY,
        GITHUB_ENVIRONMENT_SECRET,
        GITHUB_ENVIRONMENT_VARIABLE,
        NEON_PROJECT,
        PG_DATABASE,
        PG_SCHEMA,
        PG_ROLE,
        PG_GRANT,
        PG_DEFAULT_PRIVILEGES,
        RANDOM_PASSWORD,
        # Each minted vendor's component and resources, as its module declares them.
        *(t for vendor in vendors.MINTED_VENDORS for t in vendor.resource_types),
    }
)

# The packages those types come from; dynamic providers run as `pulumi-python`.
PACKAGES: frozenset[str] = frozenset(t.split(":", 1)[0] for t in DECLARED) - {"envkeeper"}


def allowed(resource_type: str) -> bool:
    """Whether envkeeper declares this type (or it is the stack, or a provider of one of
    the packages envkeeper uses)."""
    if resource_type in DECLARED or resource_type == STACK:
        return True
    if resource_type.startswith(PROVIDER_PREFIX):
        return resource_type[len(PROVIDER_PREFIX) :] in PACKAGES
    return False
