"""A user's new extract: later days of a generated data set, as one folder of Olist files."""

from __future__ import annotations

import shutil
from pathlib import Path

from ecomctl.data import generator


def later_days(folder: Path, scale: float, seed: int, days: tuple[int, ...]) -> Path:
    """The generator's later days (new orders with their customers, items, payments and
    reviews; the base's products and sellers) after generate(scale, seed), in one folder."""
    for day in days:
        written = folder.parent / f"{folder.name}-day-{day}"
        generator.generate_increment(written, scale, seed, day)
        concatenate(written, folder)
    return folder


def concatenate(source: Path, into: Path) -> None:
    """Append each file of source to the file of the same name in into (its header once)."""
    into.mkdir(exist_ok=True)
    for path in sorted(source.glob("*.csv")):
        target = into / path.name
        if not target.exists():
            shutil.copyfile(path, target)
            continue
        _header, rows = path.read_bytes().split(b"\n", 1)
        existing = target.read_bytes()
        target.write_bytes(existing + (b"" if existing.endswith(b"\n") else b"\n") + rows)
