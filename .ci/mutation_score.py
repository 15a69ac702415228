"""Print the mutation score per package and per file from mutmut's results in mutants/.

`make mutate` runs this after `mutmut run`. A mutant counts as killed when a test failed on it
or it ran past its time limit (mutmut's own convention); survivors and mutants that no selected
test reaches ("no tests") count against the score. With --fail-under PCT the exit status is 1
when a package in --packages scores lower. Survivors are listed by name (`mutmut show NAME`
prints the change); docs/mutation.md says why each one left is harmless.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutmut.stats import status_by_exit_code

KILLED = {"killed", "timeout"}


def load(root: Path) -> dict[str, dict[str, str]]:
    """Each mutated file's mutants and their status, keyed by the source path."""
    results: dict[str, dict[str, str]] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            source = str(meta.relative_to(root))[: -len(".meta")]
            results[source] = {name: status_by_exit_code[code] for name, code in codes.items()}
    return results


def line(label: str, counts: Counter[str]) -> str:
    total = sum(counts.values())
    killed = sum(counts[s] for s in KILLED)
    score = 100 * killed / total if total else 0.0
    return (
        f"{label:<34} {score:6.1f} %  killed {killed:>4} of {total:<4}  survived "
        f"{counts['survived']:>3}  no tests {counts['no tests']:>3}  timeout {counts['timeout']:>2}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("mutants"))
    parser.add_argument("--fail-under", type=float, default=None, metavar="PCT")
    parser.add_argument("--packages", nargs="*", default=[], metavar="PATH")
    args = parser.parse_args()
    results = load(args.root)
    if not results:
        print(f"no mutmut results under {args.root}/: run `make mutate`", file=sys.stderr)
        return 1
    packages: dict[str, Counter[str]] = defaultdict(Counter)
    files: dict[str, Counter[str]] = {}
    for source, statuses in results.items():
        files[source] = Counter(statuses.values())
        packages[str(Path(source).parent)] += files[source]
    print("Mutation score (killed / all mutants), per package then per file:")
    for package in sorted(packages):
        print(line(package, packages[package]))
    for source in sorted(files):
        print(line("  " + source, files[source]))
    unkilled = [
        (name, status)
        for statuses in results.values()
        for name, status in statuses.items()
        if status not in KILLED
    ]
    survivors = [name for name, status in unkilled if status == "survived"]
    print(f"\nSurvivors ({len(survivors)}; `mutmut show NAME` prints each change):")
    for name in sorted(survivors):
        print("  " + name)
    failing = []
    for package in args.packages:
        counts = packages.get(package.rstrip("/"), Counter())
        total = sum(counts.values())
        score = 100 * sum(counts[s] for s in KILLED) / total if total else 0.0
        if args.fail_under is not None and score < args.fail_under:
            failing.append(f"{package} {score:.1f} % < {args.fail_under} %")
    for message in failing:
        print("below the bar: " + message, file=sys.stderr)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
