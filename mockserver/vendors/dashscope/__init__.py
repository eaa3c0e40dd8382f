"""Alibaba Model Studio (DashScope): List deployments.

Docs: https://www.alibabacloud.com/help/en/model-studio/list-deployments-api (seed 004);
the deployment object and status values from the Create/Get deployment pages.
Where the docs are silent we follow docs/decisions.md (section "DashScope").
"""

from __future__ import annotations

from mockserver.vendors.dashscope.vendor import VENDOR

__all__ = ["VENDOR"]
