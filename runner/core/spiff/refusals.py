"""SpiffWorkflow's refusals of a diagram in both languages: its English message, led by Chinese chosen by kind.

The parser (``ValidationException`` and the other ``SpiffWorkflowException``) writes English only. Each kind it
writes is matched here and given its Chinese (the values it names kept); a kind not in the table gets a
general Chinese lead that names the element. The element id, file and line stay in the problem itself
(``runner.core.definitions``).
"""

from __future__ import annotations

import re

from SpiffWorkflow.exceptions import SpiffWorkflowException

from runner.bilingual import both, is_bilingual, joined

# (the English as SpiffWorkflow writes it, the Chinese with the same named groups)
KINDS: tuple[tuple[str, str], ...] = (
    (r"Could not find messageRef from message event definition: (?P<x>.*)", "找不到消息事件定义引用的消息 {x}"),
    (r"There is no support implemented for this task type", "平台不支持此类任务"),
    (r"Process (?P<x>.*) is not executable", "流程 {x} 未标记为可执行"),
    (r"No start event found", "没有开始事件"),
    (r"Sequential ordering for ad hoc subprocesses not supported", "不支持按顺序执行的自由子流程（ad hoc）"),
    (r"Ad hoc subprocesses may not contain start or end events", "自由子流程（ad hoc）中不能有开始或结束事件"),
    (r"Message identifier is missing from correlation property: (?P<x>.*)", "关联属性 {x} 的取值表达式未指明消息"),
    (r"Correlation is missing correlation property retrieval expressions: (?P<x>.*)", "关联属性 {x} 没有取值表达式"),
    (r"Message identifier is missing from bpmn xml", "消息（bpmn:message）没有 id"),
    (r"Signal identifier is missing from bpmn xml", "信号（bpmn:signal）没有 id"),
    (r"Error identifier is missing from bpmn xml", "错误（bpmn:error）没有 id"),
    (r"Escalation identifier is missing from bpmn xml", "升级（bpmn:escalation）没有 id"),
    (r"Correlation identifier is missing from bpmn xml", "关联属性没有 id"),
    (r"Data Store identifier is missing from bpmn xml", "数据存储没有 id"),
    (r"Data Store name is missing from bpmn xml", "数据存储没有名称"),
    (r"Data Store with name (?P<x>.*) has no implementation", "数据存储 {x} 没有实现"),
    (r"Duplicate process ID: (?P<x>.*)", "流程 id {x} 重复"),
    (r"The process '(?P<x>[^']*)' was not found", "找不到流程 {x}"),
    (r"Conditional event definition with missing condition", "条件事件没有条件"),
    (r"Unknown Time Specification", "无法识别的定时器设置"),
    (r"Time Specification Error", "定时器设置有误"),
    (r"Cannot resolve dataInputAssociation (?P<x>.*)", "无法解析数据输入关联 {x}"),
    (r"Cannot resolve dataOutputAssociation (?P<x>.*)", "无法解析数据输出关联 {x}"),
    (r"Non-default exclusive outgoing sequence flow without condition", "网关流出的非默认顺序流没有条件"),
    (r"Exactly one start event is required in a SubWorkflow Task; found (?P<x>\w+)", "子流程须恰有一个开始事件，现有 {x} 个"),
    (r"A SubWorkflow Must contain an End event", "子流程须有结束事件"),
    (r'No "calledElement" attribute for Call Activity', "调用活动没有 calledElement（被调用流程的 id）"),
    (r"Invalid Script Task\.\s+No Script Provided", "脚本任务没有脚本"),
    (r"A Service Task must have an operator", "服务任务须指定操作（operator）"),
    (r"No decisions found", "DMN 文件中没有决策"),
    (r"Multiple decision tables are not current supported", "不支持一个决策中有多个决策表"),
    (r"Unknown type in decision table: (?P<x>.*)", "决策表中有未知的元素 {x}"),
    (r"Malformed Output Expression '(?P<x>[^']*)'", "决策表的输出表达式 {x} 格式有误"),
    (r'No DMN Diagram available with id "(?P<x>[^"]*)"', "没有 id 为 {x} 的 DMN 决策"),
    (r"A loopMaximum or loopCondition must be specified for Loop Tasks", "循环任务须指定 loopMaximum 或 loopCondition"),
    (r"must specify a cardinality or a", "多实例任务须指定实例数（loopCardinality）或输入集合（loopDataInputRef）"),
    (r"must specify exactly one of cardinality or loop input", "多实例任务只能指定实例数与输入集合其中之一"),
    (r"The loop input data reference is missing from the IO specification", "输入/输出规范中缺少循环的输入数据引用"),
    (r"The loop output data reference is missing from the IO specification", "输入/输出规范中缺少循环的输出数据引用"),
    (r"Cancel Events may only be used with transactions", "取消事件只能用于事务子流程"),
    (r"Multiple outgoing flows are not supported for tasks of type", "此类任务不能有多条流出的顺序流"),
    (r"we found two items, perhaps a form has the same ID", "找到两个同 id 的元素"),
    (r"Expected an? (?P<x>Message|Signal|Error|Escalation) node", "引用的不是 {x} 元素"),
)  # fmt: skip
_KINDS = tuple((re.compile(english, re.I), chinese) for english, chinese in KINDS)
_OWN = re.compile(
    r"(?P<id>[^\s:]+): (?P<message>.*)", re.S
)  # runner.core.spiff.parser: "<id>: 中文 (English)"


def english(exc: SpiffWorkflowException) -> str:
    """What SpiffWorkflow says, without the empty note separator it appends."""
    text = str(exc).strip()
    return text[:-1].rstrip() if text.endswith(".") and not exc.notes else text


def chinese(message: str, element: str | None) -> str:
    """The Chinese for SpiffWorkflow's ``message``, by its kind."""
    for pattern, zh in _KINDS:
        found = pattern.search(message)
        if found:
            return zh.format(**{k: v.strip().rstrip(".") for k, v in found.groupdict().items()})
    where = f"元素 {element} " if element else ""
    return f"流程引擎无法读取此流程图：{where}不符合引擎的要求"


def refusal(exc: SpiffWorkflowException, element: str | None) -> str:
    """SpiffWorkflow's refusal as one ``中文 (English)`` message (a message of the platform's own, raised through
    the engine's exception, is kept as it is)."""
    message = english(exc)
    own = _OWN.fullmatch(message)
    if own and is_bilingual(own.group("message")):
        return joined(own.group("id"), own.group("id"), own.group("message"), sep=(": ", ": "))
    if is_bilingual(message):
        return message
    return both(chinese(message, element), message)
