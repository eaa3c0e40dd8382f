"""Huawei Cloud DataArts Fabric: ListModels.

Docs: https://support.huaweicloud.com/intl/en-us/api-fabric/ListModels.html (seed 002).
Where the docs are silent we follow docs/decisions.md (section "Huawei DataArts Fabric").
"""

from __future__ import annotations

from mockserver.vendors.huawei.vendor import VENDOR

__all__ = ["VENDOR"]
