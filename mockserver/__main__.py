"""`python -m mockserver` is the same as the `mockserver` command."""

from __future__ import annotations

import sys

from mockserver.cli import main

sys.exit(main())
