"""Result files: what a run writes, and how pictures and tables read it back.

A run folder ``results/<name>-<hash>/`` holds

- ``scenario.toml``: the fully resolved scenario (no ``base``);
- ``summary.json``: status (``done`` / ``failed``), reason, figures, records of load steps,
  Newton iterations, wall time per phase, the content hash and footsim version, and the
  plantar plates' largest principal Green-Lagrange strain (``plates``: peak and volume mean,
  %; figures ``PLATE2_peak_strain_pct`` ...);
- ``regions.csv``: one row per plantar region (MTH1..MTH5, lesser toes, pad, hallux): peak
  and mean pressure (kPa), loaded area (mm^2), force (N), peak von Mises and maximum shear in
  the fat pad (kPa);
- ``plantar.vtu``: the plantar skin surface, reference coordinates as points, with point data
  ``pressure_kPa`` (Cauchy contact pressure), ``node_area_mm2`` (deformed tributary area, so
  that ``sum(pressure * area)`` is the contact force), ``displacement_mm`` and ``region``
  (index into :data:`REGIONS`, -1 for none);
- ``volume.vtu``: the whole mesh with point data ``displacement_mm``, cell data ``tag``,
  ``von_mises_kPa``, ``max_shear_kPa`` and ``max_principal_strain_pct`` (Green-Lagrange);
- ``insole_top.vtu`` (when footwear is present): the insole and pad top it pressed on,
  reference coordinates as points, with point data ``pressure_kPa`` (Cauchy contact pressure
  carried by the insole), ``node_area_mm2`` (the deformed skin area bearing on each node, see
  :meth:`footsim.physics.contact.body.BodyContact.target_pressure`; ``sum(pressure * area)`` is the
  contact
  force, as on the skin) and ``displacement_mm``; figure
  ``insole_peak_pressure_kPa``;
- ``steps/plantar_NNN.vtu`` (optional): the plantar pressure at every converged load step;
- ``pressure.png``: the plantar pressure map.

A folder is written under a temporary name, flushed to the disk and renamed when complete,
so a folder with a ``summary.json`` is never half-written, even after a power cut
(:mod:`footsim.folders`). A failed run's summary says whether its cause was ``transient``
(memory, a full disk: :func:`is_transient_error`), and then a rerun retries it, or
deterministic (no convergence, bad geometry), and then a rerun reports it again without
re-solving. Pictures never re-solve: they read these files.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from footsim import folders

#: The plantar regions of the regional table: the five head regions, the lesser toes
#: (``toes``), the ``pad`` region (the skin over the metatarsal pad's footprint, outside the
#: head regions) and the ``hallux`` (last, so the others keep their index).
REGIONS = ("MTH1", "MTH2", "MTH3", "MTH4", "MTH5", "toes", "pad", "hallux")
REGION_RADIUS_MM = 15.0
"""Plantar points within this distance (in the ground plane) of a head centre belong to that
head's region (nearest head wins). 15 mm is just under the ~18-20 mm spacing of the heads,
the size of the forefoot masks used in pedobarography (Cavanagh & Ulbrecht 1994)."""

CONTACT_THRESHOLD_KPA = 1.0
"""A plantar node counts as loaded (contact area, mean pressure) above this pressure (kPa):
below the 2.5-5 kPa thresholds of commercial pressure insoles and platforms (novel Pedar-X,
emed manuals), above the smoothing tail of the P1 pressure recovery at the contact edge."""

REGION_COLUMNS = (
    "region",
    "peak_kPa",
    "mean_kPa",
    "contact_area_mm2",
    "force_N",
    "peak_von_mises_kPa",
    "peak_max_shear_kPa",
    "peak_skin_shear_kPa",
    "mean_skin_shear_kPa",
    "skin_shear_force_N",
    "skin_shear_direction_deg",
    "slip_area_mm2",
)


def assign_regions(
    points_mm: np.ndarray, head_centres_mm: np.ndarray, pad_mask: np.ndarray | None = None
) -> np.ndarray:
    """Region index (into :data:`REGIONS`) of each reference point of the plantar skin.

    ``points_mm`` (n, 3) and ``head_centres_mm`` (5, 3) are reference coordinates in mm.
    A point belongs to the nearest metatarsal head within :data:`REGION_RADIUS_MM` in the ground
    plane; points distal to every head's region are ``hallux`` (medial of the midline between
    the first and second heads) or ``toes`` (the lesser toes); ``pad_mask`` marks points over
    the metatarsal pad (its footprint): those outside every head's region are ``pad`` (the heads
    keep theirs, so a pad under the heads shows in their peaks); the rest are -1.
    """
    xy = points_mm[:, None, :2] - head_centres_mm[None, :, :2]
    dist = np.linalg.norm(xy, axis=2)
    nearest = dist.argmin(axis=1)
    region = np.where(dist.min(axis=1) <= REGION_RADIUS_MM, nearest, -1)
    distal_edge = head_centres_mm[:, 0].max()
    distal = (region == -1) & (points_mm[:, 0] > distal_edge)
    medial = points_mm[:, 1] < 0.5 * (head_centres_mm[0, 1] + head_centres_mm[1, 1])
    region[distal & medial] = REGIONS.index("hallux")
    region[distal & ~medial] = REGIONS.index("toes")
    if pad_mask is not None:
        pad = np.asarray(pad_mask, dtype=bool) & (dist.min(axis=1) > REGION_RADIUS_MM)
        region[pad] = REGIONS.index("pad")
    return region


@dataclass(frozen=True)
class Result:
    """A run read back from its folder (no re-solve)."""

    folder: Path
    summary: dict[str, Any]
    regions: Any  # pandas.DataFrame indexed by region
    plantar: Any  # pyvista.PolyData / UnstructuredGrid
    volume: Any | None
    insole_top: Any | None
    steps: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.summary.get("name", self.folder.name))


def is_done(folder: Path) -> bool:
    """A finished, successful run: its summary exists and says ``done``."""
    try:
        return json.loads((Path(folder) / "summary.json").read_text())["status"] == "done"
    except (OSError, ValueError, KeyError):
        return False


def read_summary(folder: Path) -> dict[str, Any] | None:
    """The summary of a complete run folder, or None when there is none (yet)."""
    try:
        return json.loads((Path(folder) / "summary.json").read_text())
    except (OSError, ValueError):
        return None


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON through a temporary file, flushed to the disk, and an atomic rename; on
    failure (a full disk) the temporary file is removed and the old file left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=True, default=_json_default)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folders.fsync_dir(path.parent)


TRANSIENT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.ENOMEM)
"""OS errors whose cause passes: no space left, quota exceeded, out of memory."""

PETSC_ERR_MEM = 55
"""PETSc's error code for a failed allocation (``PETSC_ERR_MEM``, petscerror.h)."""


def is_transient_error(exc: BaseException) -> bool:
    """True when ``exc`` comes from the machine, not the model, so that the same run may
    succeed later: out of memory (Python's, PETSc's) or a full disk."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
        return True
    return getattr(exc, "ierr", None) == PETSC_ERR_MEM  # petsc4py.PETSc.Error


def is_transient(summary: Mapping[str, Any]) -> bool:
    """True for a failed run whose cause was transient (retried on rerun); summaries written
    before the ``transient`` key are judged by their reason."""
    if "transient" in summary:
        return bool(summary["transient"])
    reason = str(summary.get("reason", ""))
    return reason.startswith("MemoryError") or "No space left on device" in reason


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def staging_dir(final: Path) -> Path:
    """A fresh temporary folder beside ``final`` to write a run into before :func:`commit`
    (readable as the umask allows, as the folder it becomes)."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.", suffix=".tmp"))
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o777 & ~umask)
    return path


def commit(staging: Path, final: Path) -> Path:
    """Move a fully written staging folder to ``final`` (replacing an older, failed one),
    its files flushed to the disk first."""
    final = Path(final)
    folders.fsync_tree(staging)
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, final)
    folders.fsync_dir(final.parent)
    return final


def region_table(summary: Mapping[str, Any]):
    """The regional figures of a summary as a pandas DataFrame indexed by region."""
    import pandas as pd

    rows = summary.get("regions", [])
    frame = pd.DataFrame(rows, columns=list(REGION_COLUMNS))
    return frame.set_index("region")


def load(folder: str | Path) -> Result:
    """Read a run folder written by :func:`footsim.run.pipeline.run`."""
    import pyvista as pv

    folder = Path(folder)
    summary = read_summary(folder)
    if summary is None:
        raise FileNotFoundError(f"no result in {folder} (summary.json missing)")
    if summary.get("status") != "done":
        raise ValueError(f"{folder}: run did not finish: {summary.get('reason', 'unknown reason')}")

    def opt(name: str):
        path = folder / name
        return pv.read(path) if path.exists() else None

    plantar = opt("plantar.vtu")
    if plantar is None:
        raise FileNotFoundError(f"{folder}: plantar.vtu missing")
    steps = sorted((folder / "steps").glob("plantar_*.vtu")) if (folder / "steps").is_dir() else []
    return Result(
        folder=folder,
        summary=summary,
        regions=region_table(summary),
        plantar=plantar,
        volume=opt("volume.vtu"),
        insole_top=opt("insole_top.vtu"),
        steps=steps,
    )


def metatarsal_bending(result: Result):
    """How far each metatarsal head rose relative to the rigid motion of its base (mm).

    The metatarsal bases on the cut plane move as one rigid block; each bone in front of it is
    elastic, held at its base and loaded at its head by the ground: a cantilever that bends
    upwards under its head. This fits the rigid motion of the block (Kabsch: rotation and
    translation) to the displacement of the bone nodes on the cut plane, carries it to the
    lowest point of each head (reference configuration; the nearest bone node of that ray) and
    compares it with where that point went. Computed from ``volume.vtu``: no re-solve.

    Returns a pandas DataFrame indexed ``MT1`` ... ``MT5`` with ``deflection_mm`` (vertical,
    positive = the head rose relative to its base's rigid motion) and ``force_N`` (the force
    on the head's plantar region).
    """
    import pandas as pd

    vol = result.volume
    if vol is None:
        raise FileNotFoundError(f"{result.folder}: volume.vtu missing (no volume output)")
    tag = np.asarray(vol.cell_data["tag"])
    X = np.asarray(vol.points, dtype=float)
    U = np.asarray(vol.point_data["displacement_mm"], dtype=float)
    conn = _cell_point_ids(vol)
    bone_nodes = {k: np.unique(conn[_of_ray(tag, k)]) for k in range(1, 6)}
    every = np.unique(np.concatenate(list(bone_nodes.values())))
    x_cut = X[every, 0].min()
    cut = every[np.abs(X[every, 0] - x_cut) < 1e-6]
    P, Q = X[cut], X[cut] + U[cut]
    p0, q0 = P.mean(axis=0), Q.mean(axis=0)
    A, _, Bt = np.linalg.svd((P - p0).T @ (Q - q0))
    d = np.sign(np.linalg.det(Bt.T @ A.T))
    R = Bt.T @ np.diag([1.0, 1.0, d]) @ A.T
    centres = np.asarray(result.summary["head_centres_mm"], dtype=float)
    radii = np.asarray(result.summary["head_radii_mm"], dtype=float)
    rows = []
    for k in range(1, 6):
        low = centres[k - 1] - np.array([0.0, 0.0, radii[k - 1]])
        nodes = bone_nodes[k]
        i = nodes[np.argmin(np.linalg.norm(X[nodes] - low, axis=1))]
        rigid = R @ (X[i] - p0) + q0
        deflection = float((X[i] + U[i])[2] - rigid[2])
        force = float(result.summary["figures"].get(f"MTH{k}_force_N", np.nan))
        rows.append((f"MT{k}", deflection, force))
    frame = pd.DataFrame(rows, columns=["ray", "deflection_mm", "force_N"])
    return frame.set_index("ray")


def shaft_strain(result: Result):
    """Largest principal strain (microstrain) in the middle third of each metatarsal shaft.

    The shaft runs from the cut plane to its head's centre; its middle third is the cells of
    the ray (its bone, and its cortical tube with ``Anatomy.cortical_tube``) whose centroids
    lie between a third and two thirds of the way in x. The figure is the largest
    ``max_principal_strain_pct`` (Green-Lagrange, at the cell midpoint) there: the tension of
    the bent shaft's plantar side, to compare in magnitude with the compression strain gauges
    measure on the dorsal side (-1534 +/- 636 microstrain on MT2 in barefoot walking, Arndt et
    al. 2002, J Biomech 35:621). Computed from ``volume.vtu``: no re-solve.

    Returns a pandas DataFrame indexed ``MT1`` ... ``MT5`` with ``max_principal_microstrain``.
    """
    import pandas as pd

    vol = result.volume
    if vol is None:
        raise FileNotFoundError(f"{result.folder}: volume.vtu missing (no volume output)")
    tag = np.asarray(vol.cell_data["tag"])
    x = np.asarray(vol.cell_centers().points)[:, 0]
    strain = np.asarray(vol.cell_data["max_principal_strain_pct"])
    bones = np.logical_or.reduce([_of_ray(tag, k) for k in range(1, 6)])
    cut = float(np.asarray(vol.points)[np.unique(_cell_point_ids(vol)[bones]), 0].min())
    rows = []
    for k in range(1, 6):
        head = float(result.summary["head_centres_mm"][k - 1][0])
        third = (head - cut) / 3.0
        mid = _of_ray(tag, k) & (x > cut + third) & (x < cut + 2.0 * third)
        rows.append((f"MT{k}", 1e4 * float(strain[mid].max())))
    frame = pd.DataFrame(rows, columns=["ray", "max_principal_microstrain"])
    return frame.set_index("ray")


def _of_ray(tag: np.ndarray, ray: int) -> np.ndarray:
    """Cells of metatarsal ``ray``: its head (the whole bone without the tube) and its tube."""
    from footsim.mesh import tags

    return np.isin(tag, [int(v) for v in tags.ray_volumes(ray)])


def _cell_point_ids(grid) -> np.ndarray:
    """(n_cells, n_nodes) point ids of an unstructured grid of one cell type."""
    cells = np.asarray(grid.cells)
    n = int(cells[0])
    return cells.reshape(-1, n + 1)[:, 1:]


@dataclass(frozen=True)
class RunOutcome:
    """Outcome of one run: ``status`` is ``done`` or ``failed`` (then ``reason`` says why)."""

    status: str
    reason: str
    folder: Path
    summary: dict[str, Any] = field(default_factory=dict)
    cached: bool = False
