"""When a diagram's own content fails while the engine steps: which task it failed at, what to tell people,
and how a retry runs it again.

SpiffWorkflow raises from wherever the content broke — a script (``WorkflowTaskException`` naming its task), a
condition, a timer expression, or plain Python errors from the engine's own code fed bad data (a multi-instance
activity over a collection nobody set raises ``TypeError`` while its task is being prepared, before it ever
runs). ``failing_task`` finds the task either way; ``describe`` says what went wrong in the platform's words,
naming the element and the variable; ``hold`` puts a task that failed before it ran into the error state, so
that the item shows the incident and ``retry_step`` can prepare it again once the data is fixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

# internal data of a task held in error before it ran (its preparation, not its work, failed)
FAILED_BEFORE_RUN = "banjian_failed_before_run"


def failing_task(exc: BaseException) -> Task | None:
    """The task ``exc`` was raised for: the one it names, else the innermost engine frame's ``my_task``."""
    named = getattr(exc, "task", None)
    if isinstance(named, Task):
        return named
    found = None
    trace = exc.__traceback__
    while trace is not None:
        candidate = trace.tb_frame.f_locals.get("my_task")
        if isinstance(candidate, Task):
            found = candidate
        trace = trace.tb_next
    return found


def task_name(task: Task) -> str:
    """The name the diagram gives a task's element (a multi-instance activity's is on its instances' spec)."""
    spec = task.task_spec
    name = getattr(spec, "bpmn_name", None)
    if not name and isinstance(spec, MultiInstanceTask):
        name = getattr(spec._wf_spec.task_specs.get(spec.task_spec), "bpmn_name", None)
    return str(name or getattr(spec, "bpmn_id", None) or spec.name)


def element_of(task: Task) -> str:
    """``“审查” (review)``: a task's name and BPMN id, as messages name an element."""
    ident = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
    name = task_name(task)
    return f"“{name}” ({ident})" if name != ident else f"“{ident}”"


def _collection_problem(task: Task, exc: BaseException) -> str | None:
    """A multi-instance activity whose collection is missing or not a list."""
    spec = task.task_spec
    reference = getattr(spec, "data_input", None)
    if not isinstance(spec, MultiInstanceTask) or reference is None:
        return None
    variable = getattr(reference, "bpmn_id", None) or getattr(reference, "name", None) or "?"
    try:
        value = reference.get(task)
    except Exception:  # noqa: BLE001 - a data object that cannot be read is as good as missing
        value = None
    if value is None:
        return (
            f"多实例活动 {element_of(task)} 要遍历的集合 {variable} 在办件数据中不存在，请补充后重试 "
            f"(the multi-instance activity loops over {variable!r}, which the item's data does not have; "
            f"retry with it set, e.g. {{{variable!r}: [...]}})"
        )
    if not isinstance(value, Iterable) or isinstance(value, str):
        return (
            f"多实例活动 {element_of(task)} 要遍历的 {variable} 不是列表 "
            f"(the multi-instance activity loops over {variable!r}, which is {type(value).__name__} "
            f"{value!r:.60}, not a list)"
        )
    return None


def _missing_name(exc: BaseException) -> str | None:
    """The variable a ``NameError`` (possibly wrapped by SpiffWorkflow) did not find."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, NameError) and getattr(cause, "name", None):
            return str(cause.name)
        cause = getattr(cause, "exception", None) or cause.__cause__
    return None


# SpiffWorkflow's own words for what stops an item, in the platform's (Chinese, then English)
ENGINE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^No conditions satisfied"),
        "网关的各分支条件都不成立，且没有默认分支：请检查办件数据，或给网关加一条默认分支后重试 "
        "(no outgoing flow's condition holds and the gateway has no default flow: check the item's data, "
        "or give the gateway a default flow, then retry)",
    ),
    (
        re.compile(r"^Multiinstance (input|output) item (?P<name>\S+) already exists"),
        "多实例活动的项 {name} 与办件数据中已有的变量同名：请在流程图中改用别的名称 "
        "(the multi-instance's item {name!r} has the name of a variable already in the item's data: "
        "rename it in the diagram)",
    ),
    (
        re.compile(r"^Missing data (input|ouput|output)"),
        "任务所需的数据在办件数据中不存在：请补充后重试 (data the task needs is missing from the item's data: "
        "add it, then retry)",
    ),
    (
        re.compile(r"^Error evaluating expression (?P<expr>'.*?')"),
        "表达式 {expr} 求值出错 (the expression {expr} failed)",
    ),
    (
        re.compile(r"^Invalid (duration|recurring interval)"),
        '定时器的时间值无效：请写 ISO 8601 时长（如 "PT2H"、"P3D"）或重复周期（如 "R3/PT1H"） '
        '(the timer\'s value is not valid: write an ISO 8601 duration such as "PT2H" or "P3D", '
        'or a cycle such as "R3/PT1H")',
    ),
)
GENERAL_LEAD = (
    "流程引擎执行出错，请检查流程图或办件数据后重试 "
    "(the engine failed; check the diagram or the item's data, then retry)"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def lead_for(error: str) -> str | None:
    """What an engine error means, in Chinese and English, to put before it: SpiffWorkflow's known messages by
    their meaning, any other without Chinese under a general lead; None for an error in Chinese already."""
    for pattern, words in ENGINE_MESSAGES:
        found = pattern.search(error)
        if found:
            return words.format(**found.groupdict())
    return None if CJK.search(error) else GENERAL_LEAD


def describe(exc: BaseException, task: Task | None) -> str:
    """What failed, for the incident, in the platform's words: the element, the variable, the error."""
    if task is not None:
        problem = _collection_problem(task, exc)
        if problem:
            return problem
    error = str(exc) or type(exc).__name__
    message = error
    if not hasattr(exc, "task") and task is not None:  # a plain Python error from inside the engine
        message = f"{element_of(task)}: {type(exc).__name__}: {message}"
    lead = lead_for(error)
    if lead:
        message = f"{lead}\n{message}"
    for note in getattr(exc, "__notes__", []) or []:
        if note not in message:
            message += f"\n{note}"
    missing = _missing_name(exc)
    if missing and f"'{missing}'" in message:
        message += f"\n办件数据中没有 {missing} (the item's data has no {missing!r})"
    return message


def hold(task: Task | None) -> None:
    """Leave a task that failed in the error state, for the item to show and a retry to take up.

    The engine does so itself for a task that fails while it runs. A ready task (its projection failed: the
    window or due time of a person's task) is held as it is; one that failed while being prepared (a future or
    waiting task: a multi-instance activity's collection, a timer's expression) is marked so that a retry
    prepares it again. A started block (a multi-instance activity with instances running) is left alone.
    """
    if (
        task is None
        or task.state in (TaskState.ERROR, TaskState.STARTED)
        or task.has_state(TaskState.FINISHED_MASK)
    ):
        return
    if task.state != TaskState.READY:
        task.internal_data[FAILED_BEFORE_RUN] = True
    task._set_state(TaskState.ERROR)


def retry_step(task: Task, data: dict[str, Any] | None) -> Callable[[], None]:
    """Make a failed task ready to go again with ``data`` merged in; what to call, inside the engine's step,
    to go on (a task that failed before it ran is prepared again from its predecessor's data)."""
    if data:
        task.data.update(data)
    if not task.internal_data.pop(FAILED_BEFORE_RUN, False):
        task._set_state(TaskState.READY)
        return lambda: None
    if data and task.parent is not None:
        task.parent.data.update(data)  # a task being prepared takes its predecessor's data again
    task._set_state(TaskState.FUTURE)
    return lambda: task.task_spec._update(task)
