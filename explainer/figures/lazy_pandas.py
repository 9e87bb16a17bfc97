"""pandas, imported on first use.

Tables are built only when a visitor opens one, but importing pandas (with pyarrow) takes ~0.4 s of a cold
start's first script run, about 40% of the page's imports. ``pd`` here stands in for the module and imports it
the first time an attribute is read. It is not put into ``sys.modules``: libraries that check
``sys.modules.get("pandas")`` before an ``isinstance`` (Plotly's validators, narwhals) would import it there.
"""

from __future__ import annotations

import importlib
from typing import Any


class _PandasOnFirstUse:
    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("pandas"), name)


pd: Any = _PandasOnFirstUse()
