"""``python -m bench [generate] [--units N] [--indicators M]``: print the benchmark table."""

from __future__ import annotations

import argparse
import json
import platform


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("which", nargs="*", default=["generate"], help="benchmarks to run: generate")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    if "generate" in args.which:
        from bench import generate_bench

        results.append(("generate", generate_bench.run(args.units, args.indicators)))
    if args.json:
        print(json.dumps(dict(results), indent=2))
        return
    print(f"machine: {platform.machine()}, {results[0][1]['cores']} cores, Python {platform.python_version()}")
    for name, r in results:
        print(f"\n## {name}: {r['units']} units x {r['indicators']} indicators")
        print("| what | total (s) | per workbook (ms) |")
        print("|---|---:|---:|")
        print(f"| bare xlsxwriter write, 1 process (floor) | {r['bare_total_s']:.1f} | {r['bare_per_workbook_ms']:.1f} |")
        print(f"| sopkinerja generate | {r['generate_total_s']:.1f} | {r['generate_per_workbook_ms']:.1f} |")
        verdict = "met" if r["ratio"] <= r["target_ratio"] else "NOT met"
        print(f"\nratio {r['ratio']:.2f}x (target <= {r['target_ratio']}x): {verdict}")


if __name__ == "__main__":
    main()
