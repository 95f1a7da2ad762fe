"""A stack that creates its Neon project, under the real engine and the real Neon plugin.

Neon's provider runs for real: the `terraform-provider` plugin (pulumi-terraform-bridge's
dynamic provider) starts the Terraform provider kislerdm/neon 0.13.0, which calls Neon's
API at its fixed address, https://console.neon.tech. It reaches the Neon stand-in
(tests/neon_api.py) there through an HTTPS CONNECT proxy whose certificate a test CA signs
(tests/neon_tls.py). The stand-in makes each project's owner and database on a real
PostgreSQL 15, and answers with an endpoint host that names it: Neon's URLs carry no port,
so the server listens on 5432 at an address of its own in 127.0.0.0/8, and each CLI call
runs in a mount namespace whose /etc/hosts maps the endpoint's host names to it (root and
`unshare`, as CI has). The other vendors are the usual stand-ins (tests/engine_stack.py).

One stack, deployed once: the first `up` creates the project, its logins and its URLs;
the second preview, refreshed, has nothing to do; a keeper bump rotates a login with the
blast radius envkeeper predicts; a changed organization is refused before anything moves;
`destroy` stops at the protected project.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from envkeeper.config.clock import utc_today
from envkeeper.config.stackfile import round_trip_yaml
from envkeeper.rotation.schedule import dependents
from tests.conftest import PROJECT, Cli
from tests.declared_project import DATES, DECLARED
from tests.engine import Workspace, engine_or_skip, new_workspace
from tests.engine_stack import (
    API,
    CONFIG_SECRETS,
    ENVIRONMENT,
    Vendors,
    running_vendors,
    vendor_settings,
)
from tests.neon_tls import NeonOverTls, neon_over_tls
from tests.pgserver import Server, neon_like_owner, required_bindir, running_server, superuser
from tests.programs import load
from tests.role_checks import migrate, readonly_may_exactly

pytestmark = pytest.mark.engine

STACK = "prod"
NEON_KEY = "CANARY-engine-neon-key-5e1d"
ORG = "org-example-prod-12345678"  # the organization production's stack file names
# The endpoint host the stand-in reports for every endpoint: its pooled form too resolves
# to the test's server, in the namespace each CLI call runs in.
ENDPOINT = "ep-engine-neon-a1b2c3d4.c-2.us-east-2.aws.neon.tech"
POOLER = "ep-engine-neon-a1b2c3d4-pooler.c-2.us-east-2.aws.neon.tech"
PROJECT_TYPE = "neon:index/project:Project"


class RealOwner:
    """The stand-in's project owner and database, made on the test's PostgreSQL as Neon
    makes them (a member of neon_superuser, CREATEROLE and CREATEDB, no superuser)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.first: dict[str, str] = {}  # each owner's password as the project was made
        self.passwords: dict[str, str] = {}  # and as it is now

    def create_owner(self, role: str, password: str, database: str) -> None:
        neon_like_owner(self.server, role, password, database)
        self.first[role] = self.passwords[role] = password

    def logs_in(self, role: str, password: str) -> bool:
        try:
            with psycopg.connect(
                host=ENDPOINT,
                hostaddr=self.server.host,
                port=self.server.port,
                user=role,
                password=password,
                dbname="neondb",
                sslmode="require",
                connect_timeout=5,
            ):
                return True
        except psycopg.OperationalError as exc:
            assert "password authentication failed" in str(exc)
            return False

    def set_password(self, role: str, password: str) -> None:
        with superuser(self.server) as conn:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
        self.passwords[role] = password


def in_own_hosts(folder: Path, address: str) -> list[str]:
    """What a CLI call runs inside: a private mount namespace where /etc/hosts also maps
    the endpoint's names to `address`. Nothing outside the call sees it."""
    hosts = folder / "hosts"
    hosts.write_text(
        Path("/etc/hosts").read_text() + f"\n{address} {ENDPOINT}\n{address} {POOLER}\n"
    )
    script = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, str(hosts)]


def namespaces_or_skip() -> None:
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", "mount --bind /etc/hosts /etc/hosts"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        why = f"a private /etc/hosts needs root and unshare: {probe.stderr.strip()[-200:]}"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


def created_stack_file(vendors: Vendors) -> str:
    """Production's shipped stack file as it is (it creates its Neon project), with the
    declared secrets' dates and the providers pointed at the stand-ins."""
    yaml = round_trip_yaml()
    document = yaml.load((PROJECT / f"Pulumi.{STACK}.yaml").read_text())
    config = document["config"]
    assert "existingProjectId" not in config["envkeeper:neon"]
    assert config["envkeeper:neon"]["orgId"] == ORG
    config["envkeeper:rotation"].update(DATES)
    config["cloudflare:baseUrl"] = vendors.cloudflare.base_url
    config["github:baseUrl"] = vendors.github.provider_url
    out = StringIO()
    yaml.dump(document, out)
    return out.getvalue()


@dataclass
class Created:
    ws: Workspace
    server: Server
    vendors: Vendors
    neon: NeonOverTls
    owner: RealOwner
    deployed: bool = False

    def up(self, *extra: str) -> None:
        self.ws.run("up", "--yes", "--skip-preview", *extra)

    def preview(self, *extra: str) -> dict[str, str]:
        done = self.ws.json("preview", "--diff", *extra)
        return {s["urn"].rsplit("::", 1)[1]: s["op"] for s in done["steps"] if s["op"] != "same"}

    def login(self, url: str) -> psycopg.Connection:
        """Log in as a Worker would, the URL's host name resolved to the test's server."""
        return psycopg.connect(url, hostaddr=self.server.host, autocommit=True, connect_timeout=5)

    def project_calls(self, method: str) -> list[Any]:
        return [c for c in self.neon.api.requests if c.method == method and c.path == "/projects"]


@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Created]:
    engine = engine_or_skip()
    namespaces_or_skip()
    root = tmp_path_factory.mktemp("engine-neon")
    # An address of its own: port 5432 there is free whatever else the machine runs.
    address = f"127.{secrets.randbelow(200) + 20}.{secrets.randbelow(250) + 1}.1"
    with (
        running_server(required_bindir(), tls=True, address=address, port=5432) as server,
        running_vendors() as vendors,
    ):
        owner = RealOwner(server)
        with neon_over_tls(root, {NEON_KEY: ORG}, owner, lambda _id: ENDPOINT) as neon:
            ws = new_workspace(engine, root / "ws", STACK, created_stack_file(vendors), DECLARED)
            ws.wrapper = in_own_hosts(root, address)
            ws.env_extra.update(vendor_settings(vendors))
            ws.env_extra.update(neon.env())
            for key, value in {**CONFIG_SECRETS, "neon:apiKey": NEON_KEY}.items():
                ws.run("config", "set", "--secret", "--stack", STACK, key, value)
            yield Created(ws, server, vendors, neon, owner)


@pytest.fixture
def deployed(created: Created) -> Created:
    if not created.deployed:
        created.up("--refresh")
        # CI's first migration, with the URL CI was given: the table the login checks use.
        migrator = created.vendors.github.environments[ENVIRONMENT].secrets
        with created.login(migrator["MIGRATION_DATABASE_URL"]) as conn:
            migrate(conn)
        created.deployed = True
    return created


def test_up_creates_the_project_through_the_plugin_and_every_url_logs_in(
    deployed: Created,
) -> None:
    # The plugin asked Neon (the stand-in, through the proxy and its CA) for one project,
    # named and placed as the stack file says, with the key from the stack's config.
    (create,) = deployed.project_calls("POST")
    assert create.body["project"]["name"] == "example-prod"
    assert create.body["project"]["org_id"] == ORG
    assert deployed.neon.proxy.targets == ["console.neon.tech:443"] * len(
        deployed.neon.proxy.targets
    )
    (project,) = deployed.neon.api.projects.values()
    assert project.org_id == ORG

    # The least-privilege logins exist on the real server, and each URL logs in as its own.
    settings = load(STACK, deployed.ws.project)[1]
    cloudflare = deployed.vendors.cloudflare
    active = settings.slots("DATABASE_URL").active
    runtime = cloudflare.secrets[(API, "DATABASE_URL")]
    readonly = cloudflare.secrets[(API, "DATABASE_URL_READONLY")]
    for url, user, host in (
        (runtime, f"app_runtime_{active}", POOLER),
        (readonly, "app_readonly", POOLER),
    ):
        assert urlsplit(url).hostname == host
        with deployed.login(url) as conn:
            assert conn.execute("SELECT session_user").fetchone() == (user,)
            assert conn.info.pgconn.ssl_in_use
    with deployed.login(readonly) as conn:
        readonly_may_exactly(conn)

    # The stack file names a restart day: once every URL was delivered and every login's
    # old sessions ended, the up restarted the compute endpoint (pooled sessions end).
    (restart,) = [c for c in deployed.neon.api.requests if c.path.endswith("/restart")]
    assert restart.path == f"/projects/{project.id}/endpoints/{project.endpoints[0].id}/restart"
    delivered = [c.seq for c in deployed.vendors.cloudflare.requests if c.method == "PUT"]
    assert delivered and max(delivered) < restart.seq

    # The owner's password is in the state only encrypted, never in clear.
    state = deployed.ws.run("stack", "export").stdout
    for password in deployed.owner.passwords.values():
        assert password not in state
    assert NEON_KEY not in state


def test_nothing_changes_the_second_time_not_even_after_a_refresh(deployed: Created) -> None:
    deployed.neon.api.changes()
    deployed.ws.run("preview", "--refresh", "--expect-no-changes")
    deployed.up("--refresh")
    assert deployed.preview() == {}
    # The refresh read the project back from Neon, and asked Neon to change nothing.
    assert [c.path for c in deployed.neon.api.requests if c.method == "GET"]
    assert deployed.neon.api.changes() == []


def test_a_login_rotates_by_its_keeper_date_with_the_predicted_blast_radius(
    deployed: Created,
) -> None:
    before = load(STACK, deployed.ws.project)[1]
    old = deployed.vendors.cloudflare.secrets[(API, "DATABASE_URL_READONLY")]
    done = Cli(deployed.ws.project)("rotation", "bump", STACK, "DATABASE_URL_READONLY")
    assert done.exit_code == 0, done.output

    steps = deployed.preview()
    assert set(steps) == dependents(before, "DATABASE_URL_READONLY", None, utc_today())
    assert PROJECT_TYPE not in json.dumps(steps) and "project" not in steps

    deployed.up()
    new = deployed.vendors.cloudflare.secrets[(API, "DATABASE_URL_READONLY")]
    assert new != old
    with deployed.login(new) as conn:
        assert conn.execute("SELECT session_user").fetchone() == ("app_readonly",)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        deployed.login(old)
    assert deployed.preview() == {}


def test_the_owner_password_is_reset_at_neon_and_the_old_one_stops_working(
    deployed: Created,
) -> None:
    owner = deployed.owner
    (role,) = owner.passwords
    # The first `up` already reset the password the project was made with.
    assert not owner.logs_in(role, owner.first[role])
    old = owner.passwords[role]
    assert owner.logs_in(role, old)

    before = load(STACK, deployed.ws.project)[1]
    done = Cli(deployed.ws.project)("rotation", "bump", STACK, "NEON_OWNER_PASSWORD")
    assert done.exit_code == 0, done.output
    # Neon chooses the new password during the deploy, so the preview cannot know the
    # provider's next configuration: it lists what the provider manages as updates. Nothing
    # is replaced, made or deleted.
    steps = deployed.preview()
    predicted = dependents(before, "NEON_OWNER_PASSWORD", None, utc_today())
    assert predicted == {"owner-password", "sql"} <= set(steps)
    assert set(steps.values()) == {"update"}

    deployed.neon.api.changes()
    deployed.up()
    resets = [c.path for c in deployed.neon.api.changes() if c.path.endswith("/reset_password")]
    assert resets == [f"/projects/{next(iter(deployed.neon.api.projects))}/branches/"
                      f"{next(iter(deployed.neon.api.projects.values())).branches[0].id}"
                      f"/roles/{role}/reset_password"]  # fmt: skip
    # The deploy itself changed exactly what was predicted: the password and the provider.
    (last,) = deployed.ws.json("stack", "history", "--page-size", "1")
    assert last["resourceChanges"].get("update") == len(predicted), last["resourceChanges"]
    new = owner.passwords[role]
    assert new != old
    assert owner.logs_in(role, new)
    assert not owner.logs_in(role, old)
    # The provider works with the new one: a login rotated next is made as usual.
    assert deployed.preview() == {}


def test_moving_the_restart_day_restarts_the_endpoint_and_nothing_else(deployed: Created) -> None:
    path = deployed.ws.project / f"Pulumi.{STACK}.yaml"
    text = path.read_text()
    path.write_text(re.sub(r"restartEndpoint: '[\d-]+'", f"restartEndpoint: '{utc_today()}'", text))
    assert deployed.preview() == {"endpoint-restart": "update"}
    before = len(deployed.neon.api.restarts)
    deployed.up()
    assert len(deployed.neon.api.restarts) == before + 1
    assert deployed.preview() == {}


def test_a_changed_organization_is_refused_before_anything_changes(deployed: Created) -> None:
    path = deployed.ws.project / f"Pulumi.{STACK}.yaml"
    text = path.read_text()
    path.write_text(text.replace(f"orgId: {ORG}", "orgId: org-other-87654321"))
    deployed.neon.api.changes()  # forget what earlier deploys asked
    try:
        done = deployed.ws.run("preview", check=False)
        assert done.returncode != 0
        assert f"envkeeper:neon.orgId: the deployed project belongs to {ORG}" in done.stdout
        assert not deployed.neon.api.changes()
    finally:
        path.write_text(text)


def test_destroy_stops_at_the_data_and_never_deletes_the_project(deployed: Created) -> None:
    def destroy() -> str:
        done = deployed.ws.run("destroy", "--yes", "--skip-preview", check=False)
        deployed.deployed = False
        assert done.returncode != 0, done.stdout[-2000:]
        return done.stdout + done.stderr

    def unprotect(output: str) -> str:
        (urn,) = re.findall(r"pulumi state unprotect '([^']+)'", output)
        deployed.ws.run("state", "unprotect", urn, "--yes")
        return urn

    # The SQL database stops the first destroy, the project the second: each is a
    # deliberate `pulumi state unprotect`, as docs/database.md says.
    assert unprotect(destroy()).endswith("postgresql:index/database:Database::database")
    assert unprotect(destroy()).endswith(f"{PROJECT_TYPE}::project")
    # Unprotected, the project is only forgotten: kept on delete, its data with it.
    deployed.ws.run("destroy", "--yes", "--skip-preview")
    assert not [c for c in deployed.neon.api.requests if c.method == "DELETE"]
    assert len(deployed.neon.api.projects) == 1
    with superuser(deployed.server, "app") as conn:
        assert conn.execute("SELECT count(*) FROM app.items").fetchone() == (1,)
