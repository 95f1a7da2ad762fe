"""The Neon stand-in (tests/neon_api.py) as a client reaches it: as console.neon.tech,
through the CONNECT proxy, trusting the test CA (tests/neon_tls.py). Fast: no engine.

The calls a project's create and read make are the Terraform provider's, in its order
(kislerdm/terraform-provider-neon v0.13.0, provider/resource_project.go), with the fields
it reads; restart and reset_password are the program's own.
"""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.neon_api import NeonApi, Project
from tests.neon_tls import NEON_URL, NeonOverTls, neon_over_tls
from tests.standin import Fault, started_server, stopped

KEY, ORG = "neon-key-example", "org-example-12345678"
OTHER_KEY, OTHER_ORG = "neon-key-other", "org-other-87654321"


class FakePostgres:
    """The owner logins a real server would hold, as the stand-in makes and changes them."""

    def __init__(self) -> None:
        self.passwords: dict[str, str] = {}  # role -> password
        self.databases: dict[str, str] = {}  # database -> its owner

    def create_owner(self, role: str, password: str, database: str) -> None:
        self.passwords[role] = password
        self.databases[database] = role

    def set_password(self, role: str, password: str) -> None:
        assert role in self.passwords, role
        self.passwords[role] = password

    def login(self, role: str, password: str) -> bool:
        return self.passwords.get(role) == password


@pytest.fixture
def postgres() -> FakePostgres:
    return FakePostgres()


@pytest.fixture
def neon(tmp_path: Path, postgres: FakePostgres) -> Iterator[NeonOverTls]:
    with neon_over_tls(tmp_path, {KEY: ORG, OTHER_KEY: OTHER_ORG}, postgres=postgres) as served:
        yield served


def client(neon: NeonOverTls, key: str = KEY, verify: ssl.SSLContext | None = None) -> httpx.Client:
    """Neon's API as a client outside sees it: through the proxy, trusting the test CA."""
    return httpx.Client(
        base_url=NEON_URL,
        proxy=neon.proxy.url,
        verify=verify or ssl.create_default_context(cafile=str(neon.ca_pem)),
        headers={"Authorization": f"Bearer {key}"},
        trust_env=False,  # the proxy and CA given here, whatever this shell has
    )


def created(neon: NeonOverTls, **project: Any) -> dict[str, Any]:
    with client(neon) as api:
        answer = api.post("/projects", json={"project": {"name": "example-dev", **project}})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_project_is_created_and_read_back_as_the_provider_does(
    neon: NeonOverTls, postgres: FakePostgres
) -> None:
    made = created(neon, org_id=ORG)
    project_id = made["project"]["id"]
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{8}", project_id)
    assert made["project"]["org_id"] == ORG and made["project"]["name"] == "example-dev"
    branch = made["branch"]
    assert branch["name"] == "main" and re.fullmatch(r"br-[a-z]+-[a-z]+-[0-9a-f]{8}", branch["id"])
    [endpoint] = made["endpoints"]
    assert endpoint["type"] == "read_write" and endpoint["branch_id"] == branch["id"]
    assert re.fullmatch(r"ep-[a-z]+-[a-z]+-[0-9a-f]{8}", endpoint["id"])
    assert endpoint["host"] == f"{endpoint['id']}.c-2.us-east-2.aws.neon.tech"
    [database] = made["databases"]
    assert (database["name"], database["owner_name"]) == ("neondb", "neondb_owner")
    [role] = made["roles"]
    password = role["password"]
    assert role["name"] == "neondb_owner" and postgres.login("neondb_owner", password)
    assert postgres.databases == {"neondb": "neondb_owner"}
    [uri] = made["connection_uris"]
    assert uri["connection_uri"] == (
        f"postgresql://neondb_owner:{password}@{endpoint['host']}/neondb?sslmode=require"
    )
    assert {o["status"] for o in made["operations"]} == {"running"}

    branch_path = f"/projects/{project_id}/branches/{branch['id']}"
    with client(neon) as api:
        # Create: the provider polls each running operation until it has finished.
        for operation in made["operations"]:
            polled = api.get(f"/projects/{project_id}/operations/{operation['id']}")
            assert polled.json()["operation"]["status"] == "finished"
        # Read: the project, its primary branch, that branch's endpoints and databases,
        # and the default database owner's password.
        assert api.get(f"/projects/{project_id}").json()["project"]["id"] == project_id
        [listed] = api.get(f"/projects/{project_id}/branches").json()["branches"]
        assert listed["id"] == branch["id"] and listed["primary"] is True
        assert api.get(f"{branch_path}/endpoints").json()["endpoints"] == [endpoint]
        assert api.get(f"{branch_path}/databases").json()["databases"] == [database]
        revealed = api.get(f"{branch_path}/roles/neondb_owner/reveal_password").json()
    assert revealed == {"password": password}

    asked = [(c.method, c.path) for c in neon.api.requests]
    assert asked == [
        ("POST", "/projects"),
        *[("GET", f"/projects/{project_id}/operations/{o['id']}") for o in made["operations"]],
        ("GET", f"/projects/{project_id}"),
        ("GET", f"/projects/{project_id}/branches"),
        ("GET", f"{branch_path}/endpoints"),
        ("GET", f"{branch_path}/databases"),
        ("GET", f"{branch_path}/roles/neondb_owner/reveal_password"),
    ]
    assert set(neon.proxy.targets) == {"console.neon.tech:443"}
    assert len(neon.proxy.requests) == len(asked)  # one tunnel per request


def test_every_owner_password_is_new(neon: NeonOverTls, postgres: FakePostgres) -> None:
    first = created(neon)["roles"][0]["password"]
    second = created(neon)["roles"][0]["password"]
    assert first != second and len(first) >= 16
    assert postgres.login("neondb_owner", second)  # the latest project's owner


def test_reset_password_changes_it_in_the_database_and_at_neon(
    neon: NeonOverTls, postgres: FakePostgres
) -> None:
    made = created(neon)
    old = made["roles"][0]["password"]
    role_path = f"/projects/{made['project']['id']}/branches/{made['branch']['id']}/roles"
    with client(neon) as api:
        reset = api.post(f"{role_path}/neondb_owner/reset_password")
        revealed = api.get(f"{role_path}/neondb_owner/reveal_password").json()["password"]
        missing = api.post(f"{role_path}/nobody/reset_password")

    assert reset.status_code == 200, reset.text
    new = reset.json()["role"]["password"]
    assert new != old and revealed == new
    assert postgres.login("neondb_owner", new) and not postgres.login("neondb_owner", old)
    assert [o["action"] for o in reset.json()["operations"]] == ["apply_config"]
    assert missing.status_code == 404
    assert missing.json() == {"code": "", "message": "role not found"}


def test_a_restart_is_recorded(neon: NeonOverTls) -> None:
    made = created(neon)
    project_id, endpoint_id = made["project"]["id"], made["endpoints"][0]["id"]
    with client(neon) as api:
        restarted = api.post(f"/projects/{project_id}/endpoints/{endpoint_id}/restart")
        unknown = api.post(f"/projects/{project_id}/endpoints/ep-none-00000000/restart")

    assert restarted.status_code == 200, restarted.text
    assert restarted.json()["endpoint"]["id"] == endpoint_id
    actions = [o["action"] for o in restarted.json()["operations"]]
    assert actions == ["suspend_compute", "start_compute"]
    assert unknown.status_code == 404
    assert neon.api.restarts == [(project_id, endpoint_id)]


def test_a_project_is_renamed_then_deleted(neon: NeonOverTls) -> None:
    project_id = created(neon)["project"]["id"]
    with client(neon) as api:
        renamed = api.patch(f"/projects/{project_id}", json={"project": {"name": "renamed"}})
        read = api.get(f"/projects/{project_id}").json()["project"]["name"]
        deleted = api.delete(f"/projects/{project_id}")
        gone = api.get(f"/projects/{project_id}")
        no_branches = api.get(f"/projects/{project_id}/branches")

    assert renamed.json()["project"]["name"] == "renamed" and read == "renamed"
    assert deleted.status_code == 200 and deleted.json()["project"]["id"] == project_id
    assert project_id not in neon.api.projects
    assert gone.status_code == 404 and gone.json() == {"code": "", "message": "project not found"}
    assert no_branches.status_code == 404


def test_an_unknown_key_is_refused(neon: NeonOverTls) -> None:
    with client(neon, key="not-a-key") as api:
        answer = api.post("/projects", json={"project": {"name": "example-dev"}})
    assert answer.status_code == 401
    assert answer.json() == {"code": "", "message": "authentication required"}
    assert neon.api.projects == {}


def test_another_organizations_project_is_not_found(neon: NeonOverTls) -> None:
    made = created(neon)
    project_id, branch_id = made["project"]["id"], made["branch"]["id"]
    with client(neon, key=OTHER_KEY) as api:
        read = api.get(f"/projects/{project_id}")
        password = api.get(
            f"/projects/{project_id}/branches/{branch_id}/roles/neondb_owner/reveal_password"
        )
        deleted = api.delete(f"/projects/{project_id}")
        # Nor can it make a project in the first key's organization.
        elsewhere = api.post("/projects", json={"project": {"name": "x", "org_id": ORG}})

    assert [read.status_code, password.status_code, deleted.status_code] == [404, 404, 404]
    assert project_id in neon.api.projects
    assert elsewhere.status_code == 403
    assert [p.org_id for p in neon.api.projects.values()] == [ORG]


def test_the_proxy_refuses_any_other_host(neon: NeonOverTls) -> None:
    with client(neon) as api, pytest.raises(httpx.ProxyError, match="403"):
        api.get("https://example.com/")
    assert [(r.method, r.target, r.allowed) for r in neon.proxy.requests] == [
        ("CONNECT", "example.com:443", False)
    ]
    assert neon.api.requests == []


def test_the_certificate_is_not_trusted_without_the_test_ca(neon: NeonOverTls) -> None:
    with (
        client(neon, verify=ssl.create_default_context()) as api,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        api.get("/projects/dawn-lake-12345678")
    assert neon.proxy.targets == ["console.neon.tech:443"]  # the tunnel was made
    assert neon.api.requests == []


def test_the_stand_in_fails_as_networks_fail_over_tls(neon: NeonOverTls) -> None:
    neon.api.faults = [
        Fault("fail", "POST", "/projects", status=503),
        Fault("lose", "POST", "/projects"),
    ]
    with client(neon) as api:
        failed = api.post("/projects", json={"project": {"name": "a"}})
        with pytest.raises(httpx.RemoteProtocolError):
            api.post("/projects", json={"project": {"name": "b"}})

    assert failed.status_code == 503
    assert failed.json() == {"code": "", "message": "internal server error"}
    # The lost answer's project was made all the same.
    assert [p.name for p in neon.api.projects.values()] == ["b"]


def test_the_endpoint_host_is_the_tests_to_choose(tmp_path: Path) -> None:
    with neon_over_tls(tmp_path, {KEY: ORG}, endpoint_host=lambda _: "localhost") as neon:
        made = created(neon)
    assert made["endpoints"][0]["host"] == "localhost"


def test_a_child_process_reaches_the_stand_in_with_proxy_env(neon: NeonOverTls) -> None:
    neon.api.projects["dawn-lake-12345678"] = Project("dawn-lake-12345678", "example", ORG)
    direct = started_server()  # another stand-in, on plain HTTP: reached without the proxy
    direct.expect_request("/ping").respond_with_data("pong")
    script = (
        "import sys, urllib.request as u\n"
        "r = u.Request(sys.argv[1], headers={'Authorization': 'Bearer ' + sys.argv[2]})\n"
        "print(u.urlopen(r).read().decode())\n"
        "print(u.urlopen(sys.argv[3]).read().decode())\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, f"{NEON_URL}/projects/dawn-lake-12345678", KEY,
             direct.url_for("/ping")],
            # Even with a proxy for plain HTTP too, NO_PROXY keeps local stand-ins direct.
            env={**os.environ, "http_proxy": neon.proxy.url, **neon.env()},
            capture_output=True,
            text=True,
            timeout=30,
        )  # fmt: skip
    finally:
        stopped(direct)

    assert done.returncode == 0, done.stderr
    assert '"id": "dawn-lake-12345678"' in done.stdout and "pong" in done.stdout
    assert neon.proxy.targets == ["console.neon.tech:443"]
    assert neon.env()["SSL_CERT_FILE"] == str(neon.ca_pem)


def test_the_orphan_checks_question_is_answered_as_before(tmp_path: Path) -> None:
    # tests/test_orphans.py puts projects in by hand and asks over plain HTTP.
    server = started_server()
    try:
        api = NeonApi(server, {KEY: ORG})
        api.projects["ep-dev-123456"] = Project("ep-dev-123456", "example-dev", ORG)
        with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}) as http:
            found = http.get(f"{api.base_url}/projects/ep-dev-123456").json()["project"]
    finally:
        stopped(server)
    assert (found["id"], found["name"], found["org_id"]) == ("ep-dev-123456", "example-dev", ORG)
