"""The production test stack under the real engine, for the engine tests and the preview
benchmark: the vendors' stand-ins, a PostgreSQL that stands in for an adopted Neon project,
and a workspace of the real program with the stack's secrets set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from envkeeper.config.stackfile import round_trip_yaml
from tests.cloudflare_api import CloudflareApi
from tests.conftest import PROJECT
from tests.declared_project import DATES, DECLARED
from tests.engine import Workspace, new_workspace
from tests.github_api import GitHubApi
from tests.pgserver import Server, neon_like_owner, running_server
from tests.resend_api import ResendApi
from tests.standin import Call, in_order, started_server, stopped
from tests.stripe_api import StripeApi

STACK = "prod"
ACCOUNT = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
API, WEBHOOKS = "example-api", "example-webhooks"
OWNER, REPOSITORY, ENVIRONMENT = "example-org", "example-app", "production"
TEAM_ID = 4242
DOMAIN = "mail.example.com"
ZONE = "4d3c2b1a09f8e7d6c5b4a39281706f5e"  # production's zone, as its stack file names it
# The Cloudflare provider checks a token's shape (40 letters, digits, - or _) before use.
CF_TOKEN = "CANARY-engine-cf-admin-token-5e1d".ljust(40, "0")
GITHUB_TOKEN = "CANARY-engine-github-token-5e1d"
OWNER_PASSWORD = "CANARY-engine-owner-5e1d"
RESEND_ADMIN = "re_CANARY-engine-resend-admin-5e1d"
STRIPE_ADMIN = "rk_test_CANARY-engine-stripe-admin-5e1d"
# Secret stack config, by key: every value is a canary that must never appear in clear.
CONFIG_SECRETS = {
    "cloudflare:apiToken": CF_TOKEN,
    "github:token": GITHUB_TOKEN,
    "envkeeper:resendAdminKey": RESEND_ADMIN,
    "envkeeper:stripeAdminKey": STRIPE_ADMIN,
    "envkeeper:stripeSecretKey": "rk_test_CANARY-engine-app-key-5e1d",
    "envkeeper:openaiApiKey": "CANARY-engine-openai-5e1d",
}


@dataclass
class Vendors:
    cloudflare: CloudflareApi
    github: GitHubApi
    resend: ResendApi
    stripe: StripeApi

    def changes(self) -> list[Call]:
        """What every stand-in was asked to change since the last call, in order."""
        return in_order(*(v.changes() for v in (self.cloudflare, self.github, self.resend,
                                                self.stripe)))  # fmt: skip


@contextmanager
def running_vendors(
    account: str = ACCOUNT, workers: tuple[str, ...] = (API, WEBHOOKS), domain: str = DOMAIN
) -> Iterator[Vendors]:
    """The four stand-ins, knowing one stack's Cloudflare account, Workers and mail domain."""
    servers = [started_server() for _ in range(4)]
    try:
        yield Vendors(
            CloudflareApi(servers[0], CF_TOKEN, account, set(workers)),
            GitHubApi(servers[1], GITHUB_TOKEN, OWNER, REPOSITORY, teams={"platform": TEAM_ID}),
            ResendApi(servers[2], RESEND_ADMIN, {domain: "4dd369bc-aa82-4ff3-97de-514ae3000ee0"}),
            StripeApi(servers[3], STRIPE_ADMIN),
        )
    finally:
        for server in servers:
            stopped(server)


@contextmanager
def neon_like_database(bindir: Path) -> Iterator[tuple[Server, str]]:
    """A PostgreSQL server and the owner URL of its `neondb`, as a Neon project has: an
    owner that may create roles and databases, a member of `neon_superuser`, no superuser."""
    with running_server(bindir, tls=True) as server:
        yield server, neon_like_owner(server, "neondb_owner", OWNER_PASSWORD)


def stack_file(vendors: Vendors, stack: str = STACK) -> str:
    """A shipped stack file (production's by default), adopting its Neon project, with the
    declared secrets' dates (docs/catalog.md) and the providers pointed at the stand-ins."""
    yaml = round_trip_yaml()
    document = yaml.load((PROJECT / f"Pulumi.{stack}.yaml").read_text())
    config = document["config"]
    config["envkeeper:neon"] = {
        "projectName": config["envkeeper:neon"]["projectName"],
        "database": "app",
        # Adopted, in the organization its file names: beside a stack that holds a Neon
        # API key, isolation needs to know it (envkeeper/stack/isolation.py).
        "orgId": config["envkeeper:neon"]["orgId"],
        "existingProjectId": "ep-engine-test-123456",
    }
    rotation = config["envkeeper:rotation"]
    rotation["envkeeper:neonOwnerUrl"] = rotation.pop("neon:apiKey")
    del rotation["NEON_OWNER_PASSWORD"]  # an adopted project's owner is rolled by hand
    rotation.update(DATES)
    config["cloudflare:baseUrl"] = vendors.cloudflare.base_url
    config["github:baseUrl"] = vendors.github.provider_url
    out = StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def vendor_settings(vendors: Vendors) -> dict[str, str]:
    """How envkeeper's dynamic providers reach the stand-ins: their SDKs' own settings."""
    return {
        "CLOUDFLARE_BASE_URL": vendors.cloudflare.base_url,
        "RESEND_API_URL": vendors.resend.base_url,
        "STRIPE_API_BASE": vendors.stripe.base_url,
    }


def prepared_workspace(
    engine: Path,
    root: Path,
    vendors: Vendors,
    owner_url: str,
    stack: str = STACK,
    text: str | None = None,
) -> Workspace:
    """The real program and the test stack (`text` as its stack file, by default the
    shipped one adapted by stack_file), its secrets set, not yet deployed."""
    ws = new_workspace(engine, root, stack, text or stack_file(vendors, stack), DECLARED)
    ws.env_extra.update(vendor_settings(vendors))
    for key, value in {**CONFIG_SECRETS, "envkeeper:neonOwnerUrl": owner_url}.items():
        ws.run("config", "set", "--secret", "--stack", stack, key, value)
    return ws
