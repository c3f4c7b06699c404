"""The catalogue of service items (事项目录): what a centre publishes and works by.

``body`` checks an item's content, ``items`` keeps the items and their versions, ``transfer`` reads and
writes the catalogue as JSON Lines, ``identity`` checks applicants' identity numbers, ``applications``
starts an item from the catalogue and keeps the counter's intake (收件登记). Import from those modules.
"""
