"""Contact between the plantar skin and what it stands on (scenario table ``[contact]``).

``ground_friction``: Coulomb's coefficient between the plantar skin and the rigid ground of a
barefoot scenario (:mod:`footsim.physics.contact.friction`); 0 is frictionless.
``insole_friction``: the same between the skin and the top of an insole and its pad
(:mod:`footsim.physics.contact.body_friction`; the insole's bottom is held on the shoe bed);
with an insole the ground's coefficient does not enter.

Source of the default: 0.46 ± 0.15, the mean coefficient of friction of normal, untreated
skin in vivo over six anatomical sites of ten subjects against five materials (aluminium,
nylon, silicone, cotton sock, Pelite; 0.37 ± 0.09 for nylon to 0.61 ± 0.21 for silicone):
Zhang & Mak 1999, Prosthet Orthot Int 23:135. Dry skin is "typically around 0.5" (Derler &
Gerhardt 2012, Tribol Lett 45:1, review); published foot models use 0.54 to 0.6 foot-insole.
Level walking needs far less (the ground's shear over its vertical force is about 0.1 at push-off:
0.10 BW anterior at 1.06 BW vertical, J Orthop Translat 2020, 27:139, Table 1), so the foot as
a whole does not slide; friction acts on how the pad spreads under the heads.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from footsim.model.schema import Frozen

#: Skin on ground, mean of the in-vivo measurements of Zhang & Mak 1999 (module docstring).
GROUND_FRICTION = 0.46

#: Skin on the insole's top and pad: frictionless unless the scenario sets it.
INSOLE_FRICTION = 0.0

#: Largest coefficient accepted: wet or sticky skin reaches about 1 and more (Derler &
#: Gerhardt 2012); beyond 2 the contact sticks everywhere in any foot load.
MAX_FRICTION = 2.0


class ContactSpec(Frozen):
    """Friction of the plantar skin (see the module docstring for the sources)."""

    _added_fields: ClassVar[tuple[str, ...]] = ("insole_friction",)

    ground_friction: float = Field(
        GROUND_FRICTION,
        ge=0.0,
        le=MAX_FRICTION,
        description="Coulomb coefficient skin-ground, barefoot (0: frictionless); 0.46 ± 0.15 "
        "in vivo (Zhang & Mak 1999, Prosthet Orthot Int 23:135)",
    )
    insole_friction: float = Field(
        INSOLE_FRICTION,
        ge=0.0,
        le=MAX_FRICTION,
        description="Coulomb coefficient skin-insole top and pad (0: frictionless)",
    )
