"""The ``footsim`` command line (:func:`main`)."""

from footsim.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
