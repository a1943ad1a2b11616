"""The engines' configuration (conf/ in the project, bundled in the wheel), rendered for the
stack that runs them: the compose project mounts it, the native stack hands it to its local
processes. One source; only hosts and ports differ, never a key."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ecomctl import home
from ecomctl.resources import bundled

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")


@dataclass(frozen=True)
class EngineHosts:
    """Where each engine finds the others, as the runner's network names them."""

    metastore_host: str
    metastore_port: int
    metastore_bind_host: str
    s3_endpoint: str
    postgres_host: str
    postgres_port: int
    lake_bucket: str


def source() -> Path:
    return bundled("conf")


def files() -> list[Path]:
    """The configuration files, relative to conf/ (its README aside)."""
    root = source()
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and p.suffix != ".md")


def render_text(text: str, hosts: EngineHosts) -> str:
    values = {name: str(value) for name, value in asdict(hosts).items()}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for placeholder {{{{{name}}}}}")
        return values[name]

    rendered = _PLACEHOLDER.sub(fill, text)
    if "{{" in rendered:
        raise ValueError(
            f"a placeholder was left unfilled: {rendered[rendered.index('{{') :][:40]}"
        )
    return rendered


def render(target: Path, hosts: EngineHosts) -> Path:
    """Write every configuration file under target (replaced whole: rendered beside, then
    swapped in), readable by the engines' own users (it holds no secret)."""
    with home.building(target) as partial:
        for relative in files():
            out = partial / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render_text((source() / relative).read_text(), hosts))
            out.chmod(0o644)
        for folder in [partial, *(p for p in partial.rglob("*") if p.is_dir())]:
            folder.chmod(0o755)
    return target
