"""RQ job entry points (``worker.jobs``) and the worker process (``python -m worker``): thin jobs that take
ids, call ``runner`` in one transaction and return something small. Imports ``runner`` only.
"""
