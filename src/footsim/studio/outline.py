"""The plantar outline a designer places the pad on: the forefoot seen from below as a pressure
platform shows a right foot (toes up, medial left; :func:`footsim.post.plotting.common.
_platform_view`), drawn as SVG with the metatarsals, the heads, the insole and the pad's
footprint, and the map from a pointer position (px) back to the ground plane (mm).

The picture is drawn from the design's own anatomy (heel applied, as the mesher does), so a
longer second metatarsal or a thinner pad moves what the designer sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from footsim.model.anatomy import Anatomy
from footsim.model.footwear import Footwear, MetatarsalPad

WIDTH_PX = 360
"""Width of the drawing (px); its height follows the forefoot's aspect."""

MARGIN_MM = 14.0
"""Room around the insole's outline (mm)."""


@dataclass(frozen=True)
class Frame:
    """The drawing's frame: ground-plane box (mm) and scale (px per mm). Pixel x runs with
    ground y (medial to lateral), pixel y against ground x (toes up)."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float
    px_per_mm: float

    @classmethod
    def around(cls, anatomy: Anatomy, footwear: Footwear, width_px: int = WIDTH_PX) -> Frame:
        x0, x1, y0, y1 = anatomy.envelope_box_mm()
        m = MARGIN_MM + (footwear.insole.margin_mm if footwear.insole else 0.0)
        return cls(x0 - m, x1 + m, y0 - m, y1 + m, width_px / (y1 - y0 + 2 * m))

    @property
    def size_px(self) -> tuple[int, int]:
        """(width, height) of the drawing (px)."""
        s = self.px_per_mm
        return round((self.y_max - self.y_min) * s), round((self.x_max - self.x_min) * s)

    def to_px(self, x_mm, y_mm) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (from the top left) of ground-plane points (mm)."""
        s = self.px_per_mm
        return (np.asarray(y_mm) - self.y_min) * s, (self.x_max - np.asarray(x_mm)) * s

    def to_mm(self, u_px, v_px) -> tuple[np.ndarray, np.ndarray]:
        """Ground-plane (x, y) in mm of pixel coordinates: the inverse of :meth:`to_px`."""
        s = self.px_per_mm
        return self.x_max - np.asarray(v_px) / s, self.y_min + np.asarray(u_px) / s


def pad_outline_mm(pad: MetatarsalPad, anatomy: Anatomy, n: int = 72) -> np.ndarray:
    """(n, 2) ground-plane points (mm) around the pad's footprint: the ellipse (dome) or the
    two half-ellipses (teardrop) where its surface meets the insole."""
    ax, ay = pad.apex_xy(anatomy)
    prox, dist = pad.semi_lengths_mm()
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    a = np.where(np.cos(t) >= 0.0, dist, prox)
    return np.column_stack([ax + a * np.cos(t), ay + 0.5 * pad.width_mm * np.sin(t)])


def _path(frame: Frame, points_mm: np.ndarray, closed: bool = True) -> str:
    u, v = frame.to_px(points_mm[:, 0], points_mm[:, 1])
    head = f"M{u[0]:.1f},{v[0]:.1f}"
    body = "".join(f"L{a:.1f},{b:.1f}" for a, b in zip(u[1:], v[1:], strict=True))
    return head + body + ("Z" if closed else "")


def _rect(frame: Frame, x0, x1, y0, y1, radius_mm: float, **style) -> str:
    u0, v0 = frame.to_px(x1, y0)
    u1, v1 = frame.to_px(x0, y1)
    r = radius_mm * frame.px_per_mm
    attrs = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in style.items())
    return (
        f'<rect x="{u0:.1f}" y="{v0:.1f}" width="{u1 - u0:.1f}" height="{v1 - v0:.1f}" '
        f'rx="{r:.1f}" {attrs}/>'
    )


def svg(anatomy: Anatomy, footwear: Footwear, frame: Frame | None = None) -> str:
    """The outline as an SVG document: insole (grey), soft-tissue envelope (skin), shafts and
    heads (bone, labelled 1-5), the pad's footprint (green) and its apex (a cross)."""
    frame = frame or Frame.around(anatomy, footwear)
    w, h = frame.size_px
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
        f'style="display:block;background:#fafafa">'  # scales with its box; the aspect stays
    ]
    x0, x1, y0, y1 = anatomy.envelope_box_mm()
    if footwear.insole is not None:
        m = footwear.insole.margin_mm
        parts.append(
            _rect(frame, x0 - m, x1 + m, y0 - m, y1 + m, 4.0, fill="#d9d9d9", stroke="#999")
        )
    parts.append(_rect(frame, x0, x1, y0, y1, 12.0, fill="#f6d7c3", stroke="#c98c6b"))
    centres, radii = anatomy.head_centres(), anatomy.head_radii()
    bases = anatomy.bases_xy_mm()
    for ray in range(5):  # the shaft from the cut (where the model starts) to the head
        t = (x0 - bases[ray, 0]) / (centres[ray, 0] - bases[ray, 0])
        start = bases[ray] + max(t, 0.0) * (centres[ray, :2] - bases[ray])
        bu, bv = frame.to_px(start[0], start[1])
        hu, hv = frame.to_px(centres[ray, 0], centres[ray, 1])
        width = 2 * anatomy.shaft_radius_mm[ray] * frame.px_per_mm
        parts.append(
            f'<line x1="{bu:.1f}" y1="{bv:.1f}" x2="{hu:.1f}" y2="{hv:.1f}" '
            f'stroke="#d8ccb0" stroke-width="{width:.1f}" stroke-linecap="round"/>'
        )
    for ray in range(5):
        hu, hv = frame.to_px(centres[ray, 0], centres[ray, 1])
        r = radii[ray] * frame.px_per_mm
        parts.append(
            f'<circle cx="{hu:.1f}" cy="{hv:.1f}" r="{r:.1f}" fill="#e8dfc8" stroke="#8c7b55"/>'
            f'<text x="{hu:.1f}" y="{hv + 4:.1f}" font-size="11" text-anchor="middle" '
            f'fill="#5a4a2a" font-family="sans-serif">{ray + 1}</text>'
        )
    if footwear.pad is not None:
        outline = pad_outline_mm(footwear.pad, anatomy)
        parts.append(
            f'<path d="{_path(frame, outline)}" fill="#66a61e" fill-opacity="0.45" '
            f'stroke="#3d6b0f" stroke-width="1.5"/>'
        )
        au, av = frame.to_px(*footwear.pad.apex_xy(anatomy))
        parts.append(
            f'<path d="M{au - 6:.1f},{av:.1f}H{au + 6:.1f}M{au:.1f},{av - 6:.1f}V{av + 6:.1f}" '
            f'stroke="#1b3a05" stroke-width="2"/>'
        )
    parts.append(
        f'<text x="6" y="{h - 6}" font-size="11" fill="#555" font-family="sans-serif">'
        "medial | toes up | seen from below</text></svg>"
    )
    return "".join(parts)


def pad_position_at(
    anatomy: Anatomy, frame: Frame, u_px: float, v_px: float
) -> tuple[float, float]:
    """The pad's (apex proximal to the MTH2-3 midpoint, apex y), in mm to 0.5 mm, for a pointer
    at pixel (u, v) of the drawing: what dragging the apex there means."""
    x, y = frame.to_mm(u_px, v_px)
    c = anatomy.head_centres()
    mid_x = 0.5 * (c[1][0] + c[2][0])
    return round(2.0 * float(mid_x - x)) / 2.0, round(2.0 * float(y)) / 2.0
