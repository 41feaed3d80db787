"""Homogeneous-deformation curves of a material law: stress and tangent in uniaxial,
equibiaxial and shear modes, the compression curve and Drucker stability (MPa).
"""

from __future__ import annotations

import numpy as np

from footsim.physics.materials.laws import Hyperfoam, Material

# --------------------------------------------------------------------------------------------
# Kinematics helpers (UFL)
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Stability (Drucker) check of the isochoric response
# --------------------------------------------------------------------------------------------


def _incompressible_modes(lam):
    """Principal stretches of the uniaxial, equibiaxial and planar incompressible modes."""
    lam = np.asarray(lam, dtype=float)
    return {
        "uniaxial": (lam, lam**-0.5, lam**-0.5),
        "equibiaxial": (lam, lam, lam**-2.0),
        "planar": (lam, np.ones_like(lam), 1.0 / lam),
    }


def mode_stress_tangent(material: Material, stretches, mode: str, h: float = 1e-5):
    """True stress ``sigma`` (MPa) and tangent ``d sigma / d ln(lambda)`` (MPa) of a mode.

    Incompressible uniaxial, equibiaxial or planar (pure-shear) deformation with stretch
    ``lambda`` in the loaded direction(s); ``sigma = lambda dW/dlambda / n`` with ``n`` the
    number of loaded directions (1, 2, 1), differentiated by central differences.
    """
    lam = np.asarray(stretches, dtype=float)
    n_loaded = 2.0 if mode == "equibiaxial" else 1.0

    def w(x):
        return material.psi_iso_stretches(*_incompressible_modes(x)[mode])

    def sigma(x):
        return x * (w(x * (1 + h)) - w(x * (1 - h))) / (2 * h * x) / n_loaded

    s = sigma(lam)
    ds = lam * (sigma(lam * (1 + h)) - sigma(lam * (1 - h))) / (2 * h * lam)
    return s, ds


def compression_curve(material: Material, lo: float = 0.2, n: int = 321):
    """Uniaxial compression of ``material``: compressive true stress ``|sigma|`` (MPa,
    increasing from 0) and tangent ``d|sigma| / d|ln lambda|`` (MPa) on stretches 1 .. ``lo``
    (cut where the stress stops rising).

    Laws with an isochoric/volumetric split are taken incompressible (the isochoric part in
    the uniaxial mode, :func:`mode_stress_tangent`); :class:`Hyperfoam` contracts laterally by
    its ``nu`` (stretches ``lambda, lambda^-nu, lambda^-nu``, free of lateral stress for this
    law), ``sigma = lambda_1 d psi / d lambda_1 / J``.  At small strain the tangent is the
    Young's modulus (3 mu for the incompressible laws); a stiffening law's tangent grows with
    the stress (the one-term Ogden tissue: ``~alpha |sigma|``)."""
    lam = np.linspace(1.0, lo, n)
    if isinstance(material, Hyperfoam):
        h = 1e-6

        def sigma(x):
            lat = x**-material.nu
            dpsi = (
                material.psi_stretches(x * (1 + h), lat, lat)
                - material.psi_stretches(x * (1 - h), lat, lat)
            ) / (2 * h * x)
            return x * dpsi / (x * lat * lat)

        s = sigma(lam)
        ds = (sigma(lam * (1 + h)) - sigma(lam * (1 - h))) / (2 * h)
    else:
        s, ds = mode_stress_tangent(material, lam, "uniaxial")
    s, ds = -s, ds  # compression: sigma < 0 and d sigma / d ln(lambda) > 0 for lambda < 1
    rising = np.concatenate([[True], np.diff(s) > 0])
    stop = int(np.argmin(rising)) if not rising.all() else len(s)
    return s[:stop], ds[:stop]


def drucker_stable_range(material: Material, lo: float = 0.4, hi: float = 1.5, n: int = 221):
    """Check Drucker stability ``d sigma : d eps > 0`` of the isochoric law (Abaqus-style).

    Evaluates the tangent of the true stress with respect to the logarithmic strain in
    uniaxial, equibiaxial and planar incompressible deformation over stretches ``lo..hi``.
    Returns ``{mode: (stable: bool, first_unstable_stretch or None)}``.
    """
    lam = np.linspace(lo, hi, n)
    out = {}
    for mode in ("uniaxial", "equibiaxial", "planar"):
        _, ds = mode_stress_tangent(material, lam, mode)
        bad = lam[ds <= 0.0]
        out[mode] = (bad.size == 0, float(bad[0]) if bad.size else None)
    return out
