"""Do the words under the network choice and the training section show the same checkpoint while a run trains?
Sampled in Chromium.

    python -m bench.bench_progress [--seconds 20] [--before /path/to/another/checkout]

A fresh server, the "Train it yourself" section, Train pressed with the page's defaults (the blog's recipe: a
checkpoint every 1,000 steps); then every 50 ms, for ``--seconds``, one read of the page takes the step the
run's caption names (under the network choice; in the sidebar before it had none) and the step on the section's
progress bar. Counts the reads
where both show a step and the two differ. A rate, not a pass/fail: the AppTest in tests/test_training_ui.py is
the test. With ``--before``, that checkout is sampled too, in the same run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from bench.bench_tour import server_in
from tests.support.browser import PROJECT_ROOT, launch_chromium

STEP = re.compile(r"step ([\d,]+) (?:/|of) ")
READ_BOTH = """() => [
  (document.querySelector('[data-testid=stSidebar]')?.innerText || '') + ' ' +
    Array.from(document.querySelectorAll('[data-testid=stCaptionContainer]')).map(caption => caption.innerText)
      .filter(words => words.includes(' recipe, seed ')).join(' '),
  Array.from(document.querySelectorAll('[data-testid=stProgress]')).map(bar => bar.innerText).join(' '),
]"""


def sample(playwright, root: Path, seconds: float) -> dict:
    with server_in(root) as url:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(120_000)
            page.goto(f"{url}/?section=train-it-yourself")
            page.get_by_role("button", name="Train", exact=True).click()
            page.locator("[data-testid=stProgress]").first.wait_for()
            reads = both = differ = 0
            examples = []
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                sidebar, bar = page.evaluate(READ_BOTH)  # one read: the page cannot change between the two
                reads += 1
                in_sidebar, on_bar = STEP.search(sidebar), STEP.search(bar)
                if in_sidebar and on_bar:
                    both += 1
                    if in_sidebar.group(1) != on_bar.group(1):
                        differ += 1
                        examples = [*examples, (in_sidebar.group(1), on_bar.group(1))][:3]
                page.wait_for_timeout(50)
            return {"reads": reads, "both_show_a_step": both, "differ": differ, "examples (sidebar, bar)": examples}
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--before", type=Path, help="another checkout to sample too (the 'before')")
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    roots = {"after": PROJECT_ROOT}
    if arguments.before is not None:
        roots = {"before": arguments.before.resolve(), **roots}
    with sync_playwright() as playwright:
        results = {name: sample(playwright, root, arguments.seconds) for name, root in roots.items()}
    print("| checkout | reads where both show a step | of them, different steps | target |")
    print("|---|---|---|---|")
    for name, result in results.items():
        print(f"| {name} | {result['both_show_a_step']} of {result['reads']} | {result['differ']} | 0 |")
    print(json.dumps(results))
    if results["after"]["both_show_a_step"] < 20:
        print("missed: too few reads with a step in both places to tell (train longer: --seconds)")
        sys.exit(1)
    if results["after"]["differ"]:
        print("missed: the sidebar and the progress bar showed different steps")
        sys.exit(1)


if __name__ == "__main__":
    main()
