"""The form engine: task form schemas are data (``schemas/*.json``, or published in the console), read into field
specs (``schema``), parsed and validated from a page or JSON (``submission``), with file fields (``attachments``)
and the page language (``language``).

Used by the runner's form check (through the API), the workspace's task pages and the designer's preview. Imports
``runner`` only; never the web layer nor a door.
"""
