"""Every table, imported in one place so Alembic and tests see the whole schema."""

from app.accounts.models import Organization, User, UserToken
from app.assessments.models import Assessment, Result
from app.audit.models import AuditEvent
from app.clinic.models import Client, Invitation
from app.console.models import FormSubmission
from app.db import Base
from app.outbox.models import OutboxAttempt, OutboxMessage
from app.questionnaires.models import StoredDefinition
from app.research.models import Study
from app.respondents.models import Respondent, RespondentToken
from app.schedules.models import Occurrence, ReminderPlan, Schedule

metadata = Base.metadata

__all__ = [
    "Assessment",
    "AuditEvent",
    "Client",
    "FormSubmission",
    "Invitation",
    "Occurrence",
    "Organization",
    "OutboxAttempt",
    "OutboxMessage",
    "ReminderPlan",
    "Respondent",
    "RespondentToken",
    "Result",
    "Schedule",
    "StoredDefinition",
    "Study",
    "User",
    "UserToken",
    "metadata",
]
