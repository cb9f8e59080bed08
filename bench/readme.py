"""The one way benchmarks append their rows to bench/README.md."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).with_name("README.md")


def record(
    section: str, header: str, rows: list[str], intro: str = "", readme: Path = README
) -> None:
    """Append ``rows`` to the table under ``section`` (created with ``intro`` and ``header``
    at the end of the file when missing)."""
    text = readme.read_text()
    if section not in text:
        lead = f"{intro}\n\n" if intro else ""
        text = text.rstrip("\n") + f"\n\n{section}\n\n{lead}{header}\n"
    head, _, rest = text.partition(section)
    lines = rest.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    lines[end:end] = rows
    readme.write_text(head + section + "\n".join(lines))
