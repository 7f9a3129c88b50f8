"""Run every benchmark module of ``tests/bench`` and print a table of figures.

``python -m tests.bench [NAME ...]`` runs only the modules named (e.g. ``org``).
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import tests.bench as package
from tests.bench import Figure


def main(selected: list[str]) -> int:
    modules = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))
    unknown = set(selected) - set(modules)
    if unknown:
        print(f"no benchmark module {', '.join(sorted(unknown))}; there are: {', '.join(modules)}", file=sys.stderr)
        return 2
    rows: list[tuple[str, Figure]] = []
    for name in selected or modules:
        module = importlib.import_module(f"tests.bench.{name}")
        for attr in sorted(a for a in dir(module) if a.startswith("bench_")):
            start = time.perf_counter()
            print(f"[{name}.{attr}] running ...", file=sys.stderr, flush=True)
            for figure in getattr(module, attr)():
                rows.append((name, figure))
                print(f"  {figure.database:<10} {figure.name}: {_number(figure.value)} {figure.unit}", file=sys.stderr, flush=True)
            print(f"[{name}.{attr}] done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    _table(rows)
    return 0


def _table(rows: list[tuple[str, Figure]]) -> None:
    header = ("module", "figure", "database", "value", "unit", "note")
    cells = [header] + [(m, f.name, f.database, _number(f.value), f.unit, f.note) for m, f in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        line = "  ".join(_pad(c, w, right=(i == 3)) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        print(line.rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _number(value: float) -> str:
    # Two decimals below 10, so 0.88 s against a 1.0 s target reads as what it is.
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
