"""The applicant's side, without login: progress look-up, satisfaction rating and complaints (投诉).

Never imports a door nor the web layer.
"""
