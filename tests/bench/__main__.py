"""``make bench``: run every benchmark in this folder (each module's ``main()``), printing their figures."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main() -> None:
    names = sys.argv[1:] or sorted(p.stem for p in Path(__file__).parent.glob("*.py") if not p.stem.startswith("_"))
    for name in names:
        importlib.import_module(f"tests.bench.{name}").main()
        print()


if __name__ == "__main__":
    main()
