"""Every table, imported in one place so Alembic and tests see the whole schema."""

from app.assessments.models import Assessment, Result
from app.db import Base
from app.questionnaires.models import StoredDefinition
from app.respondents.models import Respondent, RespondentToken

metadata = Base.metadata

__all__ = ["Assessment", "Respondent", "RespondentToken", "Result", "StoredDefinition", "metadata"]
