"""``python -m footsim`` is the ``footsim`` command."""

from footsim.cli import main

raise SystemExit(main())
