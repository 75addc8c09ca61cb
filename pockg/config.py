"""Where things live: the one place that resolves paths and settings.

Precedence for every setting: an explicit argument (a CLI option), then the
environment variable, then the default. Defaults point at the repository's
own folders, so a fresh clone works with no configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from pockg.errors import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parent.parent

ENV = {
    "store": "POCKG_STORE",
    "data_dir": "POCKG_DATA",
    "ontology_dir": "POCKG_ONTOLOGY",
    "queries_dir": "POCKG_QUERIES",
}

MEMORY = ":memory:"


@dataclass(frozen=True)
class Settings:
    """Resolved paths. ``store`` is a folder, or ``:memory:`` for tests."""

    store: str
    data_dir: Path
    ontology_dir: Path
    queries_dir: Path

    def with_overrides(self, **values) -> "Settings":
        values = {k: v for k, v in values.items() if v is not None}
        return replace(self, **values)


def load_settings(env: dict[str, str] | None = None, **overrides) -> Settings:
    """Settings from ``overrides`` > environment > repository defaults."""
    env = os.environ if env is None else env
    defaults = {
        "store": str(Path.cwd() / "var" / "store"),
        "data_dir": REPO_ROOT / "data",
        "ontology_dir": REPO_ROOT / "ontology",
        "queries_dir": REPO_ROOT / "queries",
    }
    resolved = {}
    for key, default in defaults.items():
        value = overrides.get(key) or env.get(ENV[key]) or default
        resolved[key] = value if key == "store" else Path(value)
    settings = Settings(**resolved)
    for key in ("data_dir", "ontology_dir", "queries_dir"):
        path = getattr(settings, key)
        if not path.is_dir():
            raise ConfigurationError(
                f"{key.replace('_', ' ')} {path} is not a folder "
                f"(set {ENV[key]} or pass the matching option)"
            )
    return settings
