"""Peak resident memory (RSS) of a benchmarked process, as the kernel counts it (Linux only).

- A running server's peak during one run: writing 5 to /proc/<pid>/clear_refs resets its
  VmHWM (the high-water mark of its RSS) to its current RSS, and /proc/<pid>/status gives the
  VmHWM after the run. No sampling, so no short peak between two samples is missed.
- A command's peak over its whole life (`sentinel import`): its VmHWM, read every 20 ms
  until it exits. The high-water mark only grows, so the last reading misses only a peak
  reached in the last 20 ms. (Not wait4's ru_maxrss: Linux counts in it the memory of the
  process before its exec, a copy of this benchmark's own.)
"""

import contextlib
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


@dataclass
class Peak:
    before_mib: float = 0.0  # the RSS when the block began
    peak_mib: float = 0.0  # the highest RSS during the block, set when it ends

    def __str__(self) -> str:
        return f"peak RSS {self.peak_mib:.0f} MiB ({self.before_mib:.0f} before)"


@contextmanager
def peak_during(pid: int) -> Iterator[Peak]:
    """The peak RSS of the running process `pid` while the block runs."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    peak = Peak(before_mib=_status_mib(pid, "VmRSS"))
    yield peak
    peak.peak_mib = _status_mib(pid, "VmHWM")


@dataclass
class Finished:
    seconds: float  # wall clock, from the start of the command to its exit
    stdout: str
    peak_mib: float  # the command's peak RSS over its life


def run_measured(command: Sequence[str], env: dict[str, str]) -> Finished:
    """Run the command to its end; fails, with its stderr, when it exits non-zero."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        # Popen returns once the child has exec'd: every reading is the command's own.
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        peak = 0.0
        while process.poll() is None:
            # Exiting, its memory may be gone already.
            with contextlib.suppress(OSError, RuntimeError):
                peak = max(peak, _status_mib(process.pid, "VmHWM"))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {err.read()}")
        return Finished(seconds, out.read(), peak)
