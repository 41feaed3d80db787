"""Versions of what a cached mesh or result depends on.

A run folder and a mesh folder are named by a hash of their parameters and of these versions
(:meth:`footsim.model.scenarios.Scenario.content_hash`, :func:`footsim.mesh.geometry.
params_dict`): bump the narrowest version that covers a change of the code that changes the
numbers, so that exactly the affected cached runs are solved again and the rest are reused.
What each bump changed is in CHANGELOG.md.
"""

#: Every cached result at once: bump to solve everything again (the finer versions below
#: each invalidate a part). Independent of the package version, so that a release that does
#: not change the numbers keeps its users' cached runs.
RESULTS_EPOCH = "0.1.0"

#: The model as a whole (geometry construction, material laws, solver choices).
MODEL_VERSION = "3"

#: The mesh: the geometry's construction and its tags (part of every mesh hash; bump
#: :data:`MODEL_VERSION` with it, cached results depend on the mesh).
GEOMETRY_VERSION = "4"

#: Foot-footwear (two-body) contact: part of the hash of scenarios with an insole only.
BODY_CONTACT_VERSION = "1"

#: The metatarsal pad's shape: part of the hash of scenarios with a pad only.
PAD_SHAPE_VERSION = "2"

#: Foot-ground (rigid obstacle) contact: part of the hash of scenarios without an insole only.
GROUND_CONTACT_VERSION = "2"

#: Morton's foot geometry (how ``mt2_extra_length_mm`` moves MTH2): part of the mesh hash and
#: the result hash of anatomies whose MT2 is longer or shorter than its default only.
MT2_LENGTH_VERSION = "2"
