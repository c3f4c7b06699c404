"""The item's clock: the business calendar of working days (``calendar``), the years' holiday arrangements and
their import, local overrides, deadlines with pauses and extensions, pending dates and the recalculation of open
items when the calendar changes; the holiday-data alarm.

The recalculation steps items through the engine core and moves supervision's timers; never imports a door nor
the web layer.
"""
