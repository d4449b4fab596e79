"""The web channel: the same conversation, quiz flow, reports and access rules in any browser.

- app.py        create_app(services): the Starlette application
- pages.py      what every page shares: the visitor, the CSRF check, rendering, Reply → HTML
- security.py   response headers (CSP), signed cookies, CSRF tokens, capped request bodies
- auth.py       signing in and out, passwords of admins and leaders, the account page
- chat.py       questions and citations, browsing the study list, the member's own record
- quiz.py       this week's quiz
- dashboard.py  numbers, records, group sessions and downloads for admins and leaders
- admin.py      uploads, invite codes, study lists, the quiz schedule
- charts.py     the dashboard's trend chart as inline SVG
- serve.py      uvicorn: `xuefa web`, and the web beside the bot in `xuefa run`
"""
