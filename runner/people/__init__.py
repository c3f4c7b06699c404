"""The directory: people, windows and their roles, login and session generations, login throttling, AB岗
absences and 委托 proxies (who a new task goes to).

Never imports a door nor the web layer; the web's login provider calls ``directory.login``.
"""
