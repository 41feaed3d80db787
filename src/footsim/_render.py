"""Off-screen rendering without a display, and without VTK's warnings about the missing one.

Without ``$DISPLAY`` VTK's wheel first tries an X window, prints "bad X server connection" and
falls back to EGL. :func:`prefer_headless` asks for EGL straight away, where the machine has
libEGL, through VTK's ``VTK_DEFAULT_OPENGL_WINDOW`` (read when the first render window is
made); a user's own setting of that variable, or a display, is left alone.
"""

from __future__ import annotations

import ctypes.util
import os
import sys


def prefer_headless() -> None:
    """Render off-screen through EGL when there is no display (Linux); idempotent."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        if ctypes.util.find_library("EGL"):
            os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
