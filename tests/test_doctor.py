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


def test_interrupted_compilations_are_found(tmp_path):
    """A ``.c`` without its ``.c.cached`` (a compile that was killed) older than ten minutes
    is reported; a finished one, or one still being compiled, is not."""
    import os

    killed = tmp_path / "libffcx_forms_dead.c"
    done = tmp_path / "libffcx_forms_done.c"
    running = tmp_path / "libffcx_forms_running.c"
    for path in (killed, done, running):
        path.write_text("/* source */")
    (tmp_path / "libffcx_forms_done.c.cached").write_text("")
    now = killed.stat().st_mtime + 3600.0
    os.utime(running, (now - 5.0, now - 5.0))
    assert doctor.stale_jit_sources(tmp_path, now=now) == [killed]
