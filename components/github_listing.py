"""The names of an environment's Actions variables and secrets, as GitHub lists them.

Names only: GitHub never returns a secret's value, and a variable's value, which it does
return, is dropped here unread. Every page is asked for with a bounded, retried request
(components/vendor_calls.py); an environment that does not exist holds nothing.

`github:baseUrl` is honoured as the GitHub provider honours it: a GitHub Enterprise Server
(or the tests' stand-in) answers under `/api/v3/`. Imports no Pulumi.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from components.vendor_calls import (
    RETRY,
    Answer,
    VendorError,
    httpx_answer,
    refusal,
    retried,
    tries_of,
)

GITHUB_API = "https://api.github.com"
# The most each list answers at once (GitHub's limits: 100 secrets, 30 variables).
PAGES = {"secrets": 100, "variables": 30}


def api_root(base_url: str | None) -> str:
    if not base_url or base_url.rstrip("/") in (GITHUB_API, "https://github.com"):
        return GITHUB_API
    return base_url.rstrip("/") + "/api/v3"


def environment_names(
    token: str, owner: str, repository: str, environment: str, base_url: str | None = None
) -> tuple[list[str], list[str]]:
    """(secret names, variable names) of one environment; both empty where it is missing."""
    import httpx

    root = f"{api_root(base_url)}/repos/{quote(owner)}/{quote(repository)}"
    where = f"listing GitHub environment {environment}'s secrets and variables"
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    found: dict[str, list[str]] = {}
    with httpx.Client(headers=headers, timeout=RETRY.timeout) as client:
        for kind, size in PAGES.items():
            url = f"{root}/environments/{quote(environment, safe='')}/{kind}"
            try:
                found[kind] = _every_name(client, url, kind, size)
            except Exception as exc:
                answer = httpx_answer(exc)
                if answer is None:
                    raise
                if answer.status == 404 and _repository_seen(client, root):
                    return [], []  # no such environment: nothing is in it
                if answer.status == 404:  # GitHub's answer for a repository a token cannot see
                    answer = Answer(403)
                fix = (
                    "check the stack's github:token (it needs Environments read on the repository)"
                )
                line = refusal(where, "GitHub", answer, key_fix=fix, tries=tries_of(exc))
                raise VendorError(line) from None
    return found["secrets"], found["variables"]


def _repository_seen(client: Any, root: str) -> bool:
    """Whether the token sees the repository: GitHub answers 404, not 403, where it does
    not, so a missing environment and a blind token look alike until this is asked."""
    return retried(lambda _attempt: client.get(root), httpx_answer).status_code == 200


def _every_name(client: Any, url: str, kind: str, size: int) -> list[str]:
    names: list[str] = []
    for page in range(1, 1000):

        def one(_attempt: int, page: int = page) -> dict[str, Any]:
            answer = client.get(url, params={"per_page": size, "page": page})
            answer.raise_for_status()
            return answer.json()

        body = retried(one, httpx_answer)
        listed = list(body.get(kind) or [])
        names += [str(item["name"]) for item in listed]
        if len(listed) < size or len(names) >= int(body.get("total_count") or 0):
            return names
    return names
