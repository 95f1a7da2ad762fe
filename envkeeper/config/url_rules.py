"""The rules for the origins and webhook URLs a stack names, which the policy pack
applies to the resources too."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from envkeeper.config.environments import Environment


def webhook_url_problem(url: str, environment: Environment | None) -> str | None:
    parts = urlsplit(url)
    if "*" in url:
        return "is a wildcard; give the one URL Stripe should call"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not a URL; write it as https://api.example.com/webhooks/stripe"
    if parts.username or parts.password or parts.query or parts.fragment:
        return "carries credentials, a query or a fragment; give the plain URL"
    if parts.scheme != "https" and environment not in (None, Environment.DEV):
        return "is not https; only dev may use a plain http webhook URL"
    return None


def origin_problem(origin: Any, environment: Environment | None) -> str | None:
    if not isinstance(origin, str):
        return "an origin is a string such as https://app.example.com"
    if "*" in origin:
        return "is a wildcard; list each exact origin, e.g. https://app.example.com"
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an origin; write scheme and host, e.g. https://app.example.com"
    if parts.path or parts.query or parts.fragment or origin.endswith("/"):
        return "has a path or trailing slash; an origin is scheme://host[:port] only"
    if parts.username or parts.password:
        return "carries credentials; an origin is scheme://host[:port] only"
    try:
        _ = parts.port
    except ValueError:
        return "has an invalid port; use a number from 1 to 65535"
    if parts.netloc != parts.netloc.lower():
        return "must be lower case, as browsers send it"
    # With no valid environment the https rule cannot be judged; that key has its own error.
    if parts.scheme != "https" and environment not in (None, Environment.DEV):
        return "is not https; only dev may allow plain http origins"
    return None
