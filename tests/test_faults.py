"""Fault injection: ``kill -9`` in every phase of a run and at random moments of a sweep, two
runs of one scenario at once, a full disk. After each, the rerun completes, every finished run
is intact and identical to an undisturbed one, and no folder is marked done that is not.

The default tests drive the real command line, lock, staging, mesh (coarse, gmsh) and commit
with a stand-in solve of a second or two (``_fault_runs.py``); the ``slow`` ones kill real
solves.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import footsim  # noqa: F401
from _helpers import sweep_command, write_mass_sweep
from footsim.post import results

HERE = Path(__file__).parent
SCENARIO = '[load]\ncase = "standing"\n[mesh]\npreset = "coarse"\n'
VOLATILE = {"wall_time_s", "timings_s", "traceback"}  # the clock, not the result


def _env(tmp_path, meshes):
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(HERE), e.get("PYTHONPATH", "")])
    e["FOOTSIM_MESH_DIR"] = str(meshes)
    e["FOOTSIM_TEST_PHASES"] = str(tmp_path / "phases")
    e["FOOTSIM_TEST_CALLS"] = str(tmp_path / "calls")
    e["FOOTSIM_TEST_SCENARIO"] = str(tmp_path / "s.toml")
    (tmp_path / "s.toml").write_text(SCENARIO)
    return e


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """An undisturbed run (its folder's name and content) and the mesh cache it filled."""
    tmp = tmp_path_factory.mktemp("reference")
    e = _env(tmp, tmp / "meshes")
    _run(e, tmp / "results")
    (folder,) = [p for p in (tmp / "results").iterdir() if not p.name.startswith(".")]
    return tmp / "meshes", folder.name, _content(folder)


@pytest.fixture
def env(tmp_path, shared):
    return _env(tmp_path, shared[0])


@pytest.fixture
def reference(shared):
    return shared[1:]


def _cmd(*args):
    return [sys.executable, str(HERE / "_fault_runs.py"), *map(str, args)]


def _phases(env) -> list[str]:
    path = Path(env["FOOTSIM_TEST_PHASES"])
    return path.read_text().split() if path.exists() else []


def _start(cmd, env) -> subprocess.Popen:
    """Start ``cmd`` silently in its own session (so that killing it kills its children)."""
    return subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_when(proc, ready, timeout=120.0) -> None:
    """``kill -9`` ``proc``'s process group as soon as ``ready()`` holds."""
    deadline = time.time() + timeout
    while time.time() < deadline and not ready():
        assert proc.poll() is None, "the run ended before the fault"
        time.sleep(0.005)
    assert ready(), "the phase never came"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _content(folder: Path) -> dict[str, object]:
    """A run folder as comparable data: every file's bytes, the summary without timings."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.name == "summary.json":
            summary = json.loads(path.read_text())
            summary.get("figures", {}).pop("wall_time_s", None)
            if "mesh" in summary:  # the mesh by its hash, wherever the cache is
                summary["mesh"]["folder"] = Path(summary["mesh"]["folder"]).name
            out[path.name] = {k: v for k, v in summary.items() if k not in VOLATILE}
        elif path.is_file():
            out[str(path.relative_to(folder))] = path.read_bytes()
    return out


def _check_root(root: Path) -> None:
    """No staging left; every folder with a summary is complete and says what it is."""
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")], list(root.iterdir())
    for folder in root.iterdir():
        if folder.is_dir() and not folder.name.startswith("."):
            summary = results.read_summary(folder)
            assert summary is not None, f"{folder}: a folder without summary"
            if summary["status"] == "done":
                for name in ("scenario.toml", "plantar.vtu", "volume.vtu", "regions.csv"):
                    assert (folder / name).stat().st_size > 0, (folder, name)


def _run(env, root, *extra, check=True):
    done = subprocess.run(
        _cmd("run", env["FOOTSIM_TEST_SCENARIO"], "-o", root, "--no-png", *extra),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def _mesh_staging(env) -> list[Path]:
    meshes = Path(env["FOOTSIM_MESH_DIR"])
    return [p for p in meshes.iterdir() if p.name.endswith(".tmp")] if meshes.exists() else []


@pytest.mark.parametrize("when", ["meshing", "solving", "writing"])
def test_killed_run_reruns_to_the_same_result(tmp_path, env, reference, when):
    name, expected = reference
    root = tmp_path / "results"
    if when == "meshing":  # a mesh not built yet: kill gmsh at work
        env["FOOTSIM_MESH_DIR"] = str(tmp_path / "fresh-meshes")
    ready = {
        "meshing": lambda: bool(_mesh_staging(env)),
        "solving": lambda: "solve" in _phases(env),
        "writing": lambda: (
            "write" in _phases(env)
            and any((p / "plantar.vtu").exists() for p in root.glob(".*.tmp"))
        ),
    }[when]
    proc = _start(_cmd("run", tmp_path / "s.toml", "-o", root, "--no-png"), env)
    _kill_when(proc, ready)
    assert not (root / name).exists(), "a killed run left a folder under its final name"
    assert [p for p in root.glob(".*.tmp")] or when == "meshing"
    rerun = _run(env, root)
    assert "done" in rerun.stdout and "(cached)" not in rerun.stdout
    _check_root(root)
    assert _content(root / name) == expected
    assert not _mesh_staging(env), "the killed mesh build's staging folder is still there"
    assert len(list(Path(env["FOOTSIM_MESH_DIR"]).glob("[0-9a-f]*"))) == 1


def test_two_runs_of_one_scenario_at_once(tmp_path, env, reference):
    """The second waits for the first and reuses its result: one solve, one intact folder."""
    name, expected = reference
    root = tmp_path / "results"
    env["FOOTSIM_TEST_SOLVE_S"] = "2.0"
    args = _cmd("run", tmp_path / "s.toml", "-o", root, "--no-png")
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while "solve" not in _phases(env):
        time.sleep(0.01)
    second = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out1, _ = first.communicate(timeout=300)
    out2, err2 = second.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, err2
    assert _phases(env).count("solve") == 1
    assert "waiting for it to finish" in err2.decode()
    assert "(cached)" in out2.decode() and "(cached)" not in out1.decode()
    _check_root(root)
    assert _content(root / name) == expected


def test_stale_staging_is_cleaned_but_not_a_running_ones(tmp_path):
    from footsim import folders

    root = tmp_path / "results"
    stale = root / ".a-0123456789abcdef.k2x_9q.tmp"
    live = root / ".b-0123456789abcdef.zz81ab.tmp"
    old = root / ".a-0123456789abcdef.old-12345"
    for p in (stale, live, old):
        p.mkdir(parents=True)
        (p / "volume.vtu").write_text("half")
    (root / "table.csv.tmp").write_text("a file, not a staging folder")
    with folders.locked(root / "b-0123456789abcdef"):
        removed = folders.clean_stale(root)
    assert sorted(removed) == sorted([stale, old])
    assert live.exists() and (root / "table.csv.tmp").exists()


def test_commit_flushes_files_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(
        os, "replace", lambda a, b: events.append(("replace", Path(b).name)) or real_replace(a, b)
    )
    staging = results.staging_dir(tmp_path / "run")
    (staging / "volume.vtu").write_text("x")
    results.write_json_atomic(staging / "summary.json", {"status": "done"})
    assert events[0] == "fsync" and events[1] == ("replace", "summary.json")
    events.clear()
    results.commit(staging, tmp_path / "run")
    i = events.index(("replace", "run"))
    assert events[:i].count("fsync") >= 3  # both files and the folder, before the rename
    assert "fsync" in events[i + 1 :]  # and the rename itself
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o777 & ~umask


def _sweep_cmd(path, root):
    return sweep_command(path, root, "_fault_runs:piped", workers=2)


def test_sweep_killed_at_random_moments_resumes_to_the_same_table(tmp_path, env):
    masses = [50.0, 55.0, 60.0, 65.0, 70.0]
    path = write_mass_sweep(tmp_path, masses, base=SCENARIO)
    env["FOOTSIM_TEST_SOLVE_S"] = "0.5"
    undisturbed = subprocess.run(
        _sweep_cmd(path, tmp_path / "ref"), env=env, capture_output=True, text=True, timeout=600
    )
    assert undisturbed.returncode == 0, undisturbed.stderr
    ref_runs = tmp_path / "ref" / "mass" / "runs"
    expected = {p.name: _content(p) for p in ref_runs.iterdir() if not p.name.startswith(".")}
    assert len(expected) == len(masses)
    root = tmp_path / "r"
    rng = random.Random(36)
    for _ in range(2):
        proc = _start(_sweep_cmd(path, root), env)
        time.sleep(rng.uniform(1.5, 5.0))  # spawning the workers takes ~1 s
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the driver and both workers
        proc.wait()
        runs = root / "mass" / "runs"
        if runs.exists():  # whatever is marked done is complete and right
            for folder in runs.iterdir():  # hidden staging folders are not runs yet
                if not folder.name.startswith(".") and results.is_done(folder):
                    assert _content(folder) == expected[folder.name]
    final = subprocess.run(_sweep_cmd(path, root), env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    table = pd.read_csv(root / "mass" / "table.csv")
    assert (table["status"] == "done").all() and len(table) == len(masses)
    runs = root / "mass" / "runs"
    _check_root(runs)
    got = {p.name: _content(p) for p in runs.iterdir() if not p.name.startswith(".")}
    assert got == expected


def _tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root): {done.stderr.decode().strip()}")


@pytest.fixture
def small_disk(tmp_path):
    mounted = []

    def mount(size):
        path = tmp_path / f"disk-{size}"
        _tmpfs(path, size)
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", str(path)], check=False)


def test_full_disk_while_writing_fields(tmp_path, env, small_disk):
    """The fields do not fit: the run fails with the reason, nothing half-written is kept,
    the failure is transient (retried on the next run), and no folder says done."""
    root = small_disk("96k")
    env["FOOTSIM_TEST_WRITE_KB"] = "256"
    done = _run(env, root, check=False)
    assert done.returncode == 3, done.stderr
    assert "No space left on device" in done.stdout and "transient" in done.stdout
    _check_root(root)
    (folder,) = [p for p in root.iterdir() if not p.name.startswith(".")]
    assert sorted(p.name for p in folder.iterdir()) == ["scenario.toml", "summary.json"]
    assert results.read_summary(folder)["transient"] is True
    env["FOOTSIM_TEST_WRITE_KB"] = "8"  # space freed: the rerun retries and finishes
    again = _run(env, root)
    assert "done" in again.stdout and results.is_done(folder)


def test_full_disk_before_anything_fits(tmp_path, env, small_disk):
    root = small_disk("4k")
    done = _run(env, root, check=False)
    assert done.returncode == 1, done.stdout
    assert "no space left on the device" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not [p for p in root.iterdir() if not p.name.startswith(".")]
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


# --------------------------------------------------------------------- real solves (slow)


@pytest.mark.slow
@pytest.mark.parametrize("when", ["meshing", "solving", "writing"])
def test_killed_real_run_reruns_to_the_same_result(tmp_path, env, when):
    env["FOOTSIM_TEST_REAL"] = "1"
    root = tmp_path / "results"
    _run(env, tmp_path / "reference")
    (ref,) = [p for p in (tmp_path / "reference").iterdir() if not p.name.startswith(".")]
    if when == "meshing":
        env["FOOTSIM_MESH_DIR"] = str(tmp_path / "fresh-meshes")

    def staged(name):
        return any((p / name).exists() for p in root.glob(".*.tmp"))

    ready = {
        "meshing": lambda: bool(_mesh_staging(env)),
        "solving": lambda: staged("scenario.toml") and not staged("plantar.vtu"),
        "writing": lambda: staged("plantar.vtu"),
    }[when]
    proc = _start(_cmd("run", tmp_path / "s.toml", "-o", root, "--no-png"), env)
    _kill_when(proc, ready, timeout=600)
    assert not (root / ref.name).exists()
    _run(env, root)
    _check_root(root)
    assert _content(root / ref.name) == _content(ref)


@pytest.mark.slow
def test_full_disk_in_a_real_run(tmp_path, env, small_disk):
    env["FOOTSIM_TEST_REAL"] = "1"
    root = small_disk("256k")  # a coarse run writes ~0.9 MB
    done = _run(env, root, check=False)
    assert done.returncode in (1, 3), done.stderr
    assert "No space left on device" in done.stdout or "no space left" in done.stderr
    _check_root(root)
    assert not any(results.is_done(p) for p in root.iterdir())
