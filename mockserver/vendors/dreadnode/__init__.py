"""Dreadnode: List Model Versions.

Docs: https://docs.dreadnode.io/api/operations/list_model_versions/ (seed 003; its field
names were recovered from the docs site and the `dreadnode` SDK, see docs/decisions.md).
"""

from __future__ import annotations

from mockserver.vendors.dreadnode.vendor import VENDOR

__all__ = ["VENDOR"]
