"""RQ job entry points (``worker.jobs``) and the worker process (``python -m worker``)."""
