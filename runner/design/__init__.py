"""Design drafts: diagrams being drawn in the console's designer (``drafts``) and form schemas edited and published
there (``form_drafts``), with revision checks and dry-run validation.

Never imports a door nor the web layer.
"""
