"""What the engine's task look-up (``runner.core.spiff.workflow``) saves a completion, measured in one process.

Usage: ``.venv/bin/python bench/task_lookup.py [--items 80]``.
Starts its own platform (tests/support/platform.py: durable PostgreSQL, Redis) and drives the platform's Flask app
with its test client, as ``bench/completion_split.py`` does: 联办件, each a start and its 6 completions, after 8
items of warm-up. The items alternate between the look-up as shipped and SpiffWorkflow's walk of the tree for
every question (``TaskLookup._looked_up`` answering nothing), so both are measured in the same process, at the
same moment: between two processes this machine's speed moves more than the difference. Prints the thread CPU
per completion (the start's share included) of each, median and mean over the items, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.completion_split import Split, drive  # noqa: E402
from runner.core.spiff.workflow import TaskLookup  # noqa: E402
from tests.support.platform import start_platform  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=80, help="items measured in each mode")
    args = parser.parse_args()
    platform = start_platform(Path(tempfile.mkdtemp()) / "platform", file_clock=False)
    try:
        os.environ.update(platform.env())
        from webapp import create_app

        client, split = create_app().test_client(), Split()
        for _ in range(8):
            drive(client, split, measure=False)
        looked_up = TaskLookup._looked_up
        modes = {"look-up": looked_up, "walk": lambda *_: None}
        spent: dict[str, list[float]] = {mode: [] for mode in modes}
        for _ in range(args.items):
            for mode, answer in modes.items():
                TaskLookup._looked_up = answer  # type: ignore[method-assign]
                completions, cpu, start_cpu = drive(client, split, measure=True)
                spent[mode].append(1000 * (cpu + start_cpu) / completions)
        TaskLookup._looked_up = looked_up  # type: ignore[method-assign]
        for mode, values in spent.items():
            print(
                f"{mode:8} per completion (the start's share included): median {statistics.median(values):.2f} ms,"
                f" mean {statistics.mean(values):.2f} ms ({len(values)} items)"
            )
        ratio = statistics.median(spent["look-up"]) / statistics.median(spent["walk"])
        print(f"look-up ÷ walk: {ratio:.3f} (medians)")
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
