"""Ports for local servers come from below the kernel's ephemeral range, never twice."""

from __future__ import annotations

from pathlib import Path

from kapstan.localcluster import ports


def test_free_ports_are_distinct_and_below_the_ephemeral_range() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    handed = [ports.free_port() for _ in range(50)]
    assert len(set(handed)) == 50
    assert all(p < low for p in handed)
