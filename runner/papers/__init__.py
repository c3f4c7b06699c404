"""Printed documents (文书): notices an item issues (受理通知书, 补正告知书, 延期告知书 …), numbered and kept.

Never imports a door nor the web layer.
"""
