"""The named materials of the forefoot and the footwear with their sources, the registry a
scenario picks from, and the default material of every volume (MPa).
"""

from __future__ import annotations

from collections.abc import Mapping

from footsim.mesh import tags
from footsim.physics.materials.laws import (
    FibreReinforced,
    Hyperfoam,
    Material,
    NeoHookean,
    Ogden,
    Polynomial,
)

# --------------------------------------------------------------------------------------------
# Kinematics helpers (UFL)
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

#: Bone (cortical/trabecular homogenised): E 7300 MPa, nu 0.3 (Cheung et al. 2005 after
#: Nakamura et al. 1981); compressible neo-Hookean with the same small-strain constants.
BONE = NeoHookean(name="bone", E=7300.0, nu=0.3)


#: Cortical bone, the wall of the shafts' cortical tubes (``Anatomy.cortical_tube``): E 17 000
#: MPa, the longitudinal Young's modulus of human cortical bone (femoral diaphysis, 17.0 GPa
#: in tension; Reilly & Burstein 1975, J Biomech 8:393), nu 0.3 as :data:`BONE`. Isotropic:
#: it also takes 17 GPa across the shaft, where Reilly & Burstein measured 11.5 GPa, which
#: matters little for a tube in bending (its longitudinal strains carry the bending); the
#: metatarsal's own cortical modulus is not measured here (ASSUMPTION: femoral cortex). The
#: head keeps :data:`BONE`, the homogenised value.
CORTICAL_BONE = NeoHookean(name="cortical_bone", E=17000.0, nu=0.3)


#: Near-rigid bone: 100 x the modulus of :data:`BONE`. The optional rigid treatment of the
#: bones (Cheung et al. 2005 modelled them deformable; many forefoot models, e.g. Chen et al.
#: 2010, Comput Methods Biomech Biomed Engin 13:183, take them rigid): a metatarsal then
#: bends 100 times less under the same load (a 40 mm shaft cantilevered from the cut plane
#: deflects ~2 mm at push-off with :data:`BONE`, ~0.02 mm with this). A stiff material rather
#: than a kinematic constraint, so the mesh, tags and solver stay the same; the direct solver
#: copes with the 10^7 modulus ratio to the fat pad.
BONE_RIGID = NeoHookean(name="bone_rigid", E=100 * 7300.0, nu=0.3)


#: Encapsulated plantar soft tissue, Lemmon et al. (1997) / Cheung et al. (2005).
SOFT_TISSUE = Polynomial(name="soft_tissue")


#: Neo-Hookean soft tissue with the small-strain constants of :data:`SOFT_TISSUE`
#: (mu0 = 0.0543 MPa, K = 0.5475 MPa -> E0 = 0.157 MPa, nu0 = 0.452).
SOFT_TISSUE_NEOHOOKEAN = NeoHookean(
    name="soft_tissue_neohookean",
    E=9 * (2 / 3.65273) * 0.0543 / (3 * (2 / 3.65273) + 0.0543),
    nu=(3 * (2 / 3.65273) - 2 * 0.0543) / (2 * (3 * (2 / 3.65273) + 0.0543)),
)


#: One-term Ogden plantar soft tissue of Petre et al. (2013).
SOFT_TISSUE_OGDEN = Ogden(name="soft_tissue_ogden")


#: Plantar skin (epidermis + dermis; used when the anatomy has a separate skin layer,
#: ``skin_thickness_mm`` > 0): isotropic neo-Hookean, E 12.8 MPa, nu 0.45. E is the lower
#: (mediolateral) tensile modulus of anterior plantar skin, 12.82 MPa (17.39 MPa
#: posterior-anterior; Fontanella et al. 2026, "Biomechanics of human plantar skin:
#: experimental and constitutive analysis", Univ. Padova, ex-vivo tensile and confined-
#: compression tests). Skin is anisotropic and much softer in compression than in tension;
#: an isotropic law with its tensile modulus captures the membrane effect (load spread along
#: the sole) and overstates the layer's compressive stiffness, which at 1.7 mm under 10 mm of
#: fat matters little. ASSUMPTION - vary it.
SKIN = NeoHookean(name="skin", E=12.8, nu=0.45)


#: Plantar plate (MTP joint fibrocartilage). No validated continuum law exists for the human
#: plantar plate; we use an isotropic neo-Hookean with E = 10 MPa, nu = 0.4: between the
#: cartilage (E 1 MPa, nu 0.4) and ligament (E 260 MPa, tension only) values of Cheung et al.
#: (2005), i.e. much stiffer than the fat pad but far softer than its tensile (fibre) modulus,
#: as an isotropic solid in mixed tension/compression must be. ASSUMPTION - vary it.
PLANTAR_PLATE = NeoHookean(name="plantar_plate", E=10.0, nu=0.4)


#: Plantar plate with its longitudinal collagen: the isotropic plate above as the matrix and
#: one tension-only fibre family along ``x`` (the plates run proximal-distal under the heads,
#: along the rays' direction in the sole's plane: the plate boxes of
#: :meth:`~footsim.model.anatomy.Anatomy.plate_boxes` are built along ``x``) with the ligament
#: modulus of Cheung et al. (2005), E 260 MPa, tension only. ASSUMPTION - the fibre modulus
#: of the human plantar plate as a continuum is not measured; vary it. Opt in with
#: ``[materials] PLATES = "plantar_plate_fibres"``.
PLANTAR_PLATE_FIBRES = FibreReinforced(
    name="plantar_plate_fibres", E=10.0, nu=0.4, E_fibre=260.0, fibre_direction=(1.0, 0.0, 0.0)
)


#: Soft insole (PORON-like microcellular polyurethane): E 0.3 MPa (Cheung & Zhang 2005,
#: "soft" insole), nu 0.1 (foam; ILLUSTRATIVE), alpha 2 (ILLUSTRATIVE).
PORON = Hyperfoam.from_E("poron", E=0.3, nu=0.1, alpha=2.0)


#: Polyurethane foam insole: E 1.0 MPa (ILLUSTRATIVE, between Cheung & Zhang's 2005 soft
#: (0.3) and EVA), nu 0.2, alpha 4 (stiffening in compression). ILLUSTRATIVE.
POLYURETHANE = Hyperfoam.from_E("polyurethane", E=1.0, nu=0.2, alpha=4.0)


#: EVA midsole/insole foam: E 2.0 MPa (order of magnitude of the EVA midsole foams tested by
#: Verdejo & Mills 2004, initial modulus 1-4 MPa), nu 0.1, alpha 4. ILLUSTRATIVE fit.
EVA = Hyperfoam.from_E("eva", E=2.0, nu=0.1, alpha=4.0)


#: "Rigid" insole: E 1000 MPa, nu 0.3 (Cheung & Zhang 2005), compressible neo-Hookean.
RIGID_INSOLE = NeoHookean(name="rigid", E=1000.0, nu=0.3)


#: Metatarsal pad: by default the soft PORON-like foam (E 0.3 MPa); override by name.
PAD = Hyperfoam.from_E("pad", E=0.3, nu=0.1, alpha=2.0)


#: Every named material, by its name: what a scenario's ``[materials]`` table picks from.
MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        BONE,
        CORTICAL_BONE,
        BONE_RIGID,
        SOFT_TISSUE,
        SOFT_TISSUE_NEOHOOKEAN,
        SOFT_TISSUE_OGDEN,
        PLANTAR_PLATE,
        PLANTAR_PLATE_FIBRES,
        SKIN,
        PORON,
        POLYURETHANE,
        EVA,
        RIGID_INSOLE,
        PAD,
    )
}


def default_assignment() -> dict[tags.Volume, str]:
    """Default material name of every volume tag. Without a skin layer (the default anatomy)
    the skin is part of the encapsulated soft tissue, as in Cheung et al. 2005, where skin
    and fat are one bulk tissue; a separate skin layer (``Anatomy.skin_thickness_mm``) gets
    :data:`SKIN`, and the cortical tubes of the shafts (``Anatomy.cortical_tube``)
    :data:`CORTICAL_BONE`."""
    out: dict[tags.Volume, str] = {}
    for v in tags.RIGIDISH:
        out[v] = BONE.name
    for v in tags.CORTICES:
        out[v] = CORTICAL_BONE.name
    for v in tags.PLATES:
        out[v] = PLANTAR_PLATE.name
    out[tags.Volume.SOFT_TISSUE] = SOFT_TISSUE.name
    out[tags.Volume.SKIN] = SKIN.name
    out[tags.Volume.INSOLE] = EVA.name
    out[tags.Volume.PAD] = PAD.name
    return out


def resolve(
    overrides: Mapping[int, str | Material] | None = None,
    registry: Mapping[str, Material] | None = None,
) -> dict[int, Material]:
    """Material object of every volume tag: :func:`default_assignment` updated by
    ``overrides`` (tag -> registry name or :class:`Material` instance)."""
    reg = MATERIALS if registry is None else registry
    names: dict[int, str | Material] = {int(k): v for k, v in default_assignment().items()}
    if overrides:
        names.update({int(k): v for k, v in overrides.items()})
    out: dict[int, Material] = {}
    for tag, m in names.items():
        if isinstance(m, Material):
            out[tag] = m
        elif m in reg:
            out[tag] = reg[m]
        else:
            raise KeyError(f"unknown material {m!r} for tag {tag}; known: {sorted(reg)}")
    return out
