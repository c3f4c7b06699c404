"""What the codes the platform stores are called, in Chinese and English: the kinds of in-app message
(``notifications.kind``) and the actions of the audit trail (``audit_log.action``). Pages show these words,
never the codes; ``tests/runner/items/test_labels.py`` fails on a code used in the source without both words."""

from __future__ import annotations

MESSAGE_KINDS: dict[str, tuple[str, str]] = {
    "new_task": ("新任务", "New task"),
    "urge": ("催办", "Urged"),
    "warning": ("预警", "Warning"),
    "copy": ("抄送", "Copy"),
    "returned": ("退回", "Sent back"),
    "delegated": ("委派", "Delegated"),
    "delegation_withdrawn": ("委派已撤销", "Request for opinion withdrawn"),
    "online": ("网上申报", "Online application"),
    "otp": ("验证码", "One-time code"),
    "delegation_answered": ("委派意见", "Delegate's opinion"),
    "extension_requested": ("延期申请", "Extension requested"),
    "extension_decided": ("延期审批结果", "Extension decided"),
    "calendar_missing": ("节假日安排缺失", "Holiday calendar missing"),
    "cosign": ("加签 / 减签", "Reviewer added / removed"),
    "deemed_assent": ("默认议定", "Deemed assent"),
    "meeting_invitation": ("联审通知", "Meeting invitation"),
    "meeting_reply": ("联审回执", "Meeting reply"),
    "meeting_minutes": ("联审纪要", "Meeting minutes"),
    "notice": ("通知", "Notice"),
}

AUDIT_ACTIONS: dict[str, tuple[str, str]] = {
    "absence_ended": ("结束请假", "Absence ended"),
    "absence_marked": ("登记请假（AB岗）", "Absence recorded"),
    "accepted_on_receipt": ("收件即受理", "Accepted on receipt"),
    "add_reviewer": ("加签", "Reviewer added"),
    "appeal_decided": ("申诉裁决", "Appeal decided"),
    "appeal_filed": ("提出申诉", "Appeal filed"),
    "assessment_rule_created": ("新增考核规则", "Assessment rule created"),
    "assessment_scheme_activated": ("启用考核方案", "Assessment scheme put in force"),
    "assessment_scheme_saved": ("保存考核方案", "Assessment scheme saved"),
    "assigned_to_head": ("交窗口负责人", "Assigned to the window head"),
    "assignee_disabled": ("指定经办人已停用，交窗口", "Named clerk disabled: left to the window"),
    "calendar_alarm": ("节假日安排告警", "Holiday calendar alarm"),
    "calendar_override": ("调整工作日", "Working day changed"),
    "calendar_override_removed": ("撤销工作日调整", "Working day change removed"),
    "calendar_recalculated": ("重算期限", "Deadlines recalculated"),
    "catalogue_file_stored": ("保存事项样表", "Blank form stored"),
    "catalogue_item_saved": ("保存事项（事项目录）", "Catalogue item saved"),
    "claim": ("认领", "Claimed"),
    "clock_paused": ("暂停计时", "Clock paused"),
    "clock_resumed": ("恢复计时", "Clock resumed"),
    "complete": ("办理", "Completed"),
    "copy": ("抄送", "Copied"),
    "deemed_assent": ("视为同意（默认议定）", "Deemed to assent"),
    "delegate": ("委派", "Delegated"),
    "delegation_answered": ("答复委派", "Delegation answered"),
    "delegation_withdrawn": ("撤销委派", "Request for opinion withdrawn"),
    "deploy": ("部署流程", "Diagram deployed"),
    "document_issued": ("出具文书", "Document issued"),
    "document_not_issued": ("文书未能随环节出具", "Document not issued with its step"),
    "document_reissued": ("重新出具文书", "Document re-issued"),
    "continued_delay_started": ("自动启动延期处理", "Delay handling started"),
    "draft_checked": ("校验草稿", "Draft checked"),
    "draft_deployed": ("部署草稿", "Draft deployed"),
    "draft_discarded": ("放弃草稿", "Draft discarded"),
    "draft_opened": ("打开草稿", "Draft opened"),
    "draft_saved": ("保存草稿", "Draft saved"),
    "extension": ("延期", "Extended"),
    "extension_approved": ("批准延期", "Extension approved"),
    "extension_refused": ("不批准延期", "Extension refused"),
    "extension_requested": ("申请延期", "Extension requested"),
    "form_schema_published": ("发布表单", "Form published"),
    "form_schema_saved": ("保存表单", "Form saved"),
    "form_schema_withdrawn": ("撤下表单", "Form withdrawn"),
    "holiday_arrangement_imported": ("导入节假日安排", "Holiday arrangement imported"),
    "incident": ("故障", "Incident"),
    "uncaught_error": ("错误无人捕获", "Uncaught error"),
    "intake_decision": ("收件决定", "Intake decision"),
    "materials_arrived": ("材料补齐登记", "Materials arrived"),
    "online_appointment_cancelled": ("取消预约", "Appointment cancelled"),
    "online_booked": ("预约窗口办理", "Appointment booked"),
    "online_no_show": ("预约未到", "Appointment missed"),
    "online_received": ("网上申报窗口收件", "Online application received"),
    "online_reviewed": ("网上申报预审", "Online application pre-reviewed"),
    "online_submitted": ("提交网上申报", "Online application submitted"),
    "signal": ("收到信号", "Signal received"),
    "slot_plan_saved": ("设置预约时段", "Appointment slots set"),
    "item_registered": ("收件登记", "Application registered"),
    "lead_window": ("指定主办窗口", "Lead window assigned"),
    "login": ("登录", "Logged in"),
    "login_failed": ("登录失败", "Login failed"),
    "login_locked": ("账号锁定", "Login locked"),
    "logout": ("退出登录", "Logged out"),
    "meeting_reply": ("联审会议回执", "Joint meeting reply"),
    "memberships_set": ("设置窗口与角色", "Windows and roles set"),
    "message": ("收到消息", "Message received"),
    "migrate": ("迁移版本", "Migrated"),
    "password_change_failed": ("修改密码失败", "Password change failed"),
    "password_changed": ("修改密码", "Password changed"),
    "password_set": ("重设密码", "Password set"),
    "proxied": ("代办", "Proxied"),
    "proxy_ended": ("结束委托", "Proxy ended"),
    "proxy_set": ("设置委托", "Proxy set"),
    "rated": ("满意度评价", "Rated"),
    "reassign": ("转办", "Handed over"),
    "rectification_approval": ("整改审批", "Rectification approval decision"),
    "rectification_waiting": ("差评整改待启动", "Rectification waiting to start"),
    "remove_reviewer": ("减签", "Reviewer removed"),
    "resume": ("恢复", "Resumed"),
    "retry": ("重试", "Retried"),
    "score_entered": ("记分录入", "Points entered"),
    "score_voided": ("记分作废", "Points voided"),
    "send_back": ("退回", "Sent back"),
    "start": ("收件", "Started"),
    "suspend": ("挂起", "Suspended"),
    "sweep": ("定时巡检", "Sweep"),
    "sweep_requested": ("请求巡检", "Sweep requested"),
    "terminate": ("终止", "Terminated"),
    "timer_armed": ("定时器生效", "Timer armed"),
    "timer_cancelled": ("取消定时器", "Timer cancelled"),
    "timer_fired": ("定时器触发", "Timer fired"),
    "unclaim": ("退回待认领", "Released"),
    "urge": ("催办", "Urged"),
    "user_created": ("新建用户", "User created"),
    "user_enabled": ("启用用户", "User enabled"),
    "user_disabled": ("停用用户", "User disabled"),
    "warning": ("预警", "Warning"),
    "warning_acknowledged": ("纠错回告", "Warning answered"),
    "warning_rule_created": ("新增预警规则", "Warning rule created"),
    "warning_rule_changed": ("修改预警规则", "Warning rule changed"),
    "window_saved": ("保存窗口", "Window saved"),
    "withdraw": ("撤回", "Withdrawn"),
}


def message_kind(code: str, english: bool = False) -> str:
    """The word for a message kind (the code itself only for a kind nobody named)."""
    return _word(MESSAGE_KINDS, code, english)


def audit_action(code: str, english: bool = False) -> str:
    """The word for an audit action (the code itself only for an action nobody named)."""
    return _word(AUDIT_ACTIONS, code, english)


# the item kinds (五件 and the rest; runner/conventions.py ITEM_KINDS gives the Chinese name → code)
ITEM_KIND_WORDS: dict[str, tuple[str, str]] = {
    "immediate": ("即办件", "Immediate"),
    "promised": ("承诺件", "Promised"),
    "correction": ("补正", "Correction"),
    "tolerant": ("容缺受理", "Accepted with items owed"),
    "refusal": ("退回件", "Refused"),
    "joint": ("联办件", "Joint"),
    "escalated": ("上报件", "Escalated"),
    "extension": ("延期", "Extension"),
    "complaint": ("投诉", "Complaint"),
    "rectification": ("差评整改", "Rectification of a bad rating"),
}


def item_kind(code: str, english: bool = False) -> str:
    """The word for an item kind (the code itself for an unknown one)."""
    return _word(ITEM_KIND_WORDS, code, english)


# the catalogue's closed vocabularies, stored in Chinese in an item's content (runner/catalogue/body.py KINDS,
# FORMS, DELIVERY): the item kinds (五件, named as the items' own kinds are), the form a material is handed in,
# how the result is delivered
CATALOGUE_WORDS: dict[str, tuple[str, str]] = {
    **{
        ITEM_KIND_WORDS[code][0]: ITEM_KIND_WORDS[code]
        for code in ("immediate", "promised", "joint", "escalated")
    },
    "原件": ("原件", "Original"),
    "复印件": ("复印件", "Copy"),
    "原件及复印件": ("原件及复印件", "Original and copy"),
    "电子件": ("电子件", "Electronic"),
    "窗口领取": ("窗口领取", "Collect at the window"),
    "邮寄": ("邮寄", "By post"),
}


def catalogue_word(value: str, english: bool = False) -> str:
    """A stored value of the catalogue's vocabularies in one language (the value itself for one nobody named)."""
    return _word(CATALOGUE_WORDS, value, english)


# what raised a warning (``warnings.rule``): the centre's warning rules by level, a diagram's own warning, the law
WARNING_RULES: dict[str, tuple[str, str]] = {
    "rule:notice": ("预警规则（提示）", "Warning rule (notice)"),
    "rule:yellow": ("预警规则（黄牌）", "Warning rule (yellow card)"),
    "rule:red": ("预警规则（红牌）", "Warning rule (red card)"),
    "diagram": ("流程图设定的预警", "Set in the process diagram"),
    "online_prereview": ("网上申报预审时限", "Online pre-review time limit"),
    "行政许可法§32": ("行政许可法第三十二条", "Administrative Licensing Law, art. 32"),
}


def warning_rule(code: str | None, english: bool = False) -> str:
    """The words for what raised a warning (the code itself for one nobody named, e.g. a diagram's own)."""
    return _word(WARNING_RULES, code, english) if code else ""


def _word(table: dict[str, tuple[str, str]], code: str, english: bool) -> str:
    """The word for ``code`` in ``table`` in one language (the code itself for one nobody named)."""
    zh, en = table.get(code, (code, code))
    return en if english else zh
