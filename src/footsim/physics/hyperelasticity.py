"""Total-Lagrangian finite-strain hyperelasticity (units: mm, N, MPa).

Unknowns: the displacement ``u`` (continuous Lagrange, degree 2 by default) and, in the mixed
formulation, a pressure ``p`` (continuous Lagrange, degree 1): Taylor-Hood P2-P1, which
satisfies the inf-sup condition and is free of volumetric locking for nearly incompressible
tissue (Brezzi & Fortin 1991; Simo & Taylor 1991, Comput Methods Appl Mech Eng 85:273 for the
finite-strain perturbed Lagrangian).  The total potential of the body is

    Pi(u, p) = sum_m  int_{Omega_m} psi_m(u, p) dX  -  (contact and boundary terms)

with, for the nearly incompressible materials (``Material.split``),

    psi_m = psi_iso(C_bar) + p theta(J) - p^2 / (2 K)

(``theta = ln J`` by default, see :mod:`footsim.physics.materials.laws`)

and for the compressible ones (bone, plantar plate, foams), which need no (or have no)
iso/vol split, the full ``psi(C)`` plus ``-p^2 / (2 K_pin)`` with a huge ``K_pin`` so that the
pressure there is pinned to zero without disturbing the interface nodes.  The pure-displacement
formulation (``SolverOptions.formulation = "displacement"``) uses ``psi(C)`` everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

import footsim  # noqa: F401  (must precede dolfinx: loads the MPI/PETSc wheel libraries)

import dolfinx  # noqa: E402  isort: skip
import dolfinx.fem.petsc  # noqa: E402  isort: skip
import dolfinx.la.petsc  # noqa: E402  isort: skip
import numpy as np  # noqa: E402  isort: skip
import ufl  # noqa: E402  isort: skip
from dolfinx import fem  # noqa: E402  isort: skip
from mpi4py import MPI  # noqa: E402  isort: skip

from footsim.physics.materials.laws import Material  # noqa: E402
from footsim.solve.options import SolverOptions

#: Pinning modulus (MPa) of the pressure field on compressible cells: ``-p^2/(2 K_PIN)``.
K_PIN = 1.0e4


def _material_groups(
    mesh: dolfinx.mesh.Mesh, cell_tags: dolfinx.mesh.MeshTags, materials: Mapping[int, Material]
) -> tuple[list[Material], dolfinx.mesh.MeshTags]:
    """Group the tagged cells by material: returns the unique materials and a MeshTags whose
    value is the index of each cell's material (one integration kernel per material)."""
    tdim = mesh.topology.dim
    n_owned = mesh.topology.index_map(tdim).size_local
    unique: list[Material] = []
    index_of_tag: dict[int, int] = {}
    # the same material numbering on every process (a process may hold no cell of a tag)
    tags_all = sorted(set().union(*mesh.comm.allgather({int(t) for t in cell_tags.values})))
    for tag in tags_all:
        if tag not in materials:
            raise KeyError(f"no material for cell tag {tag}")
        m = materials[tag]
        if m not in unique:
            unique.append(m)
        index_of_tag[tag] = unique.index(m)
    untagged = n_owned - int(np.count_nonzero(cell_tags.indices < n_owned))
    untagged = mesh.comm.allreduce(untagged, op=MPI.SUM)
    if untagged:  # ghost cells need no tag: cell integrals run over owned cells
        raise ValueError(f"{untagged} cells have no cell tag")
    values = np.array([index_of_tag[int(t)] for t in cell_tags.values], dtype=np.int32)
    mt = dolfinx.mesh.meshtags(mesh, tdim, cell_tags.indices.astype(np.int32), values)
    return unique, mt


class Hyperelasticity:
    """Unknowns, kinematics and internal-energy forms of a multi-material body.

    Args:
        mesh: first-order tetrahedral mesh (mm).
        cell_tags: cell tags; every tag must have a material.
        materials: material of every cell tag.
        options: discretisation options.
    """

    def __init__(
        self,
        mesh: dolfinx.mesh.Mesh,
        cell_tags: dolfinx.mesh.MeshTags,
        materials: Mapping[int, Material],
        options: SolverOptions | None = None,
    ):
        self.options = options or SolverOptions()
        self.mesh = mesh
        self.cell_tags = cell_tags
        self.materials, self.material_tags = _material_groups(mesh, cell_tags, materials)
        deg = self.options.degree
        gdim = mesh.geometry.dim
        self.V = fem.functionspace(mesh, ("Lagrange", deg, (gdim,)))
        self.u = fem.Function(self.V, name="displacement")
        self.v = ufl.TestFunction(self.V)
        self.mixed = self.options.formulation == "mixed"
        if self.mixed:
            if deg < 2:
                raise ValueError("the mixed (Taylor-Hood) formulation needs degree >= 2")
            self.Q = fem.functionspace(mesh, ("Lagrange", deg - 1))
            self.p = fem.Function(self.Q, name="pressure")
            self.q = ufl.TestFunction(self.Q)
        qd = self.options.quadrature_degree or 2 * deg
        self.dx = ufl.Measure(
            "dx", domain=mesh, subdomain_data=self.material_tags, metadata={"quadrature_degree": qd}
        )
        # Kinematics
        self.I = ufl.Identity(gdim)
        self.F = ufl.variable(self.I + ufl.grad(self.u))
        self.J = ufl.det(self.F)

    # ---------------------------------------------------------------------------- energies
    def uses_split(self, m: Material) -> bool:
        return self.mixed and m.split

    def strain_energy(self, i: int):
        """Strain-energy density (MPa) of material group ``i`` (mixed: includes the p terms)."""
        m = self.materials[i]
        if not self.mixed:
            return m.psi(self.F)
        if m.split:
            return m.psi_iso(self.F) + self.p * m.theta(self.J) - self.p**2 / (2.0 * m.bulk_modulus)
        return m.psi(self.F) - self.p**2 / (2.0 * K_PIN)

    def potential(self):
        """Internal potential ``sum_m int psi_m dX`` (N mm)."""
        return sum(self.strain_energy(i) * self.dx(i) for i in range(len(self.materials)))

    def unknowns(self) -> list[fem.Function]:
        return [self.u, self.p] if self.mixed else [self.u]

    def residual(self, external_u=None) -> list:
        """Residual forms ``[F_u, F_p]`` (mixed) or ``[F_u]``; ``external_u`` (a form linear in
        the test function ``self.v``) is added to ``F_u``."""
        Pi = self.potential()
        F_u = ufl.derivative(Pi, self.u, self.v)
        if external_u is not None:
            F_u = F_u + external_u
        if self.mixed:
            return [F_u, ufl.derivative(Pi, self.p, self.q)]
        return [F_u]

    # ---------------------------------------------------------------------------- stresses
    def first_piola(self, i: int):
        """First Piola-Kirchhoff stress (MPa) of material group ``i``."""
        m = self.materials[i]
        if self.uses_split(m):
            return ufl.diff(m.psi_iso(self.F) + self.p * m.theta(self.J), self.F)
        return ufl.diff(m.psi(self.F), self.F)

    def cauchy(self, i: int):
        """Cauchy stress ``sigma = P F^T / J`` (MPa) of material group ``i``."""
        return self.first_piola(i) * self.F.T / self.J

    def cauchy_dg0(self) -> fem.Function:
        """Cauchy stress per cell (DG0 tensor, MPa), sampled at the cell midpoints."""
        gdim = self.mesh.geometry.dim
        W = fem.functionspace(self.mesh, ("DG", 0, (gdim, gdim)))
        sig = fem.Function(W, name="cauchy_stress")
        for i in range(len(self.materials)):
            cells = self.material_tags.find(i)
            # compiled on every process (collective), also one without cells of it
            expr = fem.Expression(self.cauchy(i), W.element.interpolation_points)
            if cells.size:
                sig.interpolate(expr, cells0=cells)
        sig.x.scatter_forward()
        return sig

    def stress_measures(self) -> tuple[fem.Function, fem.Function]:
        """Von Mises and maximum shear (Tresca, ``(s1 - s3)/2``) Cauchy stress per cell (DG0,
        MPa)."""
        sig = self.cauchy_dg0()
        gdim = self.mesh.geometry.dim
        S = fem.functionspace(self.mesh, ("DG", 0))
        vm = fem.Function(S, name="von_mises")
        tau = fem.Function(S, name="max_shear")
        s = sig.x.array.reshape(-1, gdim, gdim)
        s = 0.5 * (s + s.transpose(0, 2, 1))
        ev = np.linalg.eigvalsh(s)
        dev = s - np.einsum("i,jk->ijk", np.trace(s, axis1=1, axis2=2) / 3.0, np.eye(gdim))
        vm.x.array[:] = np.sqrt(1.5 * np.einsum("ijk,ijk->i", dev, dev))
        tau.x.array[:] = 0.5 * (ev[:, -1] - ev[:, 0])
        return vm, tau


def max_principal_green_strain(u: fem.Function) -> fem.Function:
    """Largest principal value of the Green-Lagrange strain ``E = (F^T F - I)/2`` per cell
    (DG0, dimensionless), from the displacement ``u`` (mm) at the cell midpoints; positive in
    stretch. Used for the plantar plates, whose failure is a tensile one."""
    mesh = u.function_space.mesh
    gdim = mesh.geometry.dim
    W = fem.functionspace(mesh, ("DG", 0, (gdim, gdim)))
    grad = fem.Function(W)
    grad.interpolate(fem.Expression(ufl.grad(u), W.element.interpolation_points))
    F = np.eye(gdim) + grad.x.array.reshape(-1, gdim, gdim)
    E = 0.5 * (np.einsum("nki,nkj->nij", F, F) - np.eye(gdim))
    out = fem.Function(fem.functionspace(mesh, ("DG", 0)), name="max_principal_strain")
    out.x.array[:] = np.linalg.eigvalsh(E)[:, -1]
    return out
