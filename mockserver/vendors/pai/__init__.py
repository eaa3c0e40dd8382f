"""Alibaba Cloud PAI, AIWorkSpace 2021-02-04: GetModel and ListModelVersions.

Docs: https://www.alibabacloud.com/help/en/pai/developer-reference/api-aiworkspace-2021-02-04-getmodel
and .../api-aiworkspace-2021-02-04-listmodelversions (seeds 001 and 000).
Where the docs are silent we follow docs/decisions.md (section "Alibaba PAI").
"""

from __future__ import annotations

from mockserver.vendors.pai.vendor import VENDOR

__all__ = ["VENDOR"]
