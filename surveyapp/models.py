"""Import every capability's models so the mappers and Alembic see the whole schema."""
from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import LoginAttempt, Role, User, UserSession
from surveyapp.checklists.models import Checklist, ChecklistItem, ChecklistVersion
from surveyapp.db import Model
from surveyapp.org.models import Hall, HallType, Staff, Unit

__all__ = ["AuditEntry", "Hall", "HallType", "LoginAttempt", "Model", "Role", "Staff", "Unit", "User", "UserSession"]
__all__ += ["Checklist", "ChecklistItem", "ChecklistVersion"]
from surveyapp.visits.models import Answer, Photo, PhotoHashBand, Visit, VisitEvent, VisitFlag, VisitRevision

__all__ += ["Answer", "Photo", "PhotoHashBand", "Visit", "VisitEvent", "VisitFlag", "VisitRevision"]
from surveyapp.planning.models import PlanProposal, PlanProposalItem

__all__ += ["PlanProposal", "PlanProposalItem"]
from surveyapp.assessment.models import PolicyVersion

__all__ += ["PolicyVersion"]
from surveyapp.notices.models import Notice, NoticeRevision

__all__ += ["Notice", "NoticeRevision"]
from surveyapp.feedback.models import Appeal, FeedbackPhoto, Finding, Rectification
from surveyapp.notifications.models import Notification, OutboxMessage

__all__ += ["Appeal", "FeedbackPhoto", "Finding", "Notification", "OutboxMessage", "Rectification"]
from surveyapp.jobs.models import Job
from surveyapp.notices.models import NoticeLetter

__all__ += ["Job", "NoticeLetter"]
