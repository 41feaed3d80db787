"""After the solve: fields and regional figures written to a run folder, read back as a
:class:`Result`, and the pictures and reports drawn from it (pressures in kPa)."""

from footsim._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "results": [
            "REGIONS",
            "Result",
            "load",
            "metatarsal_bending",
            "region_table",
            "shaft_strain",
        ],
        "fields": ["export", "gather_fields"],
        "table": ["figures", "format_record"],
        "report": ["html_report"],
    },
)
