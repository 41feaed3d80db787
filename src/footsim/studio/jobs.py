"""The studio's run queue: each run a worker process (:mod:`footsim.studio.worker`), at most
``workers`` at a time, followed on the app's event loop (asyncio), with progress and cancel.

A job is only a view of a run: the run itself goes through the pipeline of ``footsim run``
into an ordinary run folder under the results folder, found again by its hash (a design run
twice is not solved twice). Cancelling ends the worker (SIGTERM, then SIGKILL after
:data:`CANCEL_GRACE_S`); a worker that dies without its last report is a failed job with the
end of what it wrote to standard error.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from footsim import folders
from footsim.studio.worker import PREFIX

CANCEL_GRACE_S = 5.0
"""Seconds a cancelled worker has to remove its staging folder before it is killed."""


@dataclass
class Job:
    """One run the designer asked for. ``status``: queued, meshing, solving, cancelling, done,
    failed or cancelled; ``progress`` the share of the target force reached (0-1)."""

    id: int
    name: str
    folder: str = ""
    status: str = "queued"
    progress: float = 0.0
    message: str = "waiting for a worker"
    reason: str = ""
    cached: bool = False

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    def as_row(self) -> dict:
        """The job as the browser shows it (plain data)."""
        return asdict(self)


@dataclass
class Queue:
    """Runs scenarios (TOML text) into ``results`` with at most ``workers`` at a time.

    ``on_change(job)`` is called on the event loop whenever a job changes (to push it to the
    browser). ``python`` is the interpreter of the worker processes (this one by default)."""

    results: Path
    workers: int = 1
    on_change: Callable[[Job], None] = lambda job: None
    python: str = sys.executable
    jobs: dict[int, Job] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _procs: dict[int, asyncio.subprocess.Process] = field(default_factory=dict)
    _tasks: dict[int, asyncio.Task] = field(default_factory=dict)
    _slots: asyncio.Semaphore | None = None

    def submit(self, name: str, toml_text: str) -> Job:
        """Queue a run of the scenario ``toml_text``; returns its job (call on the loop)."""
        job = Job(next(self._ids), name)
        self.jobs[job.id] = job
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        self._tasks[job.id] = asyncio.get_running_loop().create_task(self._run(job, toml_text))
        self.on_change(job)
        return job

    def cancel(self, job_id: int) -> None:
        """Cancel a queued or running job (a finished one is left as it is)."""
        job = self.jobs.get(job_id)
        if job is None or job.finished:
            return
        proc = self._procs.get(job_id)
        if proc is None:  # still waiting for a slot
            self._tasks[job_id].cancel()
        else:
            job.status = "cancelling"
            self.on_change(job)
            asyncio.get_running_loop().create_task(self._stop(proc))

    async def _stop(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), CANCEL_GRACE_S)
        except TimeoutError:
            proc.kill()

    async def _run(self, job: Job, toml_text: str) -> None:
        try:
            async with self._slots:
                await self._work(job, toml_text)
        except asyncio.CancelledError:
            proc = self._procs.pop(job.id, None)
            if proc is not None:  # cancelled while the worker was starting
                await self._stop(proc)
            if not job.finished:  # (a finished job keeps its outcome)
                job.status, job.message = "cancelled", "cancelled before it finished"
                self.on_change(job)
        finally:
            self._tasks.pop(job.id, None)

    async def _work(self, job: Job, toml_text: str) -> None:
        job.status, job.message = "meshing", "meshing and setting up the solve"
        self.on_change(job)
        env = dict(os.environ, FOOTSIM_PROGRESS="0")
        proc = await asyncio.create_subprocess_exec(
            self.python,
            "-m",
            "footsim.studio.worker",
            str(self.results),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        self._procs[job.id] = proc
        proc.stdin.write(toml_text.encode())
        proc.stdin.close()
        tail: deque[str] = deque(maxlen=20)
        stderr = asyncio.get_running_loop().create_task(_collect(proc.stderr, tail))
        ended = False
        async for raw in proc.stdout:
            line = raw.decode(errors="replace")
            if line.startswith(PREFIX):
                ended |= self._event(job, json.loads(line[len(PREFIX) :]))
        await proc.wait()
        await stderr
        self._procs.pop(job.id, None)
        if job.status == "cancelling":
            folders.clean_stale(self.results)  # its staging folder, should SIGTERM not reach
            job.status, job.message = "cancelled", "cancelled; nothing of it was kept"
        elif not ended:
            job.status = "failed"
            job.reason = f"the run's process ended (exit {proc.returncode}): " + (
                tail[-1] if tail else "no message"
            )
            job.message = job.reason
        self.on_change(job)

    def _event(self, job: Job, event: dict) -> bool:
        """Apply one worker event to ``job``; True for the last one."""
        kind = event.get("event")
        if kind == "start":
            job.folder = event["folder"]
        elif kind == "step" and job.status != "cancelling":
            job.status = "solving"
            if event["converged"]:
                job.progress = min(event["force_N"] / event["target_N"], 1.0)
            state = "" if event["converged"] else ", cut back"
            job.message = (
                f"step {event['step']} ({event['phase']}{state}): "
                f"{event['force_N']:.1f} of {event['target_N']:.1f} N"
            )
        elif kind == "end":
            job.folder = event["folder"] or job.folder
            job.status, job.reason, job.cached = event["status"], event["reason"], event["cached"]
            if job.status == "done":
                job.progress = 1.0
                job.message = "done (found in the results folder)" if job.cached else "done"
            else:
                job.message = f"failed: {job.reason}"
            self.on_change(job)
            return True
        else:
            return False
        self.on_change(job)
        return False


async def _collect(stream: asyncio.StreamReader, tail: deque[str]) -> None:
    async for raw in stream:
        text = raw.decode(errors="replace").strip()
        if text:
            tail.append(text)
