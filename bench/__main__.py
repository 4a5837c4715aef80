"""``python -m bench [generate] [--units N] [--indicators M]``: print the benchmark table."""

from __future__ import annotations

import argparse
import json
import platform


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("which", nargs="*", default=["example", "generate", "run", "feedback", "forms"],
                        help="benchmarks to run: example, generate, run, feedback, forms")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--history", type=int, default=3, help="earlier rounds in the ledger (run)")
    parser.add_argument("--no-growth", action="store_true", help="skip the growth series (run)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    if "example" in args.which:
        from bench import example_bench

        results.append(("example", example_bench.run()))
    if "generate" in args.which:
        from bench import generate_bench

        results.append(("generate", generate_bench.run(args.units, args.indicators)))
    if "run" in args.which:
        from bench import run_bench

        results.append(("run", run_bench.run(args.units, args.indicators, args.history, not args.no_growth)))
    if "feedback" in args.which:
        from bench import feedback_bench

        results.append(("feedback", feedback_bench.run()))
    if "forms" in args.which:
        from bench import forms_bench

        results.append(("forms", forms_bench.run(args.units, args.indicators)))
    if args.json:
        print(json.dumps(dict(results), indent=2))
        return
    import os

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for name, r in results:
        if name == "run":
            _print_run(r)
            continue
        if name == "feedback":
            _print_feedback(r)
            continue
        if name == "forms":
            _print_forms(r)
            continue
        if name == "example":
            _print_example(r)
            continue
        print(f"\n## {name}: {r['units']} units x {r['indicators']} indicators")
        print("| what | total (s) | per workbook (ms) |")
        print("|---|---:|---:|")
        floor = f"{r['bare_total_s']:.1f} | {r['bare_per_workbook_ms']:.1f}"
        print(f"| bare xlsxwriter write, 1 process (floor) | {floor} |")
        print(f"| sopkinerja generate | {r['generate_total_s']:.1f} | {r['generate_per_workbook_ms']:.1f} |")
        verdict = "met" if r["ratio"] <= r["target_ratio"] else "NOT met"
        print(f"\nratio {r['ratio']:.2f}x (target <= {r['target_ratio']}x): {verdict}")


def _print_run(r: dict) -> None:
    cold, floor, naive = r["cold"][0], r["floor"][0], r["naive"][0]
    print(f"\n## run: {r['units']} units x {r['indicators']} indicators, {r['history']} earlier rounds in the "
          f"ledger ({r['files']} returned files this round)")
    print("| what | wall (s) | per file (ms) | peak memory (MiB) |")
    print("|---|---:|---:|---:|")
    for label, key in (("floor: calamine read + bare writes of the agency table and the E.81's cells", "floor"),
                       ("naive: pandas.read_excel each + concat + to_excel", "naive"),
                       ("sopkinerja run, cold", "cold"), ("sopkinerja run, nothing changed", "unchanged"),
                       ("sopkinerja run, one resubmission", "resubmitted"),
                       ("the resubmitted file's own bare read", "own_read")):
        wall, rss = r[key]
        print(f"| {label} | {wall:.1f} | {wall / r['files'] * 1000:.1f} | {rss:.0f} |")
    resubmission = r["resubmitted"][0] / (cold + r["own_read"][0])
    checks = [("cold / floor", cold / floor, "<= 1.5x", cold / floor <= 1.5),
              ("naive / cold", naive / cold, ">= 4x", naive / cold >= 4),
              ("one resubmission / (cold + its read)", resubmission, "<= 10%", resubmission <= 0.10),
              ("nothing changed / cold", r["unchanged"][0] / cold, "<= 2%", r["unchanged"][0] / cold <= 0.02),
              ("peak memory of the cold run (MiB)", r["cold"][1], "< 1024", r["cold"][1] < 1024)]
    growth = r.get("growth", {})
    if len(growth) > 1:
        sizes = sorted(growth, key=int)
        small, large = sizes[0], sizes[-1]
        per = {s: growth[s][0] / int(s) for s in sizes}
        print("\n| units | cold run (s) | per unit (ms) | peak (MiB) |")
        print("|---:|---:|---:|---:|")
        for s in sizes:
            print(f"| {s} | {growth[s][0]:.1f} | {per[s] * 1000:.1f} | {growth[s][1]:.0f} |")
        ratio = per[large] / per[small]
        checks.append((f"per unit at {large} / per unit at {small}", ratio, "<= 1.2x", ratio <= 1.2))
    print("\n| target | result | |")
    print("|---|---:|---|")
    for label, value, target, met in checks:
        shown = f"{value:.2%}" if "%" in target else (f"{value:.0f}" if "MiB" in label else f"{value:.2f}x")
        print(f"| {label} {target} | {shown} | {'met' if met else 'NOT met'} |")


def _print_example(r: dict) -> None:
    print("\n## example agency: the demo's year, each command its own process")
    print("| round | generate (s) | run (s) | run, nothing changed (s) | status (s) |")
    print("|---|---:|---:|---:|---:|")
    for row in r["rounds"]:
        print(f"| {row['period']} | {row['generate_s']:.2f} | {row['run_s']:.2f} | {row['unchanged_s']:.2f} | "
              f"{row['status_s']:.2f} |")
    slowest = max(row["run_s"] for row in r["rounds"])
    status = max(row["status_s"] for row in r["rounds"])
    met = slowest < r["target_run_s"] and max(status, r["help_s"]) < r["target_quick_s"]
    print(f"\nslowest run {slowest:.2f} s (target < {r['target_run_s']:.0f} s); status {status:.2f} s, --help "
          f"{r['help_s']:.2f} s (target < {r['target_quick_s']} s): {'met' if met else 'NOT met'}")


def _print_forms(r: dict) -> None:
    print(f"\n## forms: Formulir E.81 for {r['units']} units x {r['indicators']} indicators, TW1-TW4 "
          f"({r['rows']:,} rows, {r['file_mb']:.0f} MB)")
    print("| what | wall (s) |")
    print("|---|---:|")
    print(f"| floor: the same cells, bare constant-memory xlsxwriter | {r['bare_s']:.1f} |")
    print(f"| sopkinerja E.81 (build + write) | {r['ours_s']:.1f} |")
    verdict = "met" if r["ratio"] <= r["target_ratio"] else "NOT met"
    print(f"\nratio {r['ratio']:.2f}x (target <= {r['target_ratio']}x): {verdict}")


def _print_feedback(r: dict) -> None:
    print(f"\n## feedback: a return with {r['rows']:,} formatted empty rows and one error ({r['file_mb']:.1f} MB)")
    print("| what | step (s) | process wall (s) | peak memory (MiB) |")
    print("|---|---:|---:|---:|")
    for label, key in (("baseline: the unit's own package loaded by openpyxl (before issue 15)", "baseline"),
                       ("sopkinerja feedback (the request rebuilt from the ledger)", "ours")):
        step, wall, rss = r[key]
        print(f"| {label} | {step:.2f} | {wall:.2f} | {rss:.0f} |")
    step, _, rss = r["ours"]
    verdict = "met" if step <= r["target_s"] and rss <= r["target_mib"] else "NOT met"
    print(f"\nfeedback {step:.2f} s, {rss:.0f} MiB (target <= {r['target_s']:.0f} s and <= {r['target_mib']} MB): "
          f"{verdict}")


if __name__ == "__main__":
    main()
