"""Published measurements: who measured what, on whom, with which instrument, and its spread.

A :class:`Study` is the citation and the sample; a :class:`Measurement` is one figure of it:
a mean with its standard deviation (a magnitude), or only a sign (an intervention study that
reports the direction of a change, or a pattern such as "MTH2 above MTH1"). Figures are copied
from the papers' abstracts or tables as published; none is derived from footsim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Study:
    """One published study: ``cite`` (authors year, journal volume:page), the sample ``n``
    (subjects, or feet where the paper counts feet), the instrument and the condition."""

    cite: str
    n: str
    instrument: str
    condition: str

    def short(self) -> str:
        """First author and year as cited in text (``Putti et al. 2008``, ``Hennig & Milani
        1993``, ``Cavanagh 1999``), from :attr:`cite` (authors, then the year)."""
        year = re.search(r"\b(?:19|20)\d\d\b", self.cite)
        if year is None:
            return self.cite.split(",")[0]
        names = [a.strip() for a in re.split(r",|&", self.cite[: year.start()]) if a.strip()]
        names = [a.removesuffix(" et al.").strip() for a in names]
        who = names[0] if len(names) < 3 else f"{names[0]} et al."
        if len(names) == 2:
            who = f"{names[0]} & {names[1]}"
        return f"{who} {year.group(0)}"


@dataclass(frozen=True)
class Measurement:
    """A measured figure (unit in :attr:`unit`) and how it was published.

    ``kind``: ``"magnitude"`` (``mean`` ± ``sd``; ``sd`` None when the paper gives none),
    ``"sign"`` (only the direction: ``mean`` is +1 or -1). ``note`` says how the figure was
    read from the paper (e.g. "from the paper's Table 2", "abstract").
    """

    study: Study
    mean: float
    sd: float | None
    unit: str
    kind: Literal["magnitude", "sign"] = "magnitude"
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind == "sign" and self.mean not in (1.0, -1.0):
            raise ValueError(f"a sign measurement has mean +1 or -1, not {self.mean}")
        if self.sd is not None and self.sd < 0.0:
            raise ValueError(f"sd = {self.sd} must be >= 0")

    def text(self) -> str:
        """The measurement as the report prints it."""
        if self.kind == "sign":
            return "positive" if self.mean > 0 else "negative"
        if self.sd is None:
            return f"{self.mean:.4g} {self.unit}"
        return f"{self.mean:.4g} ± {self.sd:.3g} {self.unit}"
