"""Items (办件) and the clerk's work on them: starting and reading instances, tasks and the inbox, the permission
table (``permissions``) and the clerk operations (``clerk``: 转办, 委派, 退回, 撤回, 催办, 抄送, 挂起, 加签/减签,
延期), messages, receipt numbers, attachments, the console's reads (``monitoring``) and the views doors show.

Imports the engine core and the other domain packages; never a door (``workspace``, ``admin``, ``api``, ``worker``)
nor the web layer.
"""
