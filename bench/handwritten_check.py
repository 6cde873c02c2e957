"""Agreement of the hand-written SQL baseline (``bench/handwritten.py``) with the product.

    python bench/handwritten_check.py OUT.jsonl RESULT.json

OUT.jsonl is the baseline's output (one ``{"rule_id", "event_id", "evidence"}`` per line);
RESULT.json the product's JSON result over the same file (its ``findings``). Prints per rule the
hand-written count, the product's, the (rule, event) violations the baseline misses and those it
has in excess, and how many of the common ones differ in evidence; exits 1 on any difference.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def load_baseline(path: Path) -> dict[tuple[str, str], list[str]]:
    """The baseline's violations: (rule_id, event_id) -> evidence."""
    out = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                out[row["rule_id"], row["event_id"]] = row["evidence"]
    return out


def load_product(path: Path) -> tuple[dict[tuple[str, str], list[str]], str | None, list[str]]:
    """The product's findings, its as-of time and the ids of the rules it ran."""
    with path.open(encoding="utf-8") as f:
        result = json.load(f)
    findings = {(x["rule_id"], x["event_id"]): x["evidence"] for x in result["findings"]}
    rules = [p["id"] for p in result.get("policies", [])]
    return findings, result.get("as_of"), rules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline", type=Path, help="bench/handwritten.py's output (JSON Lines)")
    parser.add_argument("result", type=Path, help="the product's JSON result for the same events")
    parser.add_argument("--show", type=int, default=3, help="examples of each difference to print")
    args = parser.parse_args(argv)

    mine = load_baseline(args.baseline)
    theirs, as_of, rules = load_product(args.result)
    print(f"product as_of: {as_of}")
    rules = sorted(set(rules) | {r for r, _ in mine} | {r for r, _ in theirs})
    width = max(map(len, rules))
    print(f"{'rule':<{width}}  {'hand':>7} {'product':>7} {'missing':>7} {'extra':>7} {'evid.diff':>9}")
    total = [0, 0, 0, 0, 0]
    examples = []
    for rule in rules:
        a = {e for r, e in mine if r == rule}
        b = {e for r, e in theirs if r == rule}
        missing, extra = sorted(b - a), sorted(a - b)
        evid = sorted(e for e in a & b if mine[rule, e] != theirs[rule, e])
        row = [len(a), len(b), len(missing), len(extra), len(evid)]
        total = [x + y for x, y in zip(total, row, strict=True)]
        print(f"{rule:<{width}}  {row[0]:>7} {row[1]:>7} {row[2]:>7} {row[3]:>7} {row[4]:>9}")
        examples += [(rule, "missing", e, theirs[rule, e]) for e in missing[: args.show]]
        examples += [(rule, "extra", e, mine[rule, e]) for e in extra[: args.show]]
        examples += [(rule, "evidence", e, (mine[rule, e], theirs[rule, e])) for e in evid[: args.show]]
    print(f"{'total':<{width}}  {total[0]:>7} {total[1]:>7} {total[2]:>7} {total[3]:>7} {total[4]:>9}")
    for rule, kind, event, detail in examples:
        print(f"  {kind}: {rule} {event} {json.dumps(detail, ensure_ascii=False)}")
    return 0 if total[2] == total[3] == total[4] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
