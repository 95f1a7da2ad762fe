"""A local stand-in for the GitHub REST API, as the GitHub provider calls it for one
repository's environments: the environment and its protection rules, deployment branch
policies, Actions environment secrets (sealed with the repository environment's public
key, opened here with the private one) and variables, and the team and user lookups.

Given `github:baseUrl: http://127.0.0.1:<port>/`, the provider speaks the GitHub
Enterprise Server layout, under `/api/v3/`. Answers carry GitHub's status codes and
shapes; everything it is sent is recorded in `requests`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from nacl.public import PrivateKey, SealedBox
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standin import Handler, StandIn, json_response

REPOSITORY_ID = 700001
KEY_ID = "568250167242549743"
STAMP = "2026-11-30T09:00:00Z"


@dataclass
class Environment:
    name: str
    can_admins_bypass: bool = True
    prevent_self_review: bool = False
    wait_timer: int = 0
    reviewers: list[dict[str, Any]] = field(default_factory=list)  # [{type, id}]
    branch_policy: dict[str, bool] | None = None
    # deployment branch policy id -> {name, type}
    branch_policies: dict[int, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # name -> decrypted value
    secret_updated: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)


class GitHubApi(StandIn):
    """One organisation, one repository, its environments; teams and users by name."""

    vendor = "github"
    prefix = "/api/v3"

    def __init__(
        self,
        server: HTTPServer,
        token: str,
        owner: str,
        repository: str,
        teams: dict[str, int] | None = None,
        users: dict[str, int] | None = None,
    ) -> None:
        super().__init__(server)
        self.token = token
        self.owner = owner
        self.repository = repository
        self.teams = teams or {}
        self.users = users or {}
        self.environments: dict[str, Environment] = {}
        self._key = PrivateKey.generate()
        self._ids = iter(range(9001, 10**6))
        self._clock = 0

    @property
    def provider_url(self) -> str:
        """What `github:baseUrl` is set to; the provider adds /api/v3/ itself."""
        return self.server.url_for("/")

    def authorized(self, request: Request) -> bool:
        given = request.headers.get("Authorization")
        return given in (f"Bearer {self.token}", f"token {self.token}")

    def refused(self) -> Response:
        return _error(401, "Bad credentials")

    def not_found(self, path: str) -> Response:
        return _error(404, "Not Found")

    def failure(self, status: int) -> Response:
        if status == 429:  # a secondary rate limit, as GitHub words it
            return _json(
                {
                    "message": "You have exceeded a secondary rate limit. Please wait a few "
                    "minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/"
                    "rate-limits-for-the-rest-api#about-secondary-rate-limits",
                },
                status=429,
            )
        return _error(status, "Server Error")

    def routes(self) -> list[tuple[str, Handler]]:
        repo = f"/repos/{re.escape(self.owner)}/{re.escape(self.repository)}"
        by_id = f"/repositories/{REPOSITORY_ID}"
        return [
            (f"/orgs/{re.escape(self.owner)}", self._org),
            (f"/orgs/{re.escape(self.owner)}/teams/([^/]+)", self._team),
            ("/users/([^/]+)", self._user),
            (repo, self._repo),
            (f"{repo}/environments/([^/]+)", self._environment),
            (f"{repo}/environments/([^/]+)/deployment-branch-policies", self._branch_policies),
            (f"{repo}/environments/([^/]+)/deployment-branch-policies/(\\d+)", self._branch_policy),
            (f"{repo}/environments/([^/]+)/secrets", self._secrets),
            (f"{repo}/environments/([^/]+)/variables", self._variables),
            (f"{repo}/environments/([^/]+)/variables/([^/]+)", self._variable),
            (f"{by_id}/environments/([^/]+)/secrets/public-key", self._public_key),
            (f"{by_id}/environments/([^/]+)/secrets/([^/]+)", self._secret),
        ]

    def _org(self, request: Request, _body: Any) -> Response:
        return _json({"login": self.owner, "id": 100, "type": "Organization"})

    def _team(self, request: Request, _body: Any, slug: str) -> Response:
        if slug not in self.teams:
            return _error(404, "Not Found")
        return _json({"id": self.teams[slug], "slug": slug, "name": slug, "privacy": "closed"})

    def _user(self, request: Request, _body: Any, login: str) -> Response:
        if login not in self.users:
            return _error(404, "Not Found")
        return _json({"login": login, "id": self.users[login], "type": "User"})

    def _repo(self, request: Request, _body: Any) -> Response:
        return _json(
            {
                "id": REPOSITORY_ID,
                "name": self.repository,
                "full_name": f"{self.owner}/{self.repository}",
                "owner": {"login": self.owner},
            }
        )

    def _env(self, name: str) -> Environment | None:
        return self.environments.get(name)

    def _environment(self, request: Request, body: Any, name: str) -> Response:
        if request.method == "PUT":
            env = self.environments.setdefault(name, Environment(name))
            body = body or {}
            env.wait_timer = body.get("wait_timer") or 0
            env.can_admins_bypass = body.get("can_admins_bypass", True)
            env.prevent_self_review = bool(body.get("prevent_self_review"))
            env.reviewers = [
                {"type": r["type"], "id": r["id"]} for r in body.get("reviewers") or []
            ]
            env.branch_policy = body.get("deployment_branch_policy")
            return _json(self._environment_json(env))
        env = self._env(name)
        if env is None:
            return _error(404, "Not Found")
        if request.method == "DELETE":
            del self.environments[name]
            return Response(status=204)
        return _json(self._environment_json(env))

    def _environment_json(self, env: Environment) -> dict[str, Any]:
        rules: list[dict[str, Any]] = []
        if env.wait_timer:
            rules.append({"id": 1, "type": "wait_timer", "wait_timer": env.wait_timer})
        if env.reviewers:
            rules.append(
                {
                    "id": 2,
                    "type": "required_reviewers",
                    "prevent_self_review": env.prevent_self_review,
                    "reviewers": [
                        {"type": r["type"], "reviewer": self._reviewer(r)} for r in env.reviewers
                    ],
                }
            )
        if env.branch_policy:
            rules.append({"id": 3, "type": "branch_policy"})
        return {
            "id": 5000,
            "name": env.name,
            "created_at": STAMP,
            "updated_at": STAMP,
            "can_admins_bypass": env.can_admins_bypass,
            "protection_rules": rules,
            "deployment_branch_policy": env.branch_policy,
        }

    def _reviewer(self, reviewer: dict[str, Any]) -> dict[str, Any]:
        if reviewer["type"] == "Team":
            slug = next((s for s, i in self.teams.items() if i == reviewer["id"]), "unknown")
            return {"id": reviewer["id"], "slug": slug, "name": slug}
        login = next((u for u, i in self.users.items() if i == reviewer["id"]), "unknown")
        return {"id": reviewer["id"], "login": login, "type": "User"}

    def _branch_policies(self, request: Request, body: Any, name: str) -> Response:
        env = self._env(name)
        if env is None:
            return _error(404, "Not Found")
        if request.method == "POST":
            if not (env.branch_policy or {}).get("custom_branch_policies"):
                return _error(404, "Custom branch policies are not enabled for this environment")
            policy_id = next(self._ids)
            env.branch_policies[policy_id] = {
                "name": body["name"],
                "type": body.get("type", "branch"),
            }
            return _json({"id": policy_id, **env.branch_policies[policy_id]})
        listed = [{"id": i, **p} for i, p in env.branch_policies.items()]
        return _json({"total_count": len(listed), "branch_policies": listed})

    def _branch_policy(self, request: Request, body: Any, name: str, policy: str) -> Response:
        env = self._env(name)
        if env is None or int(policy) not in env.branch_policies:
            return _error(404, "Not Found")
        if request.method == "DELETE":
            del env.branch_policies[int(policy)]
            return Response(status=204)
        if request.method == "PUT":
            env.branch_policies[int(policy)]["name"] = body["name"]
        return _json({"id": int(policy), **env.branch_policies[int(policy)]})

    def _public_key(self, request: Request, _body: Any, name: str) -> Response:
        if self._env(name) is None:
            return _error(404, "Not Found")
        key = base64.b64encode(bytes(self._key.public_key)).decode()
        return _json({"key_id": KEY_ID, "key": key})

    def _tick(self) -> str:
        # A distinct updated_at per write, as GitHub gives, so drift would show.
        self._clock += 1
        return f"2026-11-30T09:{self._clock // 60:02d}:{self._clock % 60:02d}Z"

    def _secret(self, request: Request, body: Any, name: str, secret: str) -> Response:
        env = self._env(name)
        if env is None:
            return _error(404, "Not Found")
        if request.method == "PUT":
            if body.get("key_id") != KEY_ID:
                return _error(422, "Bad request: key_id does not match")
            sealed = base64.b64decode(body["encrypted_value"])
            created = secret not in env.secrets
            env.secrets[secret] = SealedBox(self._key).decrypt(sealed).decode()
            env.secret_updated[secret] = self._tick()
            return Response(status=201 if created else 204)
        if secret not in env.secrets:
            return _error(404, "Not Found")
        if request.method == "DELETE":
            del env.secrets[secret]
            return Response(status=204)
        updated = env.secret_updated[secret]
        return _json({"name": secret, "created_at": STAMP, "updated_at": updated})

    def _secrets(self, request: Request, _body: Any, name: str) -> Response:
        env = self._env(name)
        if env is None:
            return _error(404, "Not Found")
        listed = [
            {"name": k, "created_at": STAMP, "updated_at": env.secret_updated.get(k, STAMP)}
            for k in env.secrets
        ]
        return _json({"total_count": len(listed), "secrets": listed})

    def _variables(self, request: Request, body: Any, name: str) -> Response:
        env = self._env(name)
        if env is None:
            return _error(404, "Not Found")
        if request.method == "POST":
            if body["name"] in env.variables:
                return _error(409, "Already exists")
            env.variables[body["name"]] = body["value"]
            return Response("{}", status=201, content_type="application/json")
        listed = [self._variable_json(k, v) for k, v in env.variables.items()]
        return _json({"total_count": len(listed), "variables": listed})

    def _variable(self, request: Request, body: Any, name: str, variable: str) -> Response:
        env = self._env(name)
        if env is None or variable not in env.variables:
            return _error(404, "Not Found")
        if request.method == "DELETE":
            del env.variables[variable]
            return Response(status=204)
        if request.method == "PATCH":
            env.variables[variable] = body["value"]
            return Response(status=204)
        return _json(self._variable_json(variable, env.variables[variable]))

    @staticmethod
    def _variable_json(name: str, value: str) -> dict[str, Any]:
        return {"name": name, "value": value, "created_at": STAMP, "updated_at": STAMP}


def _json(body: Any, status: int = 200) -> Response:
    return json_response(body, status)


def _error(status: int, message: str) -> Response:
    return _json(
        {"message": message, "documentation_url": "https://docs.github.com/rest"}, status=status
    )
