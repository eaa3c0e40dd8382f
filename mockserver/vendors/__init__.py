"""The emulated vendors, one package each; the app serves all of them on one port."""

from __future__ import annotations

from mockserver.core.vendor import Vendor
from mockserver.vendors import dashscope, dreadnode, huawei, pai

VENDORS: tuple[Vendor, ...] = (pai.VENDOR, huawei.VENDOR, dreadnode.VENDOR, dashscope.VENDOR)
__all__ = ["VENDORS"]
