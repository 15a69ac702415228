"""Pure scoring: a definition and answers in, a result with its trace and feedback out."""

from app.scoring.change import Change, changes, compare
from app.scoring.engine import ENGINE_VERSION, AnswerProblem, check_answers, score
from app.scoring.feedback import Feedback, render_feedback
from app.scoring.result import ScoreResult

__all__ = [
    "ENGINE_VERSION",
    "AnswerProblem",
    "Change",
    "Feedback",
    "ScoreResult",
    "changes",
    "check_answers",
    "compare",
    "render_feedback",
    "score",
]
