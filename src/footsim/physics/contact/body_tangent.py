"""The tangent of two-body contact: the Jacobian of :class:`~footsim.physics.contact.body.
BodyContact`'s residual, including the derivatives of the smoothed master normal and of the
closest-point projection, and the matrix pattern its couplings need (mm, N, MPa).
"""

from __future__ import annotations

import footsim  # noqa: F401  (must precede dolfinx)

import numpy as np  # noqa: E402  isort: skip

from footsim.physics.contact.surface import (
    _barycentric_gradients,
    _Evaluation,
    _normal_derivative,
    _skew,
)


class BodyContactTangent:
    """The consistent tangent of :class:`~footsim.physics.contact.body.BodyContact` (a mixin:
    it reads the contact's surfaces, penalty and evaluation; verified against finite
    differences of the residual in tests/test_contact_bodies.py)."""

    def add_jacobian(self, A) -> None:
        """Add the linearisation of :meth:`add_residual` at the active points to ``A``.

        With ``c = (N_s, -M(L))`` the residual of a point is ``r_a = -W p c_a n``, ``p = lambda -
        kappa g``, ``g = n . d``, ``d = x_s - x_m``, so::

            dr_a = kappa W c_a n dg - W p dc_a n - W p c_a dn,
            dg = n . (sum_b c_b du_b) + d . dn - n . (sum_b x_b dM_b/dL_k) dL_k,
            dc_b = -dM_b/dL_k dL_k (master nodes),
            dn = P_n / |m| sum_k (n_k dL_k + L_k dn_k)  (smooth normals, m = sum_k L_k n_k),
            dn = dn_f  (facet normals),

        where ``n_k`` are the corner normals, ``dn_k`` their rotation with all the facets
        around corner ``k`` (:meth:`_corner_normal_derivative`; a stencil wider than the
        facet), ``dn_f`` the rotation of the facet's own normal with its corners, and ``dL``
        the motion of the closest point over the flat facet (:meth:`_projection_derivative`).
        The ``n_k dL_k`` term is the curvature of the smoothed master: a point sliding by
        ``ds`` over a dome of radius ``R`` turns its force by ``ds / R``, of the order of ``p /
        R`` per unit slide, more than the tissue's own stiffness at push-off pressures; Newton
        stagnated without it.  With friction, the derivative of its return mapping over the
        anchored pair's nodes and, in slip, of ``mu p`` through ``dg``
        (:meth:`~footsim.physics.contact.body_friction.BodyFriction.tangent`).  Exact:
        checked against central differences in the tests."""
        import scipy.sparse as sp

        ev = self.evaluate()
        act, p, W, n, nodes, c, ev = self._active(ev)
        if act.size == 0:
            A.assemble()  # collective
            return
        kW = self.kappa.ravel()[act] * W
        na, nn = c.shape
        ns = self.Ns.shape[1]
        dL, dn_f = self._projection_derivative(ev, act)  # (na, 3, nn, 3), (na, 3, nn, 3)
        if self.smooth_normals:  # the corners' normals turn with their facets: below
            m = np.einsum("qj,qji->qi", ev.bary[act], ev.corner_normals[act])
            P = (np.eye(3)[None] - np.einsum("qi,qj->qij", n, n)) / np.linalg.norm(m, axis=1)[
                :, None, None
            ]
            Tn = np.einsum("qil,qkl->qik", P, ev.corner_normals[act])  # dn / dL_k
            dn = np.einsum("qik,qkcj->qicj", Tn, dL)
        else:
            dn = dn_f
        d = ev.xs[act] - ev.xm[act]
        gL = -np.einsum("qi,qbk,qbi->qk", n, ev.dM[act], ev.x_master[act])
        dg = np.einsum("qc,qj->qcj", c, n)
        dg += np.einsum("ql,qlcj->qcj", d, dn) + np.einsum("qk,qkcj->qcj", gL, dL)
        K = np.einsum("q,qa,qi,qcj->qaicj", kW, c, n, dg)
        K[:, ns:] += np.einsum("q,qi,qbk,qkcj->qbicj", W * p, n, ev.dM[act], dL)
        K -= np.einsum("q,qa,qicj->qaicj", W * p, c, dn)
        K = K.reshape(na, 3 * nn, 3 * nn)
        dofs = (3 * nodes[:, :, None] + np.arange(3)).reshape(na, 3 * nn)
        R = np.einsum("q,qa,qi,ql->qail", kW, c, n, d)  # the normal's turn: below
        R -= np.einsum("q,qa,il->qail", W * p, c, np.eye(3))
        everyone = np.arange(na)
        blocks, R_dofs = [], []  # (row dofs, col dofs, values), (points, row dofs, values)
        if self.friction is not None:  # over the anchored pairs' nodes, and in slip dp
            fs = self.friction.state(ev, act, p)
            Kf, a = self.friction.tangent(fs, act, W, kW)
            Kf = Kf.reshape(na, 3 * nn, 3 * nn)
            Ka = np.einsum("qai,qcj->qaicj", a, dg).reshape(na, 3 * nn, 3 * nn)
            Ra = np.einsum("qai,ql->qail", a, d)
            # a point anchored on the facet it projects on: the same nodes as its normal
            # block (most points; the others add blocks of their own)
            same = (fs.nodes == nodes).all(axis=1)
            K[same] += Kf[same] + Ka[same]
            R[same] += Ra[same]
            other = np.nonzero(~same)[0]
            f_dofs = (3 * fs.nodes[other, :, None] + np.arange(3)).reshape(-1, 3 * nn)
            blocks += [(f_dofs, f_dofs, Kf[other]), (f_dofs, dofs[other], Ka[other])]
            R_dofs.append((other, f_dofs, Ra[other]))
        blocks.append((dofs, dofs, K))
        R_dofs.append((everyone, dofs, R))
        N = 3 * len(self.X)  # the surface dofs (compact numbering)
        rows = np.concatenate([np.repeat(r, c_.shape[1], axis=1).ravel() for r, c_, _ in blocks])
        cols = np.concatenate([np.tile(c_, (1, r.shape[1])).ravel() for r, c_, _ in blocks])
        vals = np.concatenate([v.ravel() for _, _, v in blocks])
        S = sp.csr_matrix((vals, (rows, cols)), shape=(N, N))
        if self.smooth_normals:
            # dn = P_n / |m| sum_k L_k dn_k, dn_k = P_k / |m_k| sum_{f at k} dc_f (all the
            # facets around the corners: a wider stencil, in the pre-allocated pattern)
            Rr, Rc = [], []  # rows: the dofs of each point's nodes; columns: its dn
            for q, r, v in R_dofs:
                Rr.append(np.broadcast_to(r.reshape(len(q), nn, 3, 1), v.shape).ravel())
                q_col = (3 * q[:, None] + np.arange(3)).reshape(len(q), 1, 1, 3)
                Rc.append(np.broadcast_to(q_col, v.shape).ravel())
            Rg = sp.csr_matrix(
                (np.concatenate([v.ravel() for _, _, v in R_dofs]),
                 (np.concatenate(Rr), np.concatenate(Rc))),
                shape=(N, 3 * na),
            )  # fmt: skip
            corners = self.m_nodes[ev.master[act], :3]  # (na, 3 k)
            sel = np.einsum("qk,qli->qlki", ev.bary[act], P)  # (na, 3 l, 3 k, 3 i)
            sel_rows = np.broadcast_to((3 * np.arange(na)[:, None] + np.arange(3))[:, :, None,
                                       None], sel.shape)  # fmt: skip
            sel_cols = np.broadcast_to((3 * corners[:, :, None] + np.arange(3))[:, None], sel.shape)
            Sel = sp.csr_matrix(
                (sel.ravel(), (sel_rows.ravel(), sel_cols.ravel())), shape=(3 * na, self.X.size)
            )
            T = (Rg @ (Sel @ self._corner_normal_derivative())).tocoo()
            S = S + sp.csr_matrix((T.data, (T.row, T.col)), shape=(N, N))
        from petsc4py import PETSc

        S = S.tocoo()
        g = self.dofs.ravel()
        lo, hi = A.getOwnershipRange()
        keep = ~(self.bc_mask[S.row] | self.bc_mask[S.col])
        keep &= (g[S.row] >= lo) & (g[S.row] < hi)  # this process's rows
        S = sp.csr_matrix((S.data[keep], (S.row[keep], S.col[keep])), shape=(N, N))
        S.sum_duplicates()
        rows = np.nonzero(np.diff(S.indptr))[0]
        it = PETSc.IntType
        A.setValuesIJV(
            np.concatenate([[0], np.cumsum(np.diff(S.indptr)[rows])]).astype(it),
            g[S.indices].astype(it), S.data, addv=True, rowmap=g[rows].astype(it),
        )  # fmt: skip
        A.assemble()

    def _master_ring(self):
        """Master facet adjacency (sparse, facets x facets): the facets that share a corner
        with each facet (itself included)."""
        import scipy.sparse as sp

        if getattr(self, "_ring", None) is None:
            nf = len(self.m_nodes)
            inc = sp.csr_matrix(
                (np.ones(3 * nf), (np.repeat(np.arange(nf), 3), self.m_nodes[:, :3].ravel())),
                shape=(nf, len(self.X)),
            )
            ring = (inc @ inc.T).tocsr()
            ring.data[:] = 1.0
            ring.sort_indices()
            self._ring = ring
        return self._ring

    def _corner_normal_derivative(self):
        """``d n_k / d u`` (sparse, 3 N x 3 N; rows: the corner nodes' unit normals ``n_k``,
        columns: displacement dofs) of :meth:`_corner_normals`: ``n_k = m_k / |m_k|``, ``m_k =
        sum_{f at k} c_f``, ``c_f = (C_1 - C_0) x (C_2 - C_0)`` (oriented)."""
        import scipy.sparse as sp

        x = self._nodes_current()
        corners = self.m_nodes[:, :3]
        C = x[corners]
        e1, e2 = C[:, 1] - C[:, 0], C[:, 2] - C[:, 0]
        cf = np.cross(e1, e2) * self.m_sign[:, None]
        acc = np.zeros((len(self.X), 3))
        np.add.at(acc, corners.ravel(), np.repeat(cf, 3, axis=0))
        norm = np.maximum(np.linalg.norm(acc, axis=1), 1e-300)
        nk = acc / norm[:, None]
        Pk = (np.eye(3)[None] - np.einsum("mi,mj->mij", nk, nk)) / norm[:, None, None]
        S1, S2 = _skew(e1), _skew(e2)
        D = np.stack([S2 - S1, -S2, S1], axis=1) * self.m_sign[:, None, None, None]  # dc_f/dC_j
        # block (corner k of f, corner j of f): P_k D_j
        blocks = np.einsum("fkil,fjlm->fkjim", Pk[corners], D)  # (nfm, 3 k, 3 j, 3, 3)
        r = np.broadcast_to((3 * corners[:, :, None, None, None] + np.arange(3)[:, None]),
                            blocks.shape)  # fmt: skip
        col = np.broadcast_to(3 * corners[:, None, :, None, None] + np.arange(3), blocks.shape)
        N = 3 * len(self.X)
        return sp.csr_matrix((blocks.ravel(), (r.ravel(), col.ravel())), shape=(N, N))

    def _projection_derivative(self, ev: _Evaluation, act: np.ndarray):
        """Derivatives, at the points ``act``, of the barycentric coordinates ``L`` of the
        closest point on the flat master facet and of the facet's unit normal ``n_f``, with
        respect to the point's nodes (slave nodes, then the master facet's, as in
        :meth:`_active`): ``dL`` (na, 3 k, nn, 3) and ``dn_f`` (na, 3 i, nn, 3).

        Closest point inside the facet: ``x_s = sum_j L_j C_j + h n_f``, so ``dL_k = G_k .
        (dx_s - sum_j L_j dC_j - h dn_f)`` (``G_k``: the barycentric gradients in the facet's
        plane).  On the edge ``C_i C_j`` (``L = (1 - t, t)`` there), ``t = (x_s - C_i) . e /
        |e|^2`` with ``e = C_j - C_i``: ``dt = ((dx_s - dC_i) . e + (r - t e) . de) / |e|^2``,
        ``r = x_s - C_i - t e``.  On a corner ``L`` is fixed."""
        na = act.size
        ns = self.Ns.shape[1]
        nn = ns + self.m_nodes.shape[1]
        q = act % self.W.shape[1]  # quadrature point of each active point on its facet
        xs = ev.xs[act]
        Cm = self._nodes_current()[self.m_nodes[ev.master[act], :3]]  # (na, 3, 3)
        L = ev.bary[act]
        n_f = ev.facet_normal[act]
        dn_f = np.zeros((na, 3, nn, 3))
        dn_f[:, :, ns : ns + 3, :] = _normal_derivative(Cm, n_f).transpose(0, 2, 1, 3)
        # d(x_s) / du_c (slave nodes), d(y)/du_c = -L_j (corners): the relative motion
        rel = np.zeros((na, nn))
        rel[:, :ns] = self.Ns[q]
        rel[:, ns : ns + 3] = -L
        dL = np.zeros((na, 3, nn, 3))
        zero = L == 0.0
        inside = ~zero.any(axis=1)
        if inside.any():
            G = _barycentric_gradients(Cm[inside])  # (m, 3 k, 3 i)
            y = np.einsum("qj,qji->qi", L[inside], Cm[inside])
            h = np.einsum("qi,qi->q", xs[inside] - y, n_f[inside])
            dL[inside] = np.einsum("qki,qc->qkci", G, rel[inside])
            dL[inside] -= np.einsum("q,qki,qicj->qkcj", h, G, dn_f[inside])
        edge = zero.sum(axis=1) == 1
        for k_zero in range(3):
            sel = np.nonzero(edge & zero[:, k_zero])[0]
            if sel.size == 0:
                continue
            i, j = [k for k in range(3) if k != k_zero]
            Ci, Cj = Cm[sel, i], Cm[sel, j]
            e = Cj - Ci
            ee = np.einsum("qi,qi->q", e, e)
            t = L[sel, j]
            r = xs[sel] - Ci - t[:, None] * e
            dt = np.zeros((sel.size, nn, 3))
            dt[:, :ns] = self.Ns[q[sel]][:, :, None] * e[:, None, :]
            dt[:, ns + i] = -e - (r - t[:, None] * e)
            dt[:, ns + j] = r - t[:, None] * e
            dt /= ee[:, None, None]
            dL[sel, j] = dt
            dL[sel, i] = -dt
        return dL, dn_f

    def coupling_pattern(self) -> tuple[np.ndarray, np.ndarray]:
        """Unrolled (row, col) displacement dofs, both orderings, of the slave-master facet
        pairs that may interact in the next solve: slave facets with a quadrature point
        closer than ``pattern_gap_mm`` to the master (current configuration), each with the
        master facets within ``search_radius_mm`` + half a facet of its projection and the
        friction's anchor, and (smooth normals) the facets around their corners."""
        import scipy.sparse as sp

        ev = self.evaluate()
        near = ev.valid.ravel() & (ev.gap.ravel() < self.pattern_gap)
        q = np.nonzero(near)[0]
        if q.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        x = self._nodes_current()
        cm = x[self.m_nodes[:, :3]].mean(axis=1)
        xm = ev.xs[q] - ev.gap.ravel()[q, None] * ev.normal[q]
        r = self.search_radius + 0.5 * self.h_master
        pairs = self._KDTree(xm).query_ball_tree(self._KDTree(cm), r)
        fq = q // self.W.shape[1]
        fs = np.repeat(fq, [len(p) for p in pairs])
        fm = np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs] + [np.zeros(0, int)])
        qs = np.concatenate([np.repeat(q, [len(p) for p in pairs]), q])  # each pair's point
        fs = np.concatenate([fs, fq])  # always the facet projected on
        fm = np.concatenate([fm, ev.master[q]])
        anchor_pairs = np.zeros((0, 2), dtype=np.int64)
        if self.friction is not None:  # the friction's anchor, and with the facets near
            anchor = self.friction.facet  # (its slip in dp: a dg)
            anchor_pairs = np.stack([anchor[qs], fm], axis=1)
            fs = np.concatenate([fs, fq])
            fm = np.concatenate([fm, anchor[q]])
        pairs_mm = anchor_pairs
        if self.smooth_normals:  # the corner normals couple the facets around the corners
            ring = self._master_ring()
            fm_u = np.unique(fm)
            sub = ring[fm_u].tocoo()
            pairs_mm = np.stack([fm_u[sub.row], sub.col], axis=1)
            if len(anchor_pairs):
                sub = (sp.csr_matrix((np.ones(len(anchor_pairs)), tuple(anchor_pairs.T)),
                                     shape=ring.shape) @ ring).tocoo()  # fmt: skip
                pairs_mm = np.concatenate([pairs_mm, np.stack([sub.row, sub.col], axis=1)])
            near_pairs = sp.csr_matrix(
                (np.ones(len(fs)), (fs, fm)), shape=(len(self.s_nodes), len(cm))
            )
            near_pairs = (near_pairs @ ring).tocoo()
            fs, fm = near_pairs.row.astype(np.int64), near_pairs.col.astype(np.int64)
        fs, fm = np.divmod(np.unique(fs * len(cm) + fm), len(cm))
        a = np.concatenate([self.s_nodes[fs][:, :, None], self.m_nodes[pairs_mm[:, 0]][:, :, None]])
        b = np.concatenate([self.m_nodes[fm][:, None, :], self.m_nodes[pairs_mm[:, 1]][:, None, :]])
        a = np.broadcast_to(a, (len(a), a.shape[1], b.shape[2]))
        b = np.broadcast_to(b, a.shape)
        node_pairs = np.unique(np.stack([a.ravel(), b.ravel()], axis=1), axis=0)
        comp = np.arange(3)
        rows = (3 * node_pairs[:, 0, None, None] + comp[:, None]).repeat(3, axis=2).ravel()
        cols = (3 * node_pairs[:, 1, None, None] + comp[None, :]).repeat(3, axis=1).ravel()
        g = self.dofs.ravel()
        return g[np.concatenate([rows, cols])], g[np.concatenate([cols, rows])]
