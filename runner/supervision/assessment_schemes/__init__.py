"""考核 as the centres write it: schemes with sections, caps and bonuses, for windows and for staff.

Modules, one job each:
- ``shipped``: the seeds' schemes as data, with their sources;
- ``store``: scheme versions, the one scheme in force per target and period, audited changes;
- ``lateness``: when an item's lateness ends (the decision reaches the applicant) and who held it each late day;
- ``ratings``: the 不满意 ratings the assessment reads (one function, fed by the rating system);
- ``events``: the stored events each computed rule reads, as dated hits on a window and a person;
- ``entries``: 记分录入 — points the supervision office enters for what no system sees;
- ``scoring``: a scheme applied to a period's hits — sections, caps, bonus caps, floor, grades;
- ``report``: the monthly (quarterly, yearly) report, traceable to every event, and what changed since;
- ``appeals``: 申诉 against one line of a scheme's result;
- ``scope``: which windows (and their staff) a scheme assesses;
- ``overdue_start``: 连续延期 — an item 3 working days past its deadline starts 延期 handling by itself.
"""
