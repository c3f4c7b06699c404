"""The engine service: the only door to SpiffWorkflow and the engine tables.

Open a unit of work with ``Services.transaction()`` and call these functions with its session;
the caller's transaction commits once, and jobs are sent only after the commit.
"""

from __future__ import annotations

# 好差评: importing the rectification room registers its step follower (an after-save hook, runner.core.hooks)
from runner.applicants.rectification import founded_bad_ratings
from runner.clock import Clock, FileClock, ManualClock, SystemClock
from runner.config import Settings
from runner.core.audit import verify as verify_audit
from runner.core.definitions import deploy, get_definition, latest_definition, list_definitions
from runner.core.engine import open_incidents
from runner.core.services import Services
from runner.core.timers import due_timers, fire_due, fire_timer, sweep
from runner.design.drafts import (
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
from runner.design.form_drafts import (
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
from runner.exceptions import (
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
from runner.items import party_notices  # its hooks tell the parties of an item (runner.core.hooks)
from runner.items.cosign import add_reviewer, remove_reviewer, review_blocks
from runner.items.extensions import decide_extension, extension_state, pending_requests, request_extension
from runner.items.extensions import get_request as get_extension_request
from runner.items.instances import (
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
from runner.items.instances import get as get_instance
from runner.items.instances import migrate as migrate_instance
from runner.items.messages import deliver_message
from runner.items.operations import (
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
from runner.items.signals import Broadcast, broadcast_signal, check_signal
from runner.items.tasks import (
    claim,
    complete,
    inbox_items,
    inbox_page,
    instance_tasks,
    list_tasks,
    reassign,
    task_details,
    unclaim,
    wait_for_item_writer,
)
from runner.items.views import instance_summary
from runner.models import InstanceStatus, TimerStatus
from runner.online import counter as online_counter  # its hook finishes an online application with its item
from runner.papers import document_issuing  # its hook issues a notice where the diagram asks
from runner.people import directory
from runner.people.proxies import active_proxy, end_proxy, list_proxies, set_proxy
from runner.people.windows import known_windows, list_windows, upsert_windows
from runner.senders import LogFileSender, Sender, SmtpSender, send_notification, sender_from_settings
from runner.supervision import assessment, statistics
from runner.supervision.assessment import decide_appeal
from runner.supervision.warning_events import get_warning, item_warnings, warnings_for
from runner.supervision.warning_rule_edits import save_warning_rule
from runner.supervision.warning_rules import (
    add_warning_rule,
    list_warning_rules,
    seed_warning_rules,
    sync_rule_timers,
)
from runner.timekeeping.arrangements import ArrangementInvalid, list_arrangements
from runner.timekeeping.arrangements import decode as decode_arrangement
from runner.timekeeping.arrangements import parse as parse_arrangement
from runner.timekeeping.calendar import BusinessCalendar, pending_note
from runner.timekeeping.calendar_alarm import current_alarm as calendar_alarm
from runner.timekeeping.calendar_alarm import watch as watch_calendar
from runner.timekeeping.calendar_import import import_arrangement, preview_arrangement
from runner.timekeeping.overrides import deadline_effects as calendar_override_effects
from runner.timekeeping.overrides import removal_effects as calendar_override_removal_effects
from runner.timekeeping.overrides import remove_override as remove_calendar_override
from runner.timekeeping.overrides import set_override as set_calendar_override
from runner.timekeeping.recalculation import fill_in_known_years

__all__ = [
    "founded_bad_ratings",
    "ArrangementInvalid",
    "calendar_alarm",
    "fill_in_known_years",
    "import_arrangement",
    "list_arrangements",
    "decode_arrangement",
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
    "calendar_override_removal_effects",
    "claim",
    "complete",
    "deliver_message",
    "broadcast_signal",
    "check_signal",
    "Broadcast",
    "deploy",
    "describe",
    "directory",
    "document_issuing",
    "online_counter",
    "party_notices",
    "due_timers",
    "fire_due",
    "fire_timer",
    "get_definition",
    "inbox_items",
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
    "remove_calendar_override",
    "set_calendar_override",
    "start",
    "suspend",
    "sweep",
    "task_details",
    "wait_for_item_writer",
    "terminate",
    "unclaim",
    "upsert_windows",
    "verify_audit",
    "assessment",
    "statistics",
    "decide_appeal",
    "save_warning_rule",
]
