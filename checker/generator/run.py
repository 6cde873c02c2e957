"""The run: the scenario families and their weights, the truth writer, :func:`generate`
and the command line (:func:`main`)."""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from itertools import accumulate
from pathlib import Path
from typing import IO

from .affiliate import scenario_affiliate_noise, scenario_after_exit, scenario_early_exit, scenario_missed
from .core import (
    AS_OF,
    BATCH_EVENTS,
    BEIJING,
    ENCODER,
    OUTCOMES,
    RULE_IDS,
    VIOLATION,
    GenerationSummary,
    Generator,
)
from .distribution import scenario_kuaishou_noise, scenario_late_extension, scenario_unreviewed_cancel
from .juhuasuan import (
    scenario_deposits,
    scenario_jhs_cancel,
    scenario_jhs_noise,
    scenario_sample_return,
    scenario_second_review,
)
from .managed import (
    scenario_cancel_notice,
    scenario_create_promotion,
    scenario_jit,
    scenario_managed,
    scenario_managed_noise,
    scenario_refund,
)
from .union_plans import scenario_close_reason, scenario_taobao_noise, scenario_unreviewed_close

_Builder = Callable[[Generator, bool], None]
# (builder, weight, judged): judged builders are built around a rule and may inject violations
_FAMILIES: tuple[tuple[_Builder, int, bool], ...] = (
    (scenario_early_exit, 3, True),
    (scenario_after_exit, 4, True),
    (scenario_missed, 3, True),
    (scenario_affiliate_noise, 2, False),
    (scenario_close_reason, 3, True),
    (scenario_unreviewed_close, 4, True),
    (scenario_taobao_noise, 1, False),
    (scenario_cancel_notice, 3, True),
    (scenario_refund, 3, True),
    (scenario_jit, 3, True),
    (scenario_managed_noise, 2, False),
    (scenario_unreviewed_cancel, 5, True),
    (scenario_late_extension, 3, True),
    (scenario_kuaishou_noise, 1, False),
    (scenario_jhs_cancel, 3, True),
    (scenario_deposits, 5, True),
    (scenario_sample_return, 3, True),
    (scenario_second_review, 3, True),
    (scenario_jhs_noise, 1, False),
)


def _as_of_text() -> str:
    return datetime.fromtimestamp(AS_OF, BEIJING).isoformat()


class _TruthWriter:
    """Truth lines, one temporary file per rule: within a rule, event ids are generated in
    increasing order (one id prefix per source, zero-padded counters), so concatenating the
    files in rule order gives the (rule_id, event_id) order without holding the truth."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.parts = {rule: out / f".truth.{rule}.part" for rule in RULE_IDS}
        self.files: dict[str, IO[str]] = {}
        self.counts: dict[str, Counter[str]] = {rule: Counter() for rule in RULE_IDS}
        self.lines = 0

    def __enter__(self) -> _TruthWriter:
        for rule, path in self.parts.items():
            self.files[rule] = path.open("w", encoding="utf-8", newline="\n")
        return self

    def write(self, entries: list[tuple[str, str, str]]) -> None:
        for rule, event_id, outcome in sorted(entries):
            self.files[rule].write(
                ENCODER.encode({"rule_id": rule, "event_id": event_id, "outcome": outcome}) + "\n"
            )
            self.counts[rule][outcome] += 1
        self.lines += len(entries)

    def finish(self) -> None:
        for handle in self.files.values():
            handle.close()
        with (self.out / "truth.jsonl").open("w", encoding="utf-8", newline="\n") as sink:
            for rule in RULE_IDS:
                with self.parts[rule].open(encoding="utf-8") as part:
                    shutil.copyfileobj(part, sink)

    def __exit__(self, *exc: object) -> None:
        for handle in self.files.values():
            handle.close()
        for path in self.parts.values():
            path.unlink(missing_ok=True)


def generate(
    out_dir: str | Path,
    *,
    events: int = 5000,
    seed: int = 1,
    violation_rate: float = 0.2,
    shuffle: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> GenerationSummary:
    """Write ``events.jsonl``, ``truth.jsonl`` and ``manifest.json`` into ``out_dir``.

    About ``events`` events are written (the last scenario may add a few more), each
    scenario with a violation injected with probability ``violation_rate``. The same
    arguments always give byte-identical files. With ``shuffle``, events are shuffled
    within batches of :data:`BATCH_EVENTS`; memory does not grow with ``events``.

    ``on_progress(made, events)``, when given, is called as events are made (about
    every 0.5% of ``events``, at least every 1,000 events) and once when all are
    written; ``made`` may end a few above ``events``. It does not change the output.
    """
    if events < 1:
        raise ValueError(f"events must be at least 1, got {events}")
    if not 0.0 <= violation_rate <= 1.0:
        raise ValueError(f"violation_rate must lie in [0, 1], got {violation_rate}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    g = Generator(seed)
    shuffler = random.Random(f"policy-checker-shuffle-{seed}")
    builders = [family[0] for family in _FAMILIES]
    judged_by = {family[0]: family[2] for family in _FAMILIES}
    cum_weights = list(accumulate(family[1] for family in _FAMILIES))
    scenarios = judged = violating = 0
    step = max(1000, events // 200)
    next_report = step

    with (out / "events.jsonl").open("w", encoding="utf-8", newline="\n") as sink, _TruthWriter(out) as truth:

        def flush() -> None:
            if shuffle:
                shuffler.shuffle(g.batch)
            sink.writelines(g.batch)
            g.batch.clear()

        while g.made < events - 1:
            builder = g.r.choices(builders, cum_weights=cum_weights)[0]
            violate = judged_by[builder] and g.r.random() < violation_rate
            builder(g, violate)
            scenarios += 1
            judged += judged_by[builder]
            violating += violate
            if any(o == VIOLATION for _, _, o in g.truth) != violate:
                raise AssertionError(f"{builder.__name__} broke its injection: {g.truth}")
            truth.write(g.truth)
            g.truth.clear()
            if len(g.batch) >= BATCH_EVENTS:
                flush()
            if on_progress is not None and g.made >= next_report:
                on_progress(g.made, events)
                next_report = g.made + step
        # The final event fixes the as-of time that pending outcomes were computed against.
        scenario_create_promotion(scenario_managed(g), AS_OF)
        flush()
        truth.finish()

    rules = {rule: {o: truth.counts[rule][o] for o in OUTCOMES if truth.counts[rule][o]} for rule in RULE_IDS}
    manifest = {
        "seed": seed,
        "events": g.made,
        "as_of": _as_of_text(),
        "rules": rules,
        "violation_rate": violation_rate,
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    if on_progress is not None:
        on_progress(g.made, events)
    return GenerationSummary(out, g.made, truth.lines, scenarios, judged, violating, _as_of_text(), rules)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m checker.generator --events N --seed N -o DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m checker.generator",
        description="Generate synthetic seller-activity events with their ground truth.",
    )
    parser.add_argument("--events", type=int, default=5000, help="about how many events")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--violation-rate",
        type=float,
        default=0.2,
        help="share of scenarios with an injected violation (0..1)",
    )
    parser.add_argument("--no-shuffle", action="store_true", help="write events in generation order")
    parser.add_argument("-o", "--out", required=True, help="output directory")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    if not 0.0 <= args.violation_rate <= 1.0:
        parser.error("--violation-rate must lie in [0, 1]")
    summary = generate(
        args.out,
        events=args.events,
        seed=args.seed,
        violation_rate=args.violation_rate,
        shuffle=not args.no_shuffle,
    )
    print(
        f"wrote {summary.events} events and {summary.truth_lines} truth lines "
        f"({summary.violating_scenarios}/{summary.judged_scenarios} scenarios with an "
        f"injected violation) to {summary.out_dir}; as of {summary.as_of}"
    )
    return 0
