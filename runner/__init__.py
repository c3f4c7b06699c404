"""The engine service: the only door to SpiffWorkflow and the engine tables.

Open a unit of work with ``Services.transaction()`` and call these functions with its session;
the caller's transaction commits once, and jobs are sent only after the commit.
"""

from __future__ import annotations

from . import assessment, directory, statistics
from .arrangements import ArrangementInvalid, list_arrangements
from .arrangements import parse as parse_arrangement
from .assessment import decide_appeal
from .audit import verify as verify_audit
from .calendar import BusinessCalendar, pending_note
from .calendar_alarm import current_alarm as calendar_alarm
from .calendar_alarm import watch as watch_calendar
from .calendar_import import import_arrangement, preview_arrangement
from .clock import Clock, FileClock, ManualClock, SystemClock
from .config import Settings
from .cosign import add_reviewer, remove_reviewer, review_blocks
from .definitions import deploy, get_definition, latest_definition, list_definitions
from .drafts import (
    check_draft,
    deploy_draft,
    describe_draft,
    discard_draft,
    get_draft,
    list_drafts,
    new_draft,
    open_draft,
    save_draft,
)
from .engine import open_incidents
from .exceptions import (
    CalendarDataMissing,
    ConcurrentUpdate,
    Conflict,
    DiagramInvalid,
    DuplicateBusinessKey,
    IncidentRaised,
    InstanceNotActive,
    InvalidInput,
    NoSuchDefinition,
    NoSuchInstance,
    NoSuchTask,
    NotFound,
    PermissionDenied,
    RunnerError,
    ScriptError,
    TaskAlreadyClaimed,
    TaskNotReady,
    UnknownCorrelation,
)
from .extensions import decide_extension, extension_state, pending_requests, request_extension
from .extensions import get_request as get_extension_request
from .form_drafts import (
    describe_form_draft,
    form_draft,
    known_form_keys,
    list_form_drafts,
    publish_form_draft,
    published_form_keys,
    published_form_schema,
    save_form_draft,
    withdraw_form_schema,
)
from .instances import (
    acknowledge_warning,
    describe,
    extend,
    migration_preview,
    resume,
    retry,
    start,
    suspend,
    terminate,
)
from .instances import get as get_instance
from .instances import migrate as migrate_instance
from .messages import deliver_message
from .models import InstanceStatus, TimerStatus
from .operations import (
    answer_delegation,
    completed_by,
    copies_for,
    copy_item,
    delegate,
    notifications_for,
    returnable_steps,
    send_back,
    urge,
    withdraw,
)
from .overrides import deadline_effects as calendar_override_effects
from .overrides import set_override as set_calendar_override
from .proxies import active_proxy, end_proxy, list_proxies, set_proxy
from .recalculation import fill_in_known_years
from .senders import LogFileSender, Sender, SmtpSender, send_notification, sender_from_settings
from .services import Services
from .tasks import claim, complete, inbox_page, instance_tasks, list_tasks, reassign, task_details, unclaim
from .timers import due_timers, fire_due, fire_timer, sweep
from .views import instance_summary
from .warning_events import get_warning, item_warnings, warnings_for
from .warning_rule_edits import save_warning_rule
from .warning_rules import add_warning_rule, list_warning_rules, seed_warning_rules, sync_rule_timers
from .windows import known_windows, list_windows, upsert_windows

__all__ = [
    "ArrangementInvalid",
    "calendar_alarm",
    "fill_in_known_years",
    "import_arrangement",
    "list_arrangements",
    "parse_arrangement",
    "pending_note",
    "preview_arrangement",
    "watch_calendar",
    "completed_by",
    "get_extension_request",
    "decide_extension",
    "extension_state",
    "pending_requests",
    "request_extension",
    "get_warning",
    "item_warnings",
    "warnings_for",
    "check_draft",
    "deploy_draft",
    "describe_draft",
    "discard_draft",
    "get_draft",
    "list_drafts",
    "new_draft",
    "open_draft",
    "save_draft",
    "describe_form_draft",
    "form_draft",
    "list_form_drafts",
    "publish_form_draft",
    "published_form_keys",
    "known_form_keys",
    "open_incidents",
    "published_form_schema",
    "save_form_draft",
    "withdraw_form_schema",
    "add_reviewer",
    "remove_reviewer",
    "review_blocks",
    "LogFileSender",
    "Sender",
    "SmtpSender",
    "active_proxy",
    "add_warning_rule",
    "end_proxy",
    "list_proxies",
    "list_warning_rules",
    "seed_warning_rules",
    "send_notification",
    "sender_from_settings",
    "set_proxy",
    "sync_rule_timers",
    "acknowledge_warning",
    "extend",
    "withdraw",
    "urge",
    "send_back",
    "returnable_steps",
    "notifications_for",
    "delegate",
    "copy_item",
    "copies_for",
    "answer_delegation",
    "BusinessCalendar",
    "CalendarDataMissing",
    "Clock",
    "ConcurrentUpdate",
    "Conflict",
    "DiagramInvalid",
    "DuplicateBusinessKey",
    "FileClock",
    "IncidentRaised",
    "InstanceNotActive",
    "InstanceStatus",
    "InvalidInput",
    "ManualClock",
    "NoSuchDefinition",
    "NoSuchInstance",
    "NoSuchTask",
    "NotFound",
    "PermissionDenied",
    "RunnerError",
    "ScriptError",
    "Services",
    "Settings",
    "SystemClock",
    "TaskAlreadyClaimed",
    "TaskNotReady",
    "TimerStatus",
    "UnknownCorrelation",
    "calendar_override_effects",
    "claim",
    "complete",
    "deliver_message",
    "deploy",
    "describe",
    "directory",
    "due_timers",
    "fire_due",
    "fire_timer",
    "get_definition",
    "inbox_page",
    "get_instance",
    "instance_summary",
    "known_windows",
    "latest_definition",
    "list_definitions",
    "instance_tasks",
    "list_tasks",
    "list_windows",
    "migrate_instance",
    "migration_preview",
    "reassign",
    "resume",
    "retry",
    "set_calendar_override",
    "start",
    "suspend",
    "sweep",
    "task_details",
    "terminate",
    "unclaim",
    "upsert_windows",
    "verify_audit",
    "assessment",
    "statistics",
    "decide_appeal",
    "save_warning_rule",
]
