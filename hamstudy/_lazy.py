"""Lazy public names for a package: each is imported from its defining module on first access.

Written by hand because the standard library has no such helper (PEP 562 gives only the hook).
Keeping imports lazy lets ``python -m hamstudy --help`` answer without loading numpy or pandas.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_exports(package: str, names: dict[str, str], namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package``.

    ``names`` maps each public name to the module that defines it, absolute (``"hamstudy.binary"``)
    or relative to the package (``"km"``). Map to the defining module, not to a package that
    re-exports the name: a submodule named like its function, once imported, would otherwise shadow
    the function on the package.
    """

    def resolve(module: str) -> str:
        return module if module.startswith("hamstudy") else f"{package}.{module}"

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(resolve(names[name])), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
