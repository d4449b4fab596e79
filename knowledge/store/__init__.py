"""The xuefa database, by topic: the only package that speaks SQL.

One Repository object serves every caller; each topic lives in its own module:

- database.py     the connection, transactions, numbered migrations, typed rows
- laws.py         laws, articles, study lists
- accounts.py     members' accounts on channels (telegram, web, wecom, dingtalk, ...)
- members.py      units, the roster, invite codes, the question log
- quizzes.py      questions, rounds, attempts, answers, sent questions, settings
- deliveries.py   the outbox: every notice to every member, on the channel it went
- groups.py       units' staff groups (group robots) and what was sent to them
- reports.py      what reports and records read, group sessions, the audit log
- privacy.py      everything held about one person, forgetting a person, retention
- web.py          browser sessions and the web passwords of admins and leaders
- review.py       reviewers (法治副校长), the review queue, reviewed pairs, feedback under answers

Tables kept by triggers: round_results (migration 0005), one row per member and round with the
best finished attempt, updated whenever an attempt starts or finishes.
"""

from knowledge.store.database import Database, migration_scripts
from knowledge.store.deliveries import Delivery, DeliveryStore
from knowledge.store.groups import GroupStore, UnitGroup
from knowledge.store.laws import LawStore
from knowledge.store.members import Invite, LoggedQuestion, MemberStore
from knowledge.store.privacy import PersonalData, PrivacyStore
from knowledge.store.quizzes import QuizStore, SentQuestion
from knowledge.store.review import Entry, LoggedReply, ReviewedPair, ReviewerScope, ReviewStore
from knowledge.store.reports import (
    AuditEntry,
    MemberRound,
    Participant,
    QuestionTally,
    ReportStore,
    RoundTally,
    SessionSummary,
)
from knowledge.store.web import WebSession, WebStore


class Repository(LawStore, QuizStore, DeliveryStore, GroupStore, ReportStore, PrivacyStore, WebStore, ReviewStore):
    """The xuefa database: laws, articles, study lists and everything recorded about members."""


__all__ = [
    "AuditEntry", "Database", "Entry", "LoggedReply", "ReviewStore", "ReviewedPair", "ReviewerScope", "Delivery", "DeliveryStore", "Invite", "LawStore", "LoggedQuestion", "MemberRound",
    "MemberStore", "Participant", "PersonalData", "PrivacyStore", "QuestionTally", "QuizStore", "ReportStore", "Repository", "RoundTally",
    "SentQuestion", "GroupStore", "UnitGroup",
    "SessionSummary", "WebSession", "WebStore", "migration_scripts",
]
