"""What the server's processes are doing, read from /proc: its children, their CPU time and their memory.

Shared by the tests (no zombie, at most N children) and the benchmarks (CPU per click, RSS per session), so that
the fields of ``/proc/<pid>/stat`` are parsed in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK_SECONDS = 1 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessEntry:
    pid: int
    parent: int
    state: str  # R, S, Z, …
    command: bytes  # NUL-separated arguments; empty for a zombie


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
    # Index 0 is then field 3 (state), 1 the parent, 11–14 utime, stime, cutime, cstime.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_table() -> list[ProcessEntry]:
    """Every process this machine shows; those that end while we look are left out."""
    entries = []
    for directory in Path("/proc").glob("[0-9]*"):
        try:
            fields = _stat_fields(int(directory.name))
            command = (directory / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        entries.append(ProcessEntry(int(directory.name), int(fields[1]), fields[0], command))
    return entries


def children(parent: int, command_part: bytes) -> dict[int, str]:
    """Children of ``parent`` whose command line contains ``command_part``, and its zombies: pid → state.

    A zombie's command line is empty, so it is counted by its parent alone: a zombie left behind is a bug the
    tests look for.
    """
    return {
        entry.pid: entry.state
        for entry in process_table()
        if entry.parent == parent and (command_part in entry.command or entry.state == "Z")
    }


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    below: dict[int, list[int]] = {}
    for entry in process_table():
        below.setdefault(entry.parent, []).append(entry.pid)
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(below.get(current, []))
    return found


def cpu_seconds(pid: int, with_descendants: bool = False) -> float:
    """utime + stime of ``pid`` (and of its live descendants and the reaped children they waited for)."""
    total_ticks = 0
    for process in descendants(pid) if with_descendants else [pid]:
        try:
            fields = _stat_fields(process)
        except OSError:
            continue
        total_ticks += sum(int(value) for value in fields[11 : 15 if with_descendants else 13])
    return total_ticks * TICK_SECONDS


def rss_megabytes(pid: int, with_descendants: bool = True) -> float:
    """Resident memory of ``pid`` (and all its descendants), in MB."""
    total_kilobytes = 0
    for process in descendants(pid) if with_descendants else [pid]:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kilobytes += int(line.split()[1])
        except OSError:
            continue
    return total_kilobytes / 1024
