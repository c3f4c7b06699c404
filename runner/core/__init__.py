"""The engine core: the one place SpiffWorkflow runs — deployment and validation (``definitions``, ``validation``,
``foreign``, ``encodings``), stepping and state (``engine``, ``state``, ``specs``, ``workflow_cache``, ``spiff/``),
the script sandbox (``scripts``, ``sandbox/``), timers and their wake-ups (``timers``, ``scheduling``), failures
as incidents, the audit chain, and the unit of work (``services``, ``transaction``, ``hooks``).

Its public face is ``runner/__init__.py``. Of the centre's domain it imports only what a step needs — the business
calendar and pending dates (``runner.timekeeping``), staffing (``runner.people``), the known form keys — and
domain work that must follow a save or fire on a timer registers in ``hooks`` instead of being imported. Never
imports a door nor the web layer.
"""
