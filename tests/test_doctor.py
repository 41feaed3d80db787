"""footsim doctor: every check passes on a supported machine, and a failure is reported."""

import subprocess
import sys

from footsim.cli import doctor


def test_all_checks_pass_and_mumps_is_available():
    checks = doctor.run_checks()
    failed = [c for c in checks if not c.ok]
    assert not failed, doctor.report(failed)
    assert "mumps" in doctor.petsc_direct_solvers()
    names = {c.name for c in checks}
    assert {"dolfinx", "PETSc", "gmsh", "form JIT", "off-screen rendering"} <= names


def test_failed_check_gives_one_line_reason():
    def broken() -> str:
        raise RuntimeError("no compiler\nsecond line")

    check = doctor._guard("form JIT", broken)
    assert not check.ok
    assert check.detail == "RuntimeError: no compiler"
    assert "FAIL" in doctor.report([check])


def test_cli_doctor_exits_zero():
    proc = subprocess.run(
        [sys.executable, "-m", "footsim", "doctor"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "mumps" in proc.stdout
