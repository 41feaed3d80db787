"""What the model says, read from result files as an instrument would read a foot.

A quantity is a function of the finished runs of a case (``runs[name]`` is a
:class:`RunView`) returning one number; the functions here build them, and compose (a change
between two runs of one quantity, the difference of two). Nothing re-solves: every figure
comes from a run's ``summary.json``, ``plantar.vtu`` or ``volume.vtu``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from footsim.post import results

Quantity = Callable[[Mapping[str, "RunView"]], float]


@dataclass(eq=False)  # hashed by identity: its cached sensor grids are keyed on it
class RunView:
    """A finished run, read once: its :class:`~footsim.post.results.Result` and its pressure
    resampled onto each sensor grid asked for (cached)."""

    folder: Path

    @functools.cached_property
    def result(self) -> results.Result:
        return results.load(self.folder)

    @functools.cache  # noqa: B019 - one view per run, kept for the report's lifetime
    def sensor_peaks(self, device: str, pitch_mm: float | None = None) -> dict[str, float]:
        """Peak sensor pressure per region (kPa) on ``device``'s grid (``platform`` 5 mm or
        ``insole`` 14 mm, :data:`footsim.post.plotting.sensors.SENSORS`; ``pitch_mm`` for
        another device's)."""
        from footsim.post.plotting.sensors import sensor_grid

        grid = sensor_grid(self.result, device, pitch_mm=pitch_mm)
        heads = np.asarray(self.result.summary["head_centres_mm"], dtype=float)
        return grid.region_peaks(heads)


def sensor_peak(
    run: str, region: str, device: str = "platform", *, pitch_mm: float | None = None
) -> Quantity:
    """The peak pressure (kPa) of ``region`` in run ``run``, averaged over ``device``'s sensors
    (or square sensors of ``pitch_mm``) as the instrument reports it (force conserved;
    :func:`~footsim.post.plotting.sensors.sensor_grid`)."""
    _check_region(region)
    return lambda runs: runs[run].sensor_peaks(device, pitch_mm)[region]


def region_figure(run: str, region: str, column: str) -> Quantity:
    """A column of the regional table (:data:`footsim.post.results.REGION_COLUMNS`) of
    ``region`` in run ``run``: e.g. ``force_N``, ``peak_kPa`` (nodal)."""
    _check_region(region)
    if column not in results.REGION_COLUMNS:
        raise ValueError(f"column = {column!r} is not one of {', '.join(results.REGION_COLUMNS)}")
    return lambda runs: float(runs[run].result.regions.loc[region, column])


def summary_figure(run: str, name: str) -> Quantity:
    """A figure of the run's summary (``figures`` in ``summary.json``), e.g.
    ``fascia_tension_N``."""
    return lambda runs: float(runs[run].result.summary["figures"][name])


def change_pct(before: Quantity, after: Quantity) -> Quantity:
    """The change from ``before`` to ``after`` in percent of ``before``."""
    return lambda runs: 100.0 * (after(runs) - before(runs)) / before(runs)


def largest(*quantities: Quantity) -> Quantity:
    """The largest of ``quantities``: e.g. the central column's peak, MTH2's or MTH3's."""
    return lambda runs: max(f(runs) for f in quantities)


def difference(a: Quantity, b: Quantity) -> Quantity:
    """``a - b``: e.g. MTH2's peak minus MTH1's, whose sign is a pattern of the load."""
    return lambda runs: a(runs) - b(runs)


def tissue_compression_pct(run: str, ray: int) -> Quantity:
    """How much the soft tissue under metatarsal head ``ray`` (1-5) is compressed (%):
    ``100 (1 - t / t0)``, with ``t0`` the reference distance from the head's lowest bone node
    down to the plantar skin and ``t`` the same distance deformed (the skin node nearest below
    it in the ground plane), as imaging studies measure the submetatarsal tissue thickness
    loaded and unloaded."""
    if ray not in range(1, 6):
        raise ValueError(f"ray = {ray} is not 1-5")

    def compression(runs: Mapping[str, RunView]) -> float:
        res = runs[run].result
        return 100.0 * (
            1.0
            - _tissue_thickness(res, ray, deformed=True)
            / _tissue_thickness(res, ray, deformed=False)
        )

    return compression


def _tissue_thickness(res: results.Result, ray: int, *, deformed: bool) -> float:
    """Distance (mm) from the lowest point of head ``ray`` to the plantar skin below it.

    The head's lowest point is the mesh node nearest to its sphere's bottom (reference
    coordinates): a node of the bone surface, shared by the tissue, whether the bone is
    meshed (elastic) or a cavity of the tissue (rigid)."""
    vol = res.volume
    if vol is None:
        raise FileNotFoundError(f"{res.folder}: volume.vtu missing (no volume output)")
    X = np.asarray(vol.points, dtype=float)
    U = np.asarray(vol.point_data["displacement_mm"], dtype=float)
    centre = np.asarray(res.summary["head_centres_mm"], dtype=float)[ray - 1]
    low = centre - np.array([0.0, 0.0, res.summary["head_radii_mm"][ray - 1]])
    i = np.argmin(np.linalg.norm(X - low, axis=1))
    bone = X[i] + U[i] if deformed else X[i]
    S = np.asarray(res.plantar.points, dtype=float)
    if deformed:
        S = S + np.asarray(res.plantar.point_data["displacement_mm"], dtype=float)
    j = np.argmin(np.linalg.norm(S[:, :2] - bone[:2], axis=1))
    return float(bone[2] - S[j, 2])


def _check_region(region: str) -> None:
    if region not in results.REGIONS:
        raise ValueError(f"region = {region!r} is not one of {', '.join(results.REGIONS)}")
