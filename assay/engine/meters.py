"""Meters for one model call: wall and CPU time, peak memory, and energy, measured or estimated.

Energy comes from a hardware counter where one can be read:

- RAPL (`/sys/class/powercap/intel-rapl:N/energy_uj`, the CPU packages; AMD exposes the same
  tree). The counter wraps at `max_energy_range_uj`: a window whose end reading is below its
  start reading has wrapped once, and the range is added back. Windows are one batch long
  (seconds), far shorter than a wrap (tens of minutes at full load), so at most one wrap
  can fall in a window.
- NVML (`nvmlDeviceGetTotalEnergyConsumption`, mJ since the driver loaded), when `pynvml`
  is installed and a GPU answers. The counter updates about every 100 ms, so a shorter
  window reads 0 J (Zeus documents this); such a window is labelled `unavailable`, never 0.

Where no counter exists (these VMs: no powercap tree, no GPU) energy is *estimated* as
process CPU seconds × a stated power per busy core (`DEFAULT_WATTS_PER_CORE`, or
`ASSAY_WATTS_PER_CORE`), and labelled `estimated` wherever it appears. A counter that was
readable at the start of a window but not at its end gives `unavailable` (no number): it is
never replaced by an estimate without saying so, and never yields a negative figure —
CodeCarbon's silent fallback (codecarbon #915) is what this avoids.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any, Sequence

from assay.core.responses import ChoiceOutput, Completion, LoglikelihoodResult, Response, RollingLoglikelihoodResult

DEFAULT_WATTS_PER_CORE = 10.0
"""Watts drawn per fully busy core for the estimate: a 200 W server CPU with 20 cores, at
full load. A stated round figure, not a measurement; set ASSAY_WATTS_PER_CORE to your own."""

POWERCAP_ROOT = Path("/sys/class/powercap")
NVML_MIN_WINDOW_S = 0.1


class EnergyKind(str, Enum):
    MEASURED = "measured"
    ESTIMATED = "estimated"
    UNAVAILABLE = "unavailable"


def watts_per_core() -> float:
    """The power figure of the estimate: ASSAY_WATTS_PER_CORE, else the default."""
    raw = os.environ.get("ASSAY_WATTS_PER_CORE")
    try:
        value = float(raw) if raw else DEFAULT_WATTS_PER_CORE
    except ValueError:
        value = DEFAULT_WATTS_PER_CORE
    return value if value > 0 else DEFAULT_WATTS_PER_CORE


# --- counters ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RaplZone:
    name: str
    energy_file: Path
    max_range_uj: int


def rapl_zones(root: Path = POWERCAP_ROOT) -> list[RaplZone]:
    """The readable top-level RAPL zones (packages; sub-zones such as core/dram are inside
    their package's count and are skipped, so nothing is counted twice)."""
    zones = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    for entry in entries:
        parts = entry.name.split(":")
        if len(parts) != 2 or not parts[0].endswith("rapl"):
            continue
        try:
            max_range = int((entry / "max_energy_range_uj").read_text().strip())
            int((entry / "energy_uj").read_text().strip())
            label = (entry / "name").read_text().strip() if (entry / "name").exists() else entry.name
        except (OSError, ValueError):
            continue  # unreadable (often root-only since CVE-2020-8694): not a source
        zones.append(RaplZone(f"{entry.name}:{label}", entry / "energy_uj", max_range))
    return zones


def rapl_delta_uj(start: int, end: int, max_range_uj: int) -> int:
    """Energy between two readings of one counter, allowing for one wraparound."""
    if end >= start:
        return end - start
    return end + (max_range_uj + 1) - start


def _read_rapl(zones: Sequence[RaplZone]) -> list[int] | None:
    try:
        return [int(z.energy_file.read_text().strip()) for z in zones]
    except (OSError, ValueError):
        return None


class _Nvml:
    """Total GPU energy (mJ) over every device pynvml can see; None when unavailable."""

    def __init__(self, module: Any = None) -> None:
        self.handles: list[Any] = []
        self.nvml = module
        try:
            if self.nvml is None:
                import pynvml  # optional: only where an NVIDIA driver is

                self.nvml = pynvml
            self.nvml.nvmlInit()
            count = self.nvml.nvmlDeviceGetCount()
            self.handles = [self.nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self.read()
        except Exception:  # noqa: BLE001 — no library, no driver, or no energy counter
            self.handles = []

    def read(self) -> int | None:
        if not self.handles:
            return None
        try:
            return sum(int(self.nvml.nvmlDeviceGetTotalEnergyConsumption(h)) for h in self.handles)
        except Exception:  # noqa: BLE001 — a counter that stops answering mid-run
            return None


# --- windows ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Mark:
    wall: float
    cpu: float
    rapl: list[int] | None
    nvml_mj: int | None


@dataclass(frozen=True)
class Window:
    """What one metered stretch (a batch) cost."""

    wall_s: float
    cpu_s: float
    energy_j: float | None
    energy_kind: EnergyKind
    energy_source: str
    peak_rss_mb: float
    gpu_peak_mb: float | None = None
    note: str = ""


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (MiB; Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _gpu_peak_mb() -> float | None:
    torch = sys.modules.get("torch")  # only when the adapter already uses torch
    try:
        if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
            return torch.cuda.max_memory_allocated() / (1024 * 1024)
    except Exception:  # noqa: BLE001
        return None
    return None


class Meter:
    """Measures windows (`start` … `stop`) of this process. Sources are found once, at
    construction: RAPL zones under `powercap_root`, NVML devices, else the estimate."""

    def __init__(self, powercap_root: Path | str = POWERCAP_ROOT, *, nvml: Any = None,
                 use_nvml: bool = True, watts: float | None = None) -> None:
        self.zones = rapl_zones(Path(powercap_root))
        self._nvml = _Nvml(nvml) if use_nvml else None
        self.watts_per_core = watts if watts is not None else watts_per_core()

    @property
    def sources(self) -> list[str]:
        out = ["rapl"] if self.zones else []
        if self._nvml is not None and self._nvml.handles:
            out.append("nvml")
        return out

    def describe(self) -> dict[str, Any]:
        """For the run manifest: where energy figures come from."""
        if self.sources:
            return {"energy_kind": EnergyKind.MEASURED.value, "sources": self.sources,
                    "rapl_zones": [z.name for z in self.zones]}
        return {"energy_kind": EnergyKind.ESTIMATED.value, "sources": [],
                "estimate": f"process CPU seconds x {self.watts_per_core:g} W per busy core",
                "note": "no RAPL powercap tree and no NVML device could be read on this machine"}

    def start(self) -> Mark:
        return Mark(time.perf_counter(), time.process_time(),
                    _read_rapl(self.zones) if self.zones else None,
                    self._nvml.read() if self._nvml is not None else None)

    def stop(self, mark: Mark) -> Window:
        wall = time.perf_counter() - mark.wall
        cpu = max(0.0, time.process_time() - mark.cpu)
        joules, kind, source, note = self._energy(mark, wall, cpu)
        return Window(wall, cpu, joules, kind, source, peak_rss_mb(), _gpu_peak_mb(), note)

    def _energy(self, mark: Mark, wall: float, cpu: float) -> tuple[float | None, EnergyKind, str, str]:
        if not self.sources:
            return cpu * self.watts_per_core, EnergyKind.ESTIMATED, f"cpu-time x {self.watts_per_core:g} W/core", ""
        total_uj = 0
        used: list[str] = []
        if self.zones:
            end = _read_rapl(self.zones)
            if mark.rapl is None or end is None:
                return None, EnergyKind.UNAVAILABLE, "rapl", "the RAPL counter could not be read for this window"
            total_uj += sum(rapl_delta_uj(a, b, z.max_range_uj) for a, b, z in zip(mark.rapl, end, self.zones))
            used.append("rapl")
        if self._nvml is not None and self._nvml.handles:
            end_mj = self._nvml.read()
            if mark.nvml_mj is None or end_mj is None or end_mj < mark.nvml_mj:
                return None, EnergyKind.UNAVAILABLE, "nvml", "the NVML counter could not be read for this window"
            if wall < NVML_MIN_WINDOW_S:
                return None, EnergyKind.UNAVAILABLE, "nvml", "window shorter than NVML's ~100 ms update period"
            total_uj += (end_mj - mark.nvml_mj) * 1000
            used.append("nvml")
        return total_uj / 1e6, EnergyKind.MEASURED, "+".join(used), ""


_DEFAULT: Meter | None = None


def default_meter() -> Meter:
    """One meter per process (finding the sources reads sysfs and may load NVML)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Meter()
    return _DEFAULT


# --- sharing a window among the answers of a batch ----------------------------------------

def _weight(answer: Response) -> float:
    u = answer.usage
    return u.latency_s if u.latency_s > 0 else float(u.tokens_in + u.tokens_out)


def attach(answers: Sequence[Response], window: Window) -> list[Response]:
    """The answers with their share of the window's CPU time and energy in their usage.

    Shares follow each answer's latency (an adapter's own split of the batch time), else its
    tokens, else equal. Failed answers get none (they are not cached or scored)."""
    ok = [i for i, a in enumerate(answers) if a.error is None]
    weights = [_weight(answers[i]) for i in ok]
    total = sum(weights)
    if total <= 0:
        weights, total = [1.0] * len(ok), float(len(ok) or 1)
    out = list(answers)
    for i, w in zip(ok, weights):
        share = w / total
        usage = replace(
            answers[i].usage, cpu_s=round(window.cpu_s * share, 6),
            energy_j=None if window.energy_j is None else round(window.energy_j * share, 6),
            energy_kind=window.energy_kind.value, energy_source=window.energy_source,
            peak_rss_mb=round(window.peak_rss_mb, 1),
            gpu_peak_mb=None if window.gpu_peak_mb is None else round(window.gpu_peak_mb, 1))
        out[i] = replace(answers[i], usage=usage)
    return out


def usage_fields(output: Any) -> dict[str, Any]:
    """A sample's efficiency fields for its record (`metadata`): TTFT/TPOT where streamed,
    CPU seconds, joules with their kind, peak memory; options of a multiple-choice item are
    summed. Empty when nothing was metered."""
    if isinstance(output, ChoiceOutput):
        usages = [r.usage for r in output.results]
    elif isinstance(output, (Completion, LoglikelihoodResult, RollingLoglikelihoodResult)):
        usages = [output.usage]
    else:
        return {}
    fields: dict[str, Any] = {}
    first = usages[0] if usages else None
    if first is not None and first.ttft_s is not None:
        fields["ttft_s"] = round(first.ttft_s, 6)
        if first.tpot_s is not None:
            fields["tpot_s"] = round(first.tpot_s, 6)
    metered = [u for u in usages if u.metered]
    if metered:
        fields["cpu_s"] = round(sum(u.cpu_s or 0.0 for u in metered), 6)
        kinds = {u.energy_kind for u in metered}
        if EnergyKind.UNAVAILABLE.value in kinds or None in kinds:
            fields["energy_j"], fields["energy_kind"] = None, EnergyKind.UNAVAILABLE.value
        else:
            fields["energy_j"] = round(sum(u.energy_j or 0.0 for u in metered), 6)
            fields["energy_kind"] = metered[0].energy_kind if len(kinds) == 1 else EnergyKind.ESTIMATED.value
        fields["energy_source"] = metered[0].energy_source
        fields["peak_rss_mb"] = max(u.peak_rss_mb or 0.0 for u in metered)
        gpu = [u.gpu_peak_mb for u in metered if u.gpu_peak_mb is not None]
        if gpu:
            fields["gpu_peak_mb"] = max(gpu)
    return fields
