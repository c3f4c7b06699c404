"""The words of the console's scripts (``admin/static/**.js`` call ``T("中文")``), translated from the Babel
catalogue and rendered into every console page as JSON (``#console-words``, read by ``admin/static/words.js``).

``tests/web/test_translations.py`` checks that every ``T(...)`` of the scripts is listed here (and so extracted
into the catalogue with the ``N_`` keyword).
"""

from __future__ import annotations

from flask_babel import gettext


def N_(text: str) -> str:  # noqa: N802 - babel's keyword for a string marked but not translated here
    """Mark ``text`` for extraction."""
    return text


SCRIPT_WORDS: tuple[str, ...] = (
    N_("无法连接服务器 ("),
    N_("页面已过期，请复制内容后刷新页面"),
    N_("服务器返回 "),
    N_("示例数据不是合法的 JSON："),
    N_("更新中……"),
    N_("（{n} 个字段）"),
    N_("有未保存的修改。"),
    N_("第 {n} 版草稿"),
    N_("工作台使用控制台发布的第 {n} 版"),
    N_("冲突："),
    N_("保存失败："),
    N_("草稿已保存（第 "),
    N_(" 版），但定义有误，不能发布："),
    N_(" 版）。"),
    N_("未发布："),
    N_("已发布第 "),
    N_(" 版：工作台的新任务立即使用此表单。"),
    N_("撤销发布？工作台将改用表单文件（如有）。"),
    N_("未撤销："),
    N_("已撤销发布"),
    N_("已撤销发布。"),
    N_("流程图已载入，但有 "),
    N_(" 处内容未能识别，保存时可能丢失："),
    N_("此草稿已关闭，只能查看。"),
    N_("已载入第 "),
    N_(" 次保存的草稿。"),
    N_("无法连接服务器，修改仍在页面中，请稍后再保存 ("),
    N_("页面已过期（安全令牌失效），请先下载流程图再刷新页面"),
    N_("第 {n} 次保存"),
    N_("下载我的版本"),
    N_("载入最新版本（放弃我的修改）"),
    N_(" 次）。"),
    N_("正在校验……"),
    N_("校验失败："),
    N_("校验通过（第 "),
    N_(" 次保存）"),
    N_("，有 "),
    N_(" 条提示。"),
    N_("，可以部署。"),
    N_("校验发现 "),
    N_(" 处错误，已在图中标出；点击列表中的一项可选中对应元素。"),
    N_("将第 "),
    N_(" 次保存的草稿部署为流程 "),
    N_(" 的新版本？"),
    N_("正在部署……"),
    N_("已部署为版本 "),
    N_("内容与版本 "),
    N_(" 相同，未生成新版本。"),
    N_(" 草稿已关闭；再次修改请从流程列表打开。"),
    N_("返回流程列表"),
    N_("未部署："),
    N_('<li class="text-success" id="no-problems">没有发现问题。</li>'),
    N_("错误"),
    N_("提示"),
    N_(" · 第 {n} 行"),
    N_("有未保存的修改（"),
    N_(" 秒后自动保存）。"),
    N_("没有需要保存的修改（第 "),
    N_(" 次保存）。"),
    N_("流程图无法载入："),
    N_("主办窗口（动态）"),
    N_("相关窗口（动态）"),
    N_("申请人（无窗口）"),
    N_("系统（无窗口）"),
    N_("天数不能为负 (must not be negative)"),
    N_("请填写整数个工作日，如 5 (a whole number of working days, e.g. 5)"),
    N_(
        "请填写整数个工作日（如 3），或按办件数据计算的表达式（如 review_days） (a whole number such as 3, or an expression over the item's data)"  # noqa: E501
    ),
    N_("（未知）"),
    N_("选择一个元素以编辑它的平台属性（窗口、表单、时限、超时处理）。"),
    N_("名称"),
    N_("不在任何泳道中（交给默认窗口）"),
    N_(" ← 泳道 "),
    N_("泳道 "),
    N_(" 未指明窗口（交给默认窗口）"),
    N_("泳道窗口："),
    N_("（按泳道）"),
    N_("窗口 window"),
    N_("指定后覆盖泳道的窗口"),
    N_("如 related_window"),
    N_("窗口表达式 windowExpr"),
    N_("表单 formKey"),
    N_("不填则使用通用办理表单（意见、是否同意）"),
    N_("工作日数，或表达式"),
    N_("时限（工作日）limitDays"),
    N_("给出到期时间的表达式"),
    N_("期限表达式 dueExpr"),
    N_("（无）"),
    N_("默认议定（视为同意并问责）"),
    N_("上报督查"),
    N_("超时处理 onTimeout"),
    N_("流程 {id} 的办件属性"),
    N_("（未指定）"),
    N_("办件类型 itemKind"),
    N_("承诺时限（工作日）promisedDays"),
    N_("法定时限（工作日）statutoryDays"),
    N_("默认主办窗口 leadWindow"),
    N_("（否）"),
    N_("需要上级审批"),
    N_("不需要"),
    N_("上级审批 upperApproval"),
    N_("默认窗口 defaultWindow"),
    N_("泳道和属性都未指明窗口的任务交给它"),
    N_("（请选择）"),
    N_("泳道的窗口"),
    N_("泳道标识写作 lane_<窗口代码>"),
    N_("按泳道名称选择窗口："),
    N_("泳道名称对应多个窗口，未选择："),
    N_("对应的窗口已关闭，部署将被拒绝："),
    N_("已有泳道 "),
    N_("：一个窗口只能有一条泳道 (lane "),
    N_("流程图组件未加载（bpmn-js missing: run npm ci）"),
    N_('<p class="diagram-note">该流程文件没有图形布局信息（no diagram layout in the BPMN file）</p>'),
    N_("当前位置"),
    N_("流程图无法显示（cannot show the diagram）："),
)


def script_words() -> dict[str, str]:
    """Each script word in the page language, where it differs from the word itself: its translation, or in
    Chinese the Chinese half of a message written "中文 (English)"."""
    from forms.language import pick
    from web.i18n import user_message

    english = pick("zh", "en") == "en"
    said = {w: gettext(w) if english else user_message(w) for w in SCRIPT_WORDS}
    return {w: t for w, t in said.items() if t != w}
