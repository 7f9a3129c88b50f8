"""Default settings. ``instance/config.py`` and ``SURVEYAPP_*`` environment variables override them.

Nothing here reads the environment: :func:`surveyapp.create_app` layers the sources in order
(these defaults, then the instance file, then the environment, then a test mapping).
"""

#: Signs the session cookie and CSRF tokens. ``create_app`` refuses to start without one.
SECRET_KEY = None

#: SQLAlchemy URL. ``None`` means ``sqlite:///<instance>/surveyapp.sqlite``.
DATABASE_URL = None

#: Seconds to wait for PostgreSQL to accept a connection; meanwhile pages answer 503 "try again shortly".
DATABASE_CONNECT_TIMEOUT = 5

#: Demo mode: ``flask demo load`` may create users with known passwords. Never in production.
DEMO = False

#: Send session cookies only over HTTPS (turn on behind TLS).
SECURE_COOKIES = False

#: With ``SECURE_COOKIES`` on, browsers are told to use only HTTPS for this site for this long
#: (``Strict-Transport-Security``; 0 or ``None`` sends no header).
HSTS_SECONDS = 31536000

#: Company time zone: a visit belongs to the month of its visit date in this zone.
TIMEZONE = "Asia/Shanghai"

#: Languages offered in the UI; the first is the default.
LANGUAGES = ("zh_CN", "en")

#: Where uploaded photos are kept (``None``: inside the instance folder). Published PDFs live in the database.
UPLOAD_FOLDER = None

#: Photos in an S3-compatible bucket instead of ``UPLOAD_FOLDER``: ``s3://bucket/prefix?endpoint=...&region=...``
#: (README, "Photo storage"; credentials from boto3's standard sources). ``None``: the upload folder.
PHOTO_STORAGE_URL = None

#: Where ``flask pdf fonts`` puts the print font, the cut-down CJK font PDFs embed (``None``: ``<instance>/fonts``).
PDF_FONT_FOLDER = None
#: A notice listing this many halls or more is rendered in two processes at once (body and annex) and joined,
#: on a machine of several cores (surveyapp.notices.rendering.notice_pdf); smaller ones in one render.
NOTICE_PARALLEL_HALLS = 300

#: Largest request body accepted (photos are at most 15 MB each; imports are smaller).
MAX_CONTENT_LENGTH = 32 * 1024 * 1024

#: Largest photo accepted, in bytes and in pixels (a 48-megapixel phone photo is 48,000,000).
PHOTO_MAX_BYTES = 15 * 1024 * 1024
PHOTO_MAX_PIXELS = 50_000_000

#: Failed logins allowed within one minute for one account from one network address (the owner's other
#: addresses are not affected), and for all accounts together from one address (an office behind one NAT
#: address shares it). See ``surveyapp/auth/throttle.py``.
LOGIN_FAILURES_PER_MINUTE = 10
LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE = 30

#: A login session ends after this many hours unused, and after this many hours in any case (log in again).
SESSION_IDLE_HOURS = 12
SESSION_LIFETIME_HOURS = 24

#: ``flask users prune`` deletes login attempts and ended sessions older than this many days.
LOGIN_RECORDS_DAYS = 30

#: Rows per page in lists.
PAGE_SIZE = 50

#: Outgoing mail (optional). Without a host, notifications stay in the in-app inbox only.
SMTP_HOST = None
SMTP_PORT = 25
SMTP_USER = None
SMTP_PASSWORD = None
SMTP_STARTTLS = False
MAIL_FROM = "surveyapp@localhost"

#: Fixed "now" for demonstrations and tests (ISO 8601 with offset); ``None`` is the real clock.
FROZEN_NOW = None

#: Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are trusted.
TRUSTED_PROXIES = 0

# --- background jobs ------------------------------------------------------------------------------------

#: The task queue: ``sqlite:///path`` (``None``: ``<instance>/jobs.sqlite``, durable, no server needed; with
#: ``TESTING``: ``immediate``),
#: ``redis://host:6379/0`` for workers on several hosts, or ``immediate`` (run at once, in the same process).
JOBS_URL = None

#: A running job tells the queue it is alive this often; one silent for ``JOBS_STALE_SECONDS`` is taken to
#: have lost its worker and is queued again.
JOBS_HEARTBEAT_SECONDS = 5
JOBS_STALE_SECONDS = 60

#: Mail that could not be delivered is tried again after 1, 2, 4 ... times this many seconds, at most
#: ``OUTBOX_MAX_ATTEMPTS`` times; then it is listed as undeliverable for the administrator.
OUTBOX_RETRY_SECONDS = 60
OUTBOX_MAX_ATTEMPTS = 8

#: An Excel export of more rows than this is made by a background job and downloaded when ready.
EXPORT_JOB_ROWS = 5000

# --- visits -------------------------------------------------------------------------------------------

#: Evidence integrity (README "Evidence integrity"): hours a photo's capture time may lie from the visit's time;
#: seconds a supervisor needs at least per item answered (shorter visits, and visits that overlap, are flagged);
#: the fastest plausible travel between halls (km/h); bits two perceptual hashes may differ in to count as the same
#: picture (0 to 3); metres from the hall a photo's GPS position may lie (checked at upload, position not kept);
#: how many other visits (the earliest) each use of a reused picture links to.
EVIDENCE_MAX_PHOTO_OFFSET = 2
EVIDENCE_SECONDS_PER_ITEM = 10
EVIDENCE_MAX_SPEED_KMH = 60
EVIDENCE_SIMILAR_PHOTO_BITS = 3
EVIDENCE_GEOFENCE_METRES = 500
EVIDENCE_LINKED_VISITS = 5

#: How many years back a visit time may lie (never before 2000): older times are refused as mistakes.
VISIT_MAX_AGE_YEARS = 2
#: A visit may be dated at most this many days before its plan's due window opens.
VISIT_PLAN_GRACE_DAYS = 1
#: A visit submitted by a supervisor may be dated at most this many days before its submission (the market
#: department's paper import is exempt).
VISIT_MAX_BACKDATE_DAYS = 7

#: The shortest overall impression (characters) a supervisor may submit.
VISIT_IMPRESSION_MIN_LENGTH = 20

#: What a supervisor did in the hall, offered on the checklist page: (Chinese, English); the Chinese is stored.
VISIT_SCENARIOS = (
    ("新装", "New service"),
    ("缴费", "Payment"),
    ("咨询", "Enquiry"),
    ("投诉", "Complaint"),
    ("业务变更", "Change of service"),
    ("故障报修", "Fault report"),
    ("其他", "Other"),
)

# --- visits: the automatic month plan -------------------------------------------------------------------

#: Visits of each kind every active hall gets in a month by default (the planning page may change them
#: for each plan): announced inspections, unannounced visits, social-supervisor visits.
VISIT_PLAN_COUNTS = {"announced": 1, "unannounced": 1, "supervisor": 1}

#: How many due windows a month is cut into; a hall's visits fall into different windows.
VISIT_PLAN_WINDOWS = 4

#: A company with more active halls than this gets its month plan proposal from a background job.
PLAN_JOB_HALLS = 500

# --- notices ------------------------------------------------------------------------------------------

#: The company named in the header of every notice and letter, and who signs notices (``None``: the
#: name of the organisation's top unit, else a generic "Service supervision"; "Market department").
COMPANY_NAME = None
NOTICE_ISSUER = None

# --- hall feedback ------------------------------------------------------------------------------------

#: Seconds to wait for the mail server before giving up (the change is kept; the failure is logged).
SMTP_TIMEOUT = 10

#: ``flask feedback remind`` tells halls of rectification deadlines this many days ahead (0: on the day).
FEEDBACK_REMIND_DAYS = 2

#: The site's address as users reach it (e.g. ``https://survey.example.cn``), for links in e-mails.
PUBLIC_URL = None
