"""网上申报 · 预审 · 预约: applying from home for a catalogue item open online.

``applications`` keeps an application through its states (draft → 待预审 → 预审退回 / 预审通过 → booked → received
at the counter → finished) and its private link; ``codes`` confirms the mobile number with a one-time code;
``files`` keeps each material's uploaded versions; ``review`` is the lead window's 预审 and its limit;
``slots`` the windows' appointment plans and the bookings; ``counter`` finds an application at the counter and
turns it into the item; ``results`` the public 办理结果公示; ``sweep`` what the worker does every minute (expired
drafts, overdue 预审, no-shows). Import from those modules.
"""
