"""Meters: the RAPL path on a fake powercap tree (wraparound, a counter lost mid-run), NVML
windows (a fake NVML module: there is no GPU here), the labelled estimate, and how a
batch's window is shared among its answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.core.responses import ChoiceOutput, Completion, LoglikelihoodResult, Usage
from assay.engine.meters import EnergyKind, Meter, attach, rapl_delta_uj, rapl_zones, usage_fields


def _zone(root: Path, name: str, energy: int, max_range: int = 1_000_000, label: str = "package-0") -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "energy_uj").write_text(f"{energy}\n")
    (d / "max_energy_range_uj").write_text(f"{max_range}\n")
    (d / "name").write_text(label + "\n")
    return d


def _burn() -> None:
    sum(i * i for i in range(20000))


def test_rapl_zones_skip_subzones_and_unreadable(tmp_path: Path) -> None:
    _zone(tmp_path, "intel-rapl:0", 100)
    _zone(tmp_path, "intel-rapl:0:0", 50, label="core")       # inside package 0: not counted twice
    broken = _zone(tmp_path, "intel-rapl:1", 100)
    (broken / "energy_uj").write_text("not a number")
    assert [z.name for z in rapl_zones(tmp_path)] == ["intel-rapl:0:package-0"]
    assert rapl_zones(tmp_path / "absent") == []


def test_rapl_window_measures_and_handles_wraparound(tmp_path: Path) -> None:
    a = _zone(tmp_path, "intel-rapl:0", 999_000, max_range=1_000_000)
    b = _zone(tmp_path, "intel-rapl:1", 10_000, max_range=1_000_000, label="package-1")
    meter = Meter(tmp_path, use_nvml=False)
    assert meter.describe()["energy_kind"] == "measured" and meter.sources == ["rapl"]
    mark = meter.start()
    (a / "energy_uj").write_text("2000\n")        # wrapped: 999,000 -> 1,000,000 -> 0 -> 2,000
    (b / "energy_uj").write_text("510000\n")      # +500,000 uJ
    window = meter.stop(mark)
    assert window.energy_kind is EnergyKind.MEASURED and window.energy_source == "rapl"
    assert window.energy_j == pytest.approx((1_000_001 - 999_000 + 2000 + 500_000) / 1e6)
    assert window.energy_j > 0
    assert rapl_delta_uj(5, 3, 9) == 8 and rapl_delta_uj(3, 5, 9) == 2


def test_rapl_counter_lost_mid_run_is_unavailable_not_estimated(tmp_path: Path) -> None:
    zone = _zone(tmp_path, "intel-rapl:0", 1000)
    meter = Meter(tmp_path, use_nvml=False)
    mark = meter.start()
    (zone / "energy_uj").unlink()                 # e.g. permissions changed, a hot-unplug
    _burn()
    window = meter.stop(mark)
    assert window.energy_kind is EnergyKind.UNAVAILABLE and window.energy_j is None
    assert "could not be read" in window.note and window.cpu_s >= 0


class FakeNvml:
    """Stands in for pynvml: no GPU on this machine (the only mock in these tests)."""

    def __init__(self) -> None:
        self.mj = 5_000
        self.fail = False

    def nvmlInit(self) -> None: ...
    def nvmlDeviceGetCount(self) -> int: return 1
    def nvmlDeviceGetHandleByIndex(self, i: int) -> int: return i

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: int) -> int:
        if self.fail:
            raise RuntimeError("NVML_ERROR_GPU_IS_LOST")
        return self.mj


def test_nvml_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = FakeNvml()
    meter = Meter(tmp_path / "none", nvml=nvml)
    assert meter.sources == ["nvml"]
    import assay.engine.meters as meters

    monkeypatch.setattr(meters, "NVML_MIN_WINDOW_S", 0.0)
    mark = meter.start()
    nvml.mj += 2_500
    assert meter.stop(mark).energy_j == pytest.approx(2.5)
    monkeypatch.setattr(meters, "NVML_MIN_WINDOW_S", 10.0)   # Zeus: windows under ~100 ms read 0 J
    mark = meter.start()
    nvml.mj += 1
    short = meter.stop(mark)
    assert short.energy_kind is EnergyKind.UNAVAILABLE and short.energy_j is None
    monkeypatch.setattr(meters, "NVML_MIN_WINDOW_S", 0.0)
    mark = meter.start()
    nvml.fail = True
    lost = meter.stop(mark)
    assert lost.energy_kind is EnergyKind.UNAVAILABLE and lost.energy_j is None


def test_estimate_is_labelled_and_uses_the_stated_power(tmp_path: Path) -> None:
    meter = Meter(tmp_path / "none", use_nvml=False, watts=12.5)
    assert meter.describe()["energy_kind"] == "estimated" and "12.5 W" in meter.describe()["estimate"]
    mark = meter.start()
    _burn()
    window = meter.stop(mark)
    assert window.energy_kind is EnergyKind.ESTIMATED
    assert window.energy_j == pytest.approx(window.cpu_s * 12.5) and window.peak_rss_mb > 10


def test_attach_shares_a_window_by_latency_and_fields_sum_options(tmp_path: Path) -> None:
    meter = Meter(tmp_path / "none", use_nvml=False, watts=10)
    window = meter.stop(meter.start())
    window = type(window)(1.0, 3.0, 30.0, EnergyKind.ESTIMATED, "cpu-time x 10 W/core", 500.0)
    answers = [LoglikelihoodResult(-1.0, True, 1, Usage(tokens_in=3, latency_s=1.0)),
               LoglikelihoodResult(-2.0, False, 1, Usage(tokens_in=3, latency_s=2.0)),
               Completion((), error="boom")]
    shared = attach(answers, window)
    assert [a.usage.energy_j for a in shared[:2]] == [pytest.approx(10.0), pytest.approx(20.0)]
    assert shared[2].usage.energy_j is None                      # failed answers get no share
    fields = usage_fields(ChoiceOutput(tuple(shared[:2])))
    assert fields["energy_j"] == pytest.approx(30.0) and fields["energy_kind"] == "estimated"
    assert fields["cpu_s"] == pytest.approx(3.0) and fields["peak_rss_mb"] == 500.0
    # metered usage round-trips through the cache's JSON; unmetered usage keeps its old form
    for a in shared[:2]:
        assert LoglikelihoodResult.from_dict(__import__("json").loads(a.to_json())) == a
    assert "energy_j" not in Usage(tokens_in=1).to_dict()
    assert Usage.from_dict({"tokens_in": 2, "from_the_future": 1}) == Usage(tokens_in=2)


def test_metered_results_keep_the_cache_fast_path_byte_identical() -> None:
    import json

    for usage in (Usage(tokens_in=3, latency_s=0.5, cpu_s=0.25, energy_j=2.5, energy_kind="estimated",
                        energy_source="cpu-time x 10 W/core", peak_rss_mb=812.5),
                  Usage(tokens_in=3, latency_s=0.5, cpu_s=0.25, energy_j=None, energy_kind="unavailable",
                        energy_source='rapl "pkg"', peak_rss_mb=1.0, gpu_peak_mb=2.0),
                  Usage(tokens_in=3, latency_s=0.5, ttft_s=0.1, cpu_s=float("nan"), energy_kind="measured")):
        result = LoglikelihoodResult(-1.25, True, 2, usage)
        assert result.to_json() == json.dumps(result.to_dict())
        assert LoglikelihoodResult.from_dict(json.loads(result.to_json())) .usage.energy_kind == usage.energy_kind
