"""The diagram-script sandbox: RestrictedPython compilation, guards and a time limit (``policy``, ``guards``,
``limits``, ``run``), run in pre-started evaluator processes under real memory and CPU limits (``pool``, ``child``,
``wire``); plain expressions, which call nothing and build nothing that grows, are answered in the platform's own
process (``plain``).

This package imports nothing of the runner but ``runner.exceptions``: the evaluator process loads it without the
rest of the platform (``child``).
"""
