"""Where each catalog value goes in one environment: its Workers and GitHub environment."""

from __future__ import annotations

from dataclasses import dataclass

from envkeeper.stack.catalog import CatalogEntry, Destination
from envkeeper.stack.settings import Settings


@dataclass(frozen=True)
class Target:
    kind: Destination
    target: str  # the Worker, or the GitHub repository and environment

    @property
    def label(self) -> str:
        return {
            Destination.WORKER_SECRET: f"Worker {self.target} (secret)",
            Destination.WORKER_VAR: f"Worker {self.target} (plain var)",
            Destination.GITHUB_SECRET: f"GitHub {self.target} (environment secret)",
            Destination.GITHUB_VARIABLE: f"GitHub {self.target} (environment variable)",
        }[self.kind]


def targets(entry: CatalogEntry, settings: Settings) -> list[Target]:
    """Where the catalog sends `entry` in this environment."""
    github = f"{settings.github.repository}/{settings.github.environment}"
    out: list[Target] = []
    cloudflare = settings.cloudflare
    for kind in entry.destinations:
        if kind is Destination.WORKER_SECRET:
            # Only the Workers whose secret set names it (least privilege).
            out.extend(
                Target(kind, w)
                for w in cloudflare.workers
                if entry.name in cloudflare.secrets_of(w)
            )
        elif kind is Destination.WORKER_VAR:
            out.extend(Target(kind, worker) for worker in cloudflare.workers)
        else:
            out.append(Target(kind, github))
    return out
