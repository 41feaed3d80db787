"""Validation: footsim's results against measurements on feet, as a report anyone can re-run.

Each :class:`~footsim.validate.cases.Case` names the shipped scenarios it runs and the
published measurements it is compared with (:mod:`footsim.validate.evidence`: study, sample,
instrument, mean ± SD); :mod:`footsim.validate.quantities` reads the model's figure from the
result files as the instrument would see it; :mod:`footsim.validate.verdicts` says *within*,
*near*, *outside* or *opposite sign*; :func:`~footsim.validate.suite.validate` runs it all
(cached, in parallel) and :mod:`footsim.validate.report` writes the Markdown and HTML report.
"""

from footsim._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "evidence": ["Measurement", "Study"],
        "cases": ["CASES", "Case", "Comparison", "case_names"],
        "verdicts": ["Verdict", "verdict"],
        "suite": ["ValidationError", "validate"],
        "report": ["write_report"],
    },
)
