"""The schemes of the seeds (001 政务服务管理局 documents, 004 正定县), as data with their sources.

A definition is plain JSON so that a centre can copy and edit it:

- ``full_score`` (百分制 100) and ``floor`` (a score never goes below it);
- ``sections``: ``code``, ``name``, ``max`` (the section's points) and ``cap`` (扣完为止: its deductions stop
  at ``max``), and ``rules``;
- a rule: ``code``, ``label``, ``event`` (what it reads, see ``events.EVENTS``; ``entered`` for 记分录入),
  ``points`` per unit (negative = deduction), or ``tiers`` for ``early_finish``, or ``points_range`` for an
  entered rule whose points the office fixes within a range; ``effect: "disqualify"`` takes away the award
  instead of points; ``bonus: true`` (a boolean) counts its points under the scheme's bonus cap, while a
  positive rule without it counts in full, outside the cap; ``source`` cites the seed;
- ``bonus_cap``: ``{"points": 20, "per": "quarter"}`` — the bonus rules' points summed over the quarter;
- ``only_windows`` / ``exclude_windows``: which windows (and their staff) the scheme assesses (``scope``);
- ``grades``: ``[{"name", "min"}]`` from the highest; ``award``: ``{"name", "min", "top_share"}`` or
  ``{"name", "top": 5}`` (最佳服务窗口 ≥ 90 and the top 20 %; 红旗窗口 the first 5).
"""

from __future__ import annotations

from typing import Any

from runner.supervision.assessment_schemes.scope import NON_SERVICE, SOURCE

SEED_001 = "seed 001 《政务服务中心服务窗口与工作人员考核办法》及其实施细则"
SEED_004 = "seed 004 《正定县乡镇（街道）便民服务中心考核办法（试行）》"

EARLY_TIERS = [
    {"min_share": 0.5, "points": 8},
    {"min_share": 0.3, "points": 5},
    {"min_share": 0.2, "points": 1.5},
]


def _rule(
    code: str, label: str, event: str, points: float = 0, source: str = "", **more: Any
) -> dict[str, Any]:
    return {"code": code, "label": label, "event": event, "points": points, "source": source, **more}


def _entered(code: str, label: str, points: float, source: str, **more: Any) -> dict[str, Any]:
    return _rule(code, label, "entered", points, source, **more)


BEST_WINDOW: dict[str, Any] = {
    "code": "best_window_001",
    "exclude_windows": NON_SERVICE,
    "scope_source": SOURCE,
    "name": "最佳服务窗口评选",
    "target": "window",
    "period": "month",
    "source": "seed 001 《最佳窗口单位评比考核办法》：每月评选一次，满分100分，评选面20%左右，90分以上名列前茅",
    "full_score": 100,
    "floor": 0,
    "award": {"name": "最佳服务窗口", "min": 90, "top_share": 0.2},
    "grades": [],
    "sections": [
        {"code": "volume", "name": "办件量与登记", "max": 20, "cap": True, "rules": [
            _entered("registration", "办件登记不规范、输入数据库不及时", -2, "二、1(1)"),
            _entered("falsified", "弄虚作假", 0, "二、1(2) 取消评选资格", effect="disqualify"),
        ]},
        {"code": "time_and_fees", "name": "按规定时限和收费标准办理", "max": 20, "cap": True, "rules": [
            _rule("late_day", "超承诺日办结，每一件一天扣3分", "late_day", -3, "二、2(1)"),
            _rule("early_finish", "按承诺日缩短50%/30–50%/20–30%办结，每件加8/5/1.5分", "early_finish",
                  source="二、2(3)", tiers=EARLY_TIERS),
            _entered("fees", "违规收费", 0, "二、2(2) 取消评选资格", effect="disqualify"),
            _rule("complaint", "被顾客投诉，调查属实", "verified_complaint", 0, "二、2(4)、3(3) 取消评选资格",
                  effect="disqualify"),
        ]},
        {"code": "manner", "name": "服务态度和文明用语", "max": 20, "cap": True, "rules": [
            _rule("unsatisfied", "顾客不满意扣3分", "unsatisfied_rating", -3, "二、3(1)"),
            _entered("quarrel", "与顾客发生争吵，谩骂顾客", -5, "二、3(2)"),
        ]},
        {"code": "information", "name": "为民、便民：告知资料齐全", "max": 20, "cap": True, "rules": [
            _entered("missing_item", "告知资料每缺一项", -3, "二、4(1)"),
            _entered("missing_document", "告知资料每缺一件", -5, "二、4(2)"),
        ]},
        {"code": "discipline", "name": "劳动纪律、遵章守纪", "max": 20, "cap": True, "rules": [
            _entered("late_to_work", "迟到、早退，一人一次", -2, "二、5(1)"),
            _entered("absent_activity", "无故不参加集体活动，每人每次", -2, "二、5(2)"),
            _entered("rule_breach", "违反规章制度，一人一次", -2, "二、5(3)"),
        ]},
        {"code": "bonus", "name": "加分", "max": None, "cap": False, "rules": [
            _entered("media_praise", "受到新闻媒体表扬，每次加3分，每提高一个档次增加3分", 3, "二、6",
                     points_range=[3, 12], bonus=True),
            _entered("banner", "服务对象赠送锦旗感谢", 5, "二、6", bonus=True),
            _entered("thank_letter", "服务对象有书面感谢信", 2, "二、6", bonus=True),
        ]},
    ],
}  # fmt: skip

WINDOW_RULES: dict[str, Any] = {
    "code": "window_rules_001",
    "exclude_windows": NON_SERVICE,
    "scope_source": SOURCE,
    "name": "窗口单位考核实施细则",
    "target": "window",
    "period": "month",
    "source": "seed 001 《窗口单位考核实施细则》：百分制，只考核到窗口，每月考核一次，年终总评",
    "full_score": 100,
    "floor": 0,
    "grades": [{"name": "优秀", "min": 90}, {"name": "良好", "min": 80}, {"name": "合格", "min": 60},
               {"name": "不合格", "min": None}],
    "sections": [
        {"code": "service", "name": "优质服务", "max": 60, "cap": True, "rules": [
            _rule("complaint", "服务态度不好，引起投诉调查属实的，每次扣5分", "verified_complaint", -5, "一、(一)1"),
            _rule("late_day", "无故超过办件的承诺时限，每件每超过1个工作日扣5分", "late_day", -5, "一、(一)2"),
            _rule("deemed_assent", "协办窗口抵触办理（默认议定），每件次扣2分", "deemed_assent", -2,
                  "seed 001 《集中受理行政审批事项考核细则》一、(五)1"),
            _rule("joint_early", "联办件从受理之日起办结时间缩短50%以上，给相关窗口加分（1–3分）", "joint_early", 2,
                  "一、(一)5"),
            _entered("quarrel", "与服务对象争吵", -5, "一、(一)1"),
            _entered("no_notice", "未将办事须知和有关申报表格放在规定位置，每件", -1, "一、(一)2"),
            _entered("no_legal_basis", "未向当事人提供有关法定依据，每次", -5, "一、(一)2"),
            _entered("unlawful", "未依法办理行政许可事项经查证属实，每件", -10, "一、(一)2"),
            _entered("side_conditions", "要求服务对象自己办理或提附带条件，每次", -5, "一、(一)3"),
            _entered("reply_item", "因不负责任办理成答复件（有意刁难扣8分）", -3, "一、(一)4", points_range=[-8, -3]),
            _entered("first_contact", "联办件受理窗口既不履行首接职责又不报告", -10, "一、(一)5"),
            _entered("good_deed", "为群众排忧解难、做好事，经考核小组确认", 2, "一、(一)6", points_range=[2, 5],
                     bonus=True),
        ]},
        {"code": "integrity", "name": "廉洁办公", "max": 20, "cap": True, "rules": [
            _entered("graft", "吃、拿、卡、要等不廉洁行为，一次", -10, "一、(二)1"),
            _entered("gift_returned", "主动上交服务对象所送礼物、礼金，一次", 5, "一、(二)2", bonus=True),
            _entered("false_data", "填报假数据、弄虚作假（情节严重扣10分）", -5, "一、(二)3", points_range=[-10, -5]),
            _entered("fees", "收费违规（每项/每件扣5分，超标或无依据收费扣10分）", -5, "一、(二)4",
                     points_range=[-10, -5]),
        ]},
        {"code": "discipline", "name": "工作纪律", "max": 20, "cap": True, "rules": [
            _entered("home_office", "原单位再受理中心已受理的项目，每件次", -5, "一、(三)1"),
            _entered("network", "操作不当造成网络系统损坏，每次", -3, "一、(三)2"),
            _entered("leave", "违反请假规定按旷工处理，每次", -5, "一、(三)3"),
            _entered("unattended", "上班时间窗口无人值守，每次", -5, "一、(三)4"),
            _entered("conduct", "行为不文明造成不良影响，每次扣1–5分", -1, "一、(三)5", points_range=[-5, -1]),
        ]},
        {"code": "media", "name": "评定与奖惩（新闻媒体、书面感谢）", "max": None, "cap": False, "rules": [
            _entered("media_praise", "区级媒体表扬加3分，每提升一级增加3分", 3, "二", points_range=[3, 12], bonus=True),
            _entered("media_criticism", "区级媒体批评扣3分，每提升一级加扣3分", -3, "二", points_range=[-12, -3]),
            _entered("thank_letter", "服务对象以一件事例书面感谢和表扬，酌情加分", 1, "二", points_range=[1, 5],
                     bonus=True),
        ]},
    ],
}  # fmt: skip

STAFF: dict[str, Any] = {
    "code": "staff_001",
    "exclude_windows": NON_SERVICE,
    "scope_source": SOURCE,
    "name": "窗口工作人员考核实施细则（德、能、勤、绩、廉）",
    "target": "person",
    "period": "month",
    "source": "seed 001 《窗口工作人员考核实施细则》：百分制，每月考核一次，德20、能20、勤20、绩25、廉15，扣完为止",
    "full_score": 100,
    "floor": 0,
    "grades": [{"name": "优秀", "min": 90}, {"name": "称职", "min": 75}, {"name": "基本称职", "min": 60},
               {"name": "不称职", "min": None}],
    "sections": [
        {"code": "de", "name": "德", "max": 20, "cap": True, "rules": [
            _entered("disobey", "违反中心规章制度，不服从管理，每次", -3, "一、(一)1"),
            _entered("late_study", "不按时参加政治学习、文体活动，每次", -1, "一、(一)1"),
            _entered("skip_study", "不参加政治学习、文体活动，每次", -2, "一、(一)1"),
            _entered("manner_complaint", "服务态度不好引起投诉，每次（情节严重扣5分）", -2, "一、(一)2",
                     points_range=[-5, -2]),
            _entered("quarrel", "与服务对象争吵，每次", -2, "一、(一)2"),
            _entered("media_praise", "受新闻媒体宣传表扬：区级3、市级6、省级9、国家级12分", 3, "一、(一)3",
                     points_range=[3, 12], bonus=True),
            _entered("thank_letter", "服务对象书面感谢和表扬，每次", 2, "一、(一)3", bonus=True),
        ]},
        {"code": "neng", "name": "能", "max": 20, "cap": True, "rules": [
            _entered("one_time_notice", "不能及时准确回答咨询并做到一次性告知，每次", -2, "一、(二)1"),
            _entered("deviation", "执行政策、协调处理出现偏差，每次", -3, "一、(二)2"),
            _entered("network", "操作不当造成网络系统损坏，每次", -3, "一、(二)3"),
        ]},
        {"code": "qin", "name": "勤", "max": 20, "cap": True, "rules": [
            _entered("late_to_work", "无故迟到、早退、离岗，每次", -2, "一、(三)1"),
            _entered("truancy", "旷工，每次", -5, "一、(三)1"),
            _entered("dress", "上岗不配证、着装不规范、行为不文明，每次", -1, "一、(三)2"),
        ]},
        {"code": "ji", "name": "绩", "max": 25, "cap": True, "rules": [
            _entered("error", "办理出现差错又不及时改正，每次（引起投诉扣6分）", -3, "一、(四)1", points_range=[-6, -3]),
            _rule("late_day", "受理办件超过承诺时限，每超一天扣3分", "late_day", -3, "一、(四)2"),
            _rule("unsatisfied", "服务对象对服务质量不满意，每起扣1分", "unsatisfied_rating", -1, "一、(四)3"),
            _entered("window_grade", "所在窗口月考核不合格扣2分；获月优秀加2分", -2, "一、(四)4", points_range=[-2, 2]),
        ]},
        {"code": "lian", "name": "廉", "max": 15, "cap": True, "rules": [
            _entered("graft", "吃、拿、卡、要等不廉洁行为，一次", -10, "一、(五)"),
            _entered("fees", "违反收费管理规定，每次", -5, "一、(五)"),
        ]},
    ],
}  # fmt: skip

COUNTY: dict[str, Any] = {
    "code": "county_004",
    "exclude_windows": NON_SERVICE,
    "scope_source": SEED_004 + " 考核乡镇（街道）便民服务中心的服务窗口；督查股、中心领导不办件",
    "name": "正定县乡镇（街道）便民服务中心考核办法",
    "target": "window",
    "period": "quarter",
    "source": SEED_004 + "：按季度考核，基础分100分，加分项每季最高20分，前5名为红旗窗口",
    "full_score": 100,
    "floor": 0,
    "bonus_cap": {"points": 20, "per": "quarter"},
    "award": {"name": "红旗窗口", "top": 5},
    "grades": [],
    "sections": [
        {"code": "business", "name": "业务管理", "max": None, "cap": False, "rules": [
            _entered("standard", "未按便民服务中心建设标准落实，每发现一次", -3, "第五条1"),
            _entered("one_time_notice", "未及时准确解答咨询或未书面一次性告知，每次", -2, "第五条2"),
            _rule("late_item", "办件出现超时限办结，取消当季评先资格", "late_item", 0, "第五条3",
                  effect="disqualify"),
            _entered("reports", "不按要求报送进度、台账、总结及信息，每次", -1, "第五条4"),
            _rule("unsatisfied", "回访出现不满意的，出现一次扣3分", "unsatisfied_rating", -3, "第五条5"),
        ]},
        {"code": "discipline", "name": "工作纪律", "max": None, "cap": False, "rules": [
            _entered("late_to_work", "上班迟到、早退，每人次", -1, "第六条1"),
            _entered("away", "擅自离岗、空岗10分钟以上每人次扣2分，半小时以上扣3分", -2, "第六条2",
                     points_range=[-3, -2]),
            _entered("idle", "工作区吸烟、吃零食等与工作无关活动，每人次", -2, "第六条3"),
            _entered("phone", "戴耳机、玩手机、玩游戏等，每人次", -3, "第六条4"),
            _entered("ten_rules", "违反“十不准、十必须”，一次", -5, "第六条5"),
        ]},
        {"code": "conduct", "name": "行为规范", "max": None, "cap": False, "rules": [
            _entered("dress", "着装不规范，每人次", -1, "第七条1"),
            _entered("quarrel", "服务忌语或与办事群众争吵，每例", -5, "第七条2"),
            _entered("name_plate", "不按规定摆放岗位牌，每次", -1, "第七条3"),
            _entered("tidiness", "台面地面不整洁，每发现一次", -1, "第七条4"),
            _rule("complaint", "群众投诉经核查属实，取消季度评优评先资格", "verified_complaint", 0, "第七条5",
                  effect="disqualify"),
            _entered("exposed", "被明查暗访或新闻媒体曝光，取消季度评优评先资格", 0, "第七条6", effect="disqualify"),
        ]},
        {"code": "bonus", "name": "考核加分（每季最高20分）", "max": None, "cap": False, "rules": [
            _entered("contest", "代表中心参加活动获一、二、三等奖：15、10、5分", 5, "第八条", points_range=[5, 15],
                     bonus=True),
            _entered("media", "正面报道：中央/省/市级15、10、5分，县级内刊、电视台、网站3分", 3, "第九条",
                     points_range=[3, 15], bonus=True),
            _entered("praise", "表扬信每封加5分，锦旗每面加10分", 5, "第十条", points_range=[5, 10], bonus=True),
            _entered("extended_hours", "延时服务（下班超过20分钟办结）、预约服务，每例办件", 2, "第十一条", bonus=True),
            _entered("home_visit", "上门服务，每例办件", 3, "第十二条", bonus=True),
            _entered("proxy", "领办、代办服务，每例办件", 2, "第十三条", bonus=True),
            _entered("proposal", "书面合理化建议被采纳，每条", 5, "第十四条", bonus=True),
        ]},
    ],
}  # fmt: skip

SHIPPED: tuple[dict[str, Any], ...] = (BEST_WINDOW, WINDOW_RULES, STAFF, COUNTY)
# what the demo puts in force: one window scheme and the staff scheme
DEMO_ACTIVE = ("window_rules_001", "staff_001")
