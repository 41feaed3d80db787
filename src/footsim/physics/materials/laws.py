"""Material laws of the forefoot and the footwear (units: MPa, 1/MPa, dimensionless).

Every law is a frozen dataclass with

* ``psi(F)``: the full strain-energy density (MPa = N mm / mm^3) as a UFL expression of the
  deformation gradient ``F``; used by the pure-displacement formulation and, in the mixed
  formulation, for the compressible materials (bone, plantar plate, foams), whose pressure
  field is pinned to zero;
* ``psi_iso(F)`` and ``bulk_modulus``: the isochoric part and the bulk modulus ``K`` of the
  split ``psi = psi_iso(C_bar) + U(J)`` used by the perturbed-Lagrangian mixed formulation
  (``psi_iso + p theta(J) - p^2 / (2 K)``, i.e. ``U = K/2 theta(J)^2``) for the nearly
  incompressible tissues (``split`` is True);
* ``volumetric``: the volumetric strain measure ``theta(J)``: ``"log"`` (default,
  ``theta = ln J``, the volumetric energy ``U = K/2 (ln J)^2`` of FEBio's uncoupled materials,
  Maas et al. 2012) or ``"quadratic"`` (``theta = J - 1``, Abaqus's ``U = (J - 1)^2 / D1``).
  Both have the same small-strain bulk modulus ``K``; they differ at large volume change, where
  only the logarithmic one resists collapse (``U -> inf`` as ``J -> 0``, a condition for the
  existence of solutions, Ball 1977): with the soft tissue's ``K = 0.55 MPa`` (nu 0.45,
  Cheung et al. 2005), the quadratic law let the tissue near the skin under MTH2 lose 88 %
  of its volume locally at 491 N of push-off and the next load step invert elements, while
  with ``ln J`` the coarse forefoot reaches the full 755 N (the contact enforcement at push-off:
  docs/limitations.md);
* ``psi_iso_stretches(l1, l2, l3)``: the isochoric energy as a numpy function of the principal
  stretches (exact parameters), used for the material stability checks;
* ``shear_modulus`` / ``youngs_modulus`` / ``poisson_ratio``: small-strain constants, used to
  scale the contact penalty.

Two continuum-mechanics conventions used throughout: ``C = F^T F``, ``J = det F``,
``C_bar = J^(-2/3) C``, ``I1_bar = tr C_bar``, ``I2_bar = (I1_bar^2 - tr C_bar^2) / 2``.

References
----------
* Cheung JT-M, Zhang M, Leung AK-L, Fan Y-B (2005) Three-dimensional finite element analysis
  of the foot during standing - a material sensitivity study. J Biomech 38:1045-1054.
* Cheung JT-M, Zhang M (2005) A 3-dimensional finite element model of the human foot and
  ankle for insole design. Arch Phys Med Rehabil 86:353-358.
* Ball JM (1977) Convexity conditions and existence theorems in nonlinear elasticity. Arch
  Ration Mech Anal 63:337-403.
* Maas SA, Ellis BJ, Ateshian GA, Weiss JA (2012) FEBio: finite elements for biomechanics.
  J Biomech Eng 134:011005.
* Lemmon D, Shiang TY, Hashmi A, Ulbrecht JS, Cavanagh PR (1997) The effect of insoles in
  therapeutic footwear - a finite element approach. J Biomech 30:615-620.
* Nakamura S, Crowninshield RD, Cooper RR (1981) An analysis of soft tissue loading in the
  foot - a preliminary report. Bull Prosthet Res 10-35:27-34.
* Petre M, Erdemir A, Panoskaltsis VP, Spirka TA, Cavanagh PR (2013) Optimization of
  nonlinear hyperelastic coefficients for foot tissues using a magnetic resonance imaging
  deformation experiment. J Biomech Eng 135:061001.
* Qiu GY, Pence TJ (1997) Remarks on the behavior of simple directionally reinforced
  incompressible nonlinearly elastic solids. J Elasticity 49:1-30.
* Holzapfel GA, Gasser TC, Ogden RW (2000) A new constitutive framework for arterial wall
  mechanics and a comparative study of material models. J Elasticity 61:1-48.
* Weiss JA, Maker BN, Govindjee S (1996) Finite element implementation of incompressible,
  transversely isotropic hyperelasticity. Comput Methods Appl Mech Eng 135:107-128.
* Storakers B (1986) On material representation and constitutive branching in finite
  compressible elasticity. J Mech Phys Solids 34:125-145 (the Abaqus HYPERFOAM law).
* Ogden RW (1972) Large deformation isotropic elasticity - on the correlation of theory and
  experiment for compressible rubberlike solids. Proc R Soc Lond A 328:567-583.
* Verdejo R, Mills NJ (2004) Heel-shoe interactions and the durability of EVA foam
  running-shoe midsoles. J Biomech 37:1379-1386.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import ufl
from ufl.core.expr import Expr

# --------------------------------------------------------------------------------------------
# Kinematics helpers (UFL)
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Kinematics helpers (UFL)
# --------------------------------------------------------------------------------------------


def _kinematics(F):
    """Return ``(C, J, C_bar)`` for a deformation gradient ``F``."""
    C = F.T * F
    J = ufl.det(F)
    C_bar = J ** (-2.0 / 3.0) * C
    return C, J, C_bar


def _invariants(C):
    """``(I1, I2)`` of a symmetric tensor ``C``."""
    I1 = ufl.tr(C)
    return I1, 0.5 * (I1**2 - ufl.tr(C * C))


def _iso_invariants(F):
    """Return ``(I1_bar, I2_bar, J)``: the invariants of ``C_bar = J^(-2/3) C``.

    Written as ``I1_bar = J^(-2/3) I1``, ``I2_bar = J^(-4/3) I2`` (the invariants of ``C``
    scaled) rather than as traces of ``C_bar``: the same values, but UFL's derivatives then
    scale two scalars instead of the nine entries of ``C_bar``, and the Ogden Jacobian of the
    coarse forefoot assembles in 1.8 s instead of 2.6 s (same matrix to 13 digits).
    """
    C = F.T * F
    J = ufl.det(F)
    I1, I2 = _invariants(C)
    s = J ** (-2.0 / 3.0)
    return s * I1, s * s * I2, J


def _power_sum(I1, I2, I3, k: int):
    """``p_k = tr(A^k)`` of a symmetric 3x3 tensor ``A`` from its invariants, ``k >= 0``.

    Newton's identities (Cayley-Hamilton): ``p_n = I1 p_(n-1) - I2 p_(n-2) + I3 p_(n-3)``,
    ``p_0 = 3``, ``p_1 = I1``, ``p_2 = I1^2 - 2 I2``. Exact, like the product of ``k``
    matrices, but a polynomial in three scalars: for the Ogden soft tissue (``k = 9``) the
    Jacobian kernel compiles in 18 s instead of 213 s and assembles 4.3 times faster (same
    matrix to 10 digits; a 12k-cell box, quadrature degree 4).
    """
    p = [3.0, I1, I1**2 - 2.0 * I2]
    for n in range(3, k + 1):
        p.append(I1 * p[n - 1] - I2 * p[n - 2] + I3 * p[n - 3])
    return p[k]


def _trace_power(C, k: int):
    """``tr(C^k) = sum_i lambda_i^(2k)`` for an integer ``k`` (negative: powers of C^-1), by
    :func:`_power_sum`."""
    if k == 0:
        return 3.0
    A = C if k > 0 else ufl.inv(C)
    I1, I2 = _invariants(A)
    return _power_sum(I1, I2, ufl.det(A), abs(k))


def _even_k(alpha: float) -> int:
    """The integer ``k`` with ``2k`` the even integer nearest to ``alpha`` (never 0)."""
    k = int(round(alpha / 2.0))
    if k == 0:
        k = 1 if alpha > 0 else -1
    return k


def _np_iso_invariants(l1, l2, l3):
    J = l1 * l2 * l3
    a = J ** (-1.0 / 3.0)
    b1, b2, b3 = (a * l1) ** 2, (a * l2) ** 2, (a * l3) ** 2
    return b1 + b2 + b3, b1 * b2 + b2 * b3 + b3 * b1


# --------------------------------------------------------------------------------------------
# Material base class
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Material:
    """Base class. Subclasses define the energies; ``name`` is the registry key."""

    name: str = "material"
    #: Volumetric strain measure of the split ``U = K/2 theta(J)^2`` (see the module docstring).
    volumetric: Literal["log", "quadratic"] = "log"

    def theta(self, J):
        """Volumetric strain measure ``theta(J)`` (UFL or numpy): ``ln J`` or ``J - 1``."""
        if self.volumetric == "log":
            return ufl.ln(J) if isinstance(J, Expr) else np.log(J)
        if self.volumetric == "quadratic":
            return J - 1.0
        raise ValueError(
            f"volumetric = {self.volumetric!r} is not a volumetric law "
            "(allowed: 'log', 'quadratic')"
        )

    def U(self, J):
        """Volumetric strain-energy density ``K/2 theta(J)^2`` (MPa)."""
        return self.bulk_modulus / 2.0 * self.theta(J) ** 2

    #: True when the law has an iso/vol split and is nearly incompressible (nu >= 0.45): the
    #: mixed formulation then uses ``psi_iso`` + perturbed Lagrangian on these cells.
    @property
    def split(self) -> bool:
        return self.poisson_ratio >= 0.45

    @property
    def shear_modulus(self) -> float:  # MPa
        raise NotImplementedError

    @property
    def bulk_modulus(self) -> float:  # MPa
        raise NotImplementedError

    @property
    def youngs_modulus(self) -> float:
        """Small-strain Young's modulus ``9 K mu / (3 K + mu)`` (MPa)."""
        K, mu = self.bulk_modulus, self.shear_modulus
        return 9.0 * K * mu / (3.0 * K + mu)

    @property
    def poisson_ratio(self) -> float:
        """Small-strain Poisson ratio ``(3K - 2mu) / (2 (3K + mu))``."""
        K, mu = self.bulk_modulus, self.shear_modulus
        return (3.0 * K - 2.0 * mu) / (2.0 * (3.0 * K + mu))

    def psi(self, F):
        """Full strain-energy density (MPa) of the deformation gradient ``F`` (UFL)."""
        _, _, J = _iso_invariants(F)
        return self.psi_iso(F) + self.U(J)

    def psi_iso(self, F):
        """Isochoric strain-energy density (MPa) (UFL)."""
        raise NotImplementedError(f"{type(self).__name__} has no iso/vol split")

    def psi_iso_stretches(self, l1, l2, l3):
        """Isochoric energy (MPa) of the principal stretches (numpy; for stability checks)."""
        raise NotImplementedError(f"{type(self).__name__} has no iso/vol split")


@dataclass(frozen=True)
class NeoHookean(Material):
    """Compressible neo-Hookean solid (Ogden 1984 / Simo-Pister form).

    ``psi = mu/2 (I1 - 3) - mu ln J + lam/2 (ln J)^2`` with the Lame constants of
    ``E`` (MPa) and ``nu``; it reduces to linear elasticity with ``(E, nu)`` at small strain.
    For ``nu >= 0.45`` the split form ``psi_iso = mu/2 (I1_bar - 3)``,
    ``U = K/2 theta(J)^2`` is used (same small-strain constants).
    """

    E: float = 1.0  # MPa
    nu: float = 0.3

    @property
    def shear_modulus(self) -> float:
        return self.E / (2.0 * (1.0 + self.nu))

    @property
    def bulk_modulus(self) -> float:
        return self.E / (3.0 * (1.0 - 2.0 * self.nu))

    @property
    def lame_lambda(self) -> float:
        return self.E * self.nu / ((1.0 + self.nu) * (1.0 - 2.0 * self.nu))

    def psi(self, F):
        mu, lam = self.shear_modulus, self.lame_lambda
        J = ufl.det(F)
        I1 = ufl.tr(F.T * F)
        if self.split:
            return self.psi_iso(F) + self.U(J)
        return mu / 2.0 * (I1 - 3.0) - mu * ufl.ln(J) + lam / 2.0 * ufl.ln(J) ** 2

    def psi_iso(self, F):
        I1b, _, _ = _iso_invariants(F)
        return self.shear_modulus / 2.0 * (I1b - 3.0)

    def psi_iso_stretches(self, l1, l2, l3):
        I1b, _ = _np_iso_invariants(l1, l2, l3)
        return self.shear_modulus / 2.0 * (I1b - 3.0)


@dataclass(frozen=True)
class FibreReinforced(NeoHookean):
    """Compressible neo-Hookean matrix reinforced by one family of fibres that bear tension
    only (a transversely isotropic solid, e.g. the plantar plate's longitudinal collagen).

    ``psi = psi_NH(F) + E_fibre / 8 <I4 - 1>_+^2``, ``I4 = a0 . C a0`` the squared stretch of
    the fibres (reference direction ``fibre_direction``, normalised), ``<x>_+ = max(x, 0)``:
    the quadratic "standard reinforcing model" (Qiu & Pence 1997, J Elasticity 49:1; the
    tension-only switch as in Holzapfel, Gasser & Ogden 2000, J Elasticity 61:1). The fibre
    second Piola-Kirchhoff stress is ``E_fibre / 2 (I4 - 1) a0 (x) a0``, i.e. ``E_fibre`` times
    the fibres' Green-Lagrange strain: at small strain the fibres add ``E_fibre`` to the
    Young's modulus along ``a0`` and nothing across it or in compression.  The small-strain
    constants (``shear_modulus``, ``bulk_modulus``, the contact penalty's compression curve)
    are the matrix's.
    """

    E_fibre: float = 260.0  # MPa
    fibre_direction: tuple[float, float, float] = (1.0, 0.0, 0.0)

    def fibre_stretch_squared(self, F):
        """``I4 = a0 . C a0`` (UFL)."""
        a0 = np.asarray(self.fibre_direction, dtype=float)
        a0 = ufl.as_vector((a0 / np.linalg.norm(a0)).tolist())
        return ufl.dot(a0, (F.T * F) * a0)

    def psi_fibre(self, F):
        """The fibres' strain-energy density ``E_fibre / 8 <I4 - 1>_+^2`` (MPa, UFL)."""
        I4 = self.fibre_stretch_squared(F)
        stretched = ufl.conditional(ufl.gt(I4, 1.0), I4 - 1.0, 0.0)
        return self.E_fibre / 8.0 * stretched**2

    def psi(self, F):
        if self.split:  # psi_iso (with the fibres) + U(J)
            return super().psi(F)
        return super().psi(F) + self.psi_fibre(F)

    def psi_iso(self, F):
        """The matrix's isochoric energy plus the fibres' (of the full ``I4``, as in the
        uncoupled fibre laws of Weiss et al. 1996 and FEBio), for ``nu >= 0.45``."""
        return super().psi_iso(F) + self.psi_fibre(F)


@dataclass(frozen=True)
class Polynomial(Material):
    """Second-order polynomial (Abaqus ``*HYPERELASTIC, POLYNOMIAL, N=2``).

    ``psi = sum_{i+j<=2} C_ij (I1_bar - 3)^i (I2_bar - 3)^j + U(J)`` with ``K = 2 / D1``
    (Abaqus: ``U = (J - 1)^2 / D1``, here ``volumetric="quadratic"``; footsim's default is
    ``K/2 (ln J)^2``, see the module docstring), initial shear modulus ``2 (C10 + C01)``.
    Defaults: encapsulated plantar soft tissue of Cheung et al. (2005, J Biomech 38:1045,
    Table 1), fitted by Lemmon et al. (1997) to in-vivo indentation of the forefoot pad:
    C10 0.08556, C01 -0.05841, C20 0.03900, C11 -0.02319, C02 0.00851 MPa, D1 3.65273 1/MPa
    (small-strain mu0 = 0.0543 MPa, K = 0.5475 MPa, E0 = 0.157 MPa, nu0 = 0.452).
    Stability: see :func:`drucker_stable_range`; with these constants the law is
    Drucker-stable in uniaxial, equibiaxial and planar deformation for stretches 0.4-1.5
    (``tests/test_mechanics.py::test_soft_tissue_drucker_stability``).
    """

    C10: float = 0.08556
    C01: float = -0.05841
    C20: float = 0.03900
    C11: float = -0.02319
    C02: float = 0.00851
    D1: float = 3.65273  # 1/MPa

    @property
    def shear_modulus(self) -> float:
        return 2.0 * (self.C10 + self.C01)

    @property
    def bulk_modulus(self) -> float:
        return 2.0 / self.D1

    def _w(self, I1b, I2b):
        a, b = I1b - 3.0, I2b - 3.0
        return self.C10 * a + self.C01 * b + self.C20 * a**2 + self.C11 * a * b + self.C02 * b**2

    def psi_iso(self, F):
        I1b, I2b, _ = _iso_invariants(F)
        return self._w(I1b, I2b)

    def psi_iso_stretches(self, l1, l2, l3):
        return self._w(*_np_iso_invariants(l1, l2, l3))


@dataclass(frozen=True)
class Ogden(Material):
    """One-term incompressible Ogden law with a volumetric penalty (Ogden 1972).

    ``psi_iso = 2 mu / alpha^2 (l1_bar^alpha + l2_bar^alpha + l3_bar^alpha - 3)``,
    ``U = K/2 theta(J)^2``; initial shear modulus ``mu``.
    Defaults: plantar soft tissue of Petre et al. (2013, J Biomech Eng 135:061001),
    ``mu = c1 = 0.02652 MPa``, ``alpha = m1 = 17.71``, ``K = 100 c1`` (nu0 = 0.495).

    UFL implementation note: ``sum_i l_i^alpha = tr(C_bar^(alpha/2))`` is evaluated exactly
    (no eigen-decomposition, whose derivative is singular at the undeformed state) for an
    even integer ``alpha``; a non-even ``alpha`` is rounded to the nearest even integer in
    the finite-element forms (17.71 -> 18: the uniaxial stress differs by < 4 % for
    stretches 0.7-1.2, 6 % at 0.6 and 1.3) while :meth:`psi_iso_stretches` keeps the exact value.
    """

    mu: float = 0.02652  # MPa
    alpha: float = 17.71
    K: float = 100 * 0.02652  # MPa

    @property
    def shear_modulus(self) -> float:
        return self.mu

    @property
    def bulk_modulus(self) -> float:
        return self.K

    @property
    def alpha_fem(self) -> float:
        """The exponent used in the finite-element forms (nearest even integer)."""
        return 2.0 * _even_k(self.alpha)

    def psi_iso(self, F):
        k = _even_k(self.alpha)
        a = 2.0 * k
        if k < 0:
            _, _, C_bar = _kinematics(F)
            return 2.0 * self.mu / a**2 * (_trace_power(C_bar, k) - 3.0)
        # det C_bar = 1 exactly: tr(C_bar^k) is a polynomial in I1_bar and I2_bar alone
        I1b, I2b, _ = _iso_invariants(F)
        return 2.0 * self.mu / a**2 * (_power_sum(I1b, I2b, 1.0, k) - 3.0)

    def psi_iso_stretches(self, l1, l2, l3):
        J = l1 * l2 * l3
        s = J ** (-1.0 / 3.0)
        a = self.alpha
        return 2.0 * self.mu / a**2 * ((s * l1) ** a + (s * l2) ** a + (s * l3) ** a - 3.0)


@dataclass(frozen=True)
class Hyperfoam(Material):
    """Storakers (1986) compressible foam, one term (Abaqus ``HYPERFOAM, N=1``).

    ``psi = 2 mu / alpha^2 [l1^alpha + l2^alpha + l3^alpha - 3 + (J^(-alpha beta) - 1) / beta]``
    with ``beta = nu / (1 - 2 nu)``; small-strain shear modulus ``mu``, bulk modulus
    ``2 mu (1/3 + beta)``, Poisson ratio ``nu`` (uniaxial lateral contraction is ``nu`` at
    every strain: the law has no iso/vol split, so the mixed formulation pins the pressure on
    these cells and uses the full ``psi``).  ``alpha`` must be an even integer here
    (``sum l_i^alpha = tr(C^(alpha/2))``, evaluated without eigen-decomposition); the
    constructor ``Hyperfoam.from_E(E, nu, alpha)`` sets ``mu = E / (2 (1 + nu))``.
    """

    mu: float = 0.1  # MPa
    alpha: float = 2.0
    nu: float = 0.1

    @classmethod
    def from_E(cls, name: str, E: float, nu: float, alpha: float = 2.0) -> Hyperfoam:
        return cls(name=name, mu=E / (2.0 * (1.0 + nu)), alpha=alpha, nu=nu)

    @property
    def beta(self) -> float:
        return self.nu / (1.0 - 2.0 * self.nu)

    @property
    def split(self) -> bool:
        return False

    @property
    def shear_modulus(self) -> float:
        return self.mu

    @property
    def bulk_modulus(self) -> float:
        return 2.0 * self.mu * (1.0 / 3.0 + self.beta)

    def psi(self, F):
        C = F.T * F
        J = ufl.det(F)
        k = _even_k(self.alpha)
        a = 2.0 * k
        b = self.beta
        vol = (J ** (-a * b) - 1.0) / b if b > 0 else -a * ufl.ln(J)
        return 2.0 * self.mu / a**2 * (_trace_power(C, k) - 3.0 + vol)

    def psi_stretches(self, l1, l2, l3):
        a, b = self.alpha, self.beta
        J = l1 * l2 * l3
        vol = (J ** (-a * b) - 1.0) / b if b > 0 else -a * np.log(J)
        return 2.0 * self.mu / a**2 * (l1**a + l2**a + l3**a - 3.0 + vol)
