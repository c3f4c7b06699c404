"""Supervision (电子监察) and 考核: warning rules and their timers, stored warnings, the statistics of the supervision
dashboard, 考核 points, appeals and decisions.

Hooks into the engine through ``runner.core.hooks`` (after every save, and the ``rule`` timer kind); never imported
by the engine core; never imports a door nor the web layer.
"""
