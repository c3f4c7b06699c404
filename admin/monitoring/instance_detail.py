"""One instance: diagram with the path taken and the current tokens, everything the runner knows, and the
admin's actions (挂起/恢复, 终止, 重试, 改派, 补录消息, 迁移) — each a CSRF-protected POST calling one runner
function in one transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

import runner
from admin.base import OVERSEERS, ConsoleView, actor, perform, services
from admin.language import action_label
from admin.monitoring import jobs
from admin.monitoring.common import (
    STATUS_LABELS,
    is_admin,
    json_object,
    kind_label,
    local,
    require_admin,
    safe_next,
    status_badge,
    timer_name,
    when,
)
from admin.supervision.common import DEEMED_RULES
from forms.language import shown_name
from runner.core.scheduling import wakeup_states
from runner.items.monitoring import issued_documents, versions_of, waiting_messages
from runner.timekeeping.calendar import is_late


class InstanceView(ConsoleView):
    """``/admin/instance/<id>/``: the detail page (reached from the lists, not from the menu)."""

    roles = OVERSEERS

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Response:
        """``?q=<receipt number>`` jumps to that instance."""
        key = (request.args.get("q") or "").strip()
        if not key:
            return redirect(url_for("instances.index_view"))
        with services().transaction() as s:
            try:
                found = runner.get_instance(s, business_key=key)
            except runner.NotFound:
                abort(404, description=f"没有办件 {key} (no such instance)")
            return redirect(self._url(found.id))

    @expose("/<int:instance_id>/")
    def detail(self, instance_id: int) -> Any:
        with services().transaction() as s:
            try:
                instance = runner.get_instance(s, instance_id)
            except runner.NotFound:
                abort(404, description=f"没有办件 {instance_id} (no such instance)")
            view = runner.describe(s, instance, audit_limit=500)
            definition = instance.definition
            diagram = {
                "xml": definition.bpmn_xml,
                "completed": sorted(set(view["completed_path"])),
                "current": sorted(set(view["current"])),
            }
            versions = [v for v in versions_of(s, instance.definition_key) if v != definition.version]
            issued = issued_documents(s, instance_id)
            messages = waiting_messages(s, instance_id)
            pending = [
                (t["id"], datetime.fromisoformat(t["due_at"]))
                for t in view["timers"]
                if t["status"] == "pending"
            ]
            windows = [(w.code, shown_name(w.name, w.name_en)) for w in runner.list_windows(s)]
        return self.render(
            "console/monitoring/instance.html",
            item=view,
            data_json=json.dumps(view["data"], ensure_ascii=False, indent=2, default=str),
            diagram=diagram,
            definition_name=definition.name,
            versions=versions,
            documents=issued,
            messages=messages,
            windows=windows,
            window_names=dict(windows),
            deemed_rules=DEEMED_RULES,
            status_badge=status_badge,
            status_labels=STATUS_LABELS,
            kind_label=kind_label,
            local=local,
            when=when,
            overdue=_overdue(view),
            job_states=wakeup_states(services(), pending),
            job_label=jobs.label,
            timer_name=timer_name,
            action_label=action_label,
            can_act=is_admin(),
        )

    # ---- actions (admins) ----------------------------------------------------------------------

    @expose("/<int:instance_id>/suspend", methods=("POST",))
    def suspend(self, instance_id: int) -> Response:
        require_admin()
        reason = (request.form.get("reason") or "").strip() or _("管理员挂起")
        return perform(
            lambda s: _done(runner.suspend(s, instance_id, actor=actor(), reason=reason)),
            success=_("已挂起，计时已暂停"),
            back=self._back(instance_id),
        )

    @expose("/<int:instance_id>/resume", methods=("POST",))
    def resume(self, instance_id: int) -> Response:
        require_admin()
        return perform(
            lambda s: _done(runner.resume(s, instance_id, actor=actor())),
            success=_("已恢复办理"),
            back=self._back(instance_id),
        )

    @expose("/<int:instance_id>/terminate", methods=("POST",))
    def terminate(self, instance_id: int) -> Response:
        require_admin()
        reason = request.form.get("reason") or ""
        return perform(
            lambda s: _done(runner.terminate(s, instance_id, actor=actor(), reason=reason)),
            success=_("办件已终止"),
            back=self._back(instance_id),
        )

    @expose("/<int:instance_id>/retry", methods=("POST",))
    def retry(self, instance_id: int) -> Response:
        require_admin()
        text = request.form.get("data")

        def act(s: Session) -> str:
            data = json_object(text, _("补充数据"))
            instance = runner.retry(s, instance_id, actor=actor(), data=data or None)
            return _(
                "已重试，办件现为「%(status)s」", status=STATUS_LABELS.get(instance.status, instance.status)
            )

        return perform(act, success=_("已重试"), back=self._back(instance_id))

    @expose("/<int:instance_id>/reassign", methods=("POST",))
    def reassign(self, instance_id: int) -> Response:
        require_admin()
        form = request.form
        task_id = form.get("task_id") or ""
        assignee = (form.get("assignee") or "").strip() or None
        window = (form.get("window") or "").strip() or None

        def act(s: Session) -> str:
            rows, _total = runner.list_tasks(s, instance_id=instance_id, limit=500, count=False)
            current = {r["id"]: r for r in rows}.get(task_id)
            if current is None:
                raise runner.NoSuchTask("该办件没有这个待办任务 (no such open task of this item)")
            if window is not None and window not in runner.known_windows(s):
                raise runner.InvalidInput(f"未知窗口 {window} (unknown window)", field="window")
            if assignee is not None:
                _check_assignee(s, assignee, window or current.get("window") or "")
            row = runner.reassign(
                s, task_id, actor=actor(), assignee=assignee, window=window, note=form.get("note") or ""
            )
            return _(
                "任务「%(task)s」已改派给 %(who)s（%(window)s）",
                task=row.name, who=row.assignee or _("窗口待认领"), window=row.window or "-",
            )  # fmt: skip

        return perform(act, success=_("已改派"), back=self._back(instance_id))

    @expose("/<int:instance_id>/message", methods=("POST",))
    def message(self, instance_id: int) -> Response:
        require_admin()
        name = (request.form.get("name") or "").strip()
        text = request.form.get("payload")

        def act(s: Session) -> str:
            payload = json_object(text, _("消息内容"))
            instance = runner.get_instance(s, instance_id)
            runner.deliver_message(s, name, instance.business_key, payload, actor=actor())
            return _("消息 %(name)s 已送达办件 %(key)s", name=name, key=instance.business_key)

        return perform(act, success=_("消息已送达"), back=self._back(instance_id))

    @expose("/<int:instance_id>/migrate", methods=("POST",))
    def migrate(self, instance_id: int) -> Response:
        require_admin()
        try:
            version = int(request.form.get("version") or "")
        except ValueError:
            version = 0

        def act(s: Session) -> str:
            if version < 1:
                raise runner.InvalidInput("请选择目标版本 (choose a target version)", field="version")
            runner.migrate_instance(s, instance_id, version, actor=actor())
            return _("已迁移到版本 %(version)s", version=version)

        return perform(act, success=_("已迁移"), back=self._back(instance_id))

    # ---- helpers -------------------------------------------------------------------------------

    def _url(self, instance_id: int) -> str:
        return url_for(".detail", instance_id=instance_id)

    def _back(self, instance_id: int) -> str:
        """Where an action returns: the console page it was sent from, else the detail page."""
        return safe_next(self._url(instance_id))


def _check_assignee(s: Session, assignee: str, window: str) -> None:
    """改派 gives a task only to an enabled clerk or head of the window it will be in (another window's
    clerk: choose that window too), like 转办 and 批量转交."""
    person = runner.people.directory.get_person(s, assignee)
    if person is None:
        raise runner.InvalidInput(f"没有用户 {assignee} (no such user)", field="assignee")
    if not person.is_active:
        raise runner.InvalidInput(
            f"用户 {assignee} 已停用，不能承办任务 (the user {assignee} is disabled and cannot be given tasks)",
            field="assignee",
        )
    if not runner.people.directory.works_in(s, assignee, window):
        raise runner.InvalidInput(
            f"{assignee} 不是窗口 {window} 的办事员或负责人，请同时选择其所在窗口 "
            f"({assignee} is not a clerk or head of window {window}; choose their window too)",
            field="assignee",
        )


def _done(_: Any) -> None:
    """Actions whose success message is fixed."""
    return None


def _overdue(view: dict[str, Any]) -> bool:
    """Past its promised deadline while open and its clock running (as the list's 时限 filter)."""
    deadline = view.get("deadline")
    if not deadline or view.get("paused_since") or view["status"] not in ("running", "waiting", "error"):
        return False
    return is_late(services().now(), datetime.fromisoformat(deadline))
