"""Where a visit submission's CPU goes: cProfile over the phone page and JSON submissions, in process.

    python -m tests.load.profile [N]   (SQLite in a temporary folder; prints the top functions)
"""
from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import uuid

from tests.load import stack


def main(count: int) -> None:
    from surveyapp import create_app
    from surveyapp.auth import services as auth
    from surveyapp.db import db

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/profile.sqlite"
        jobs, _, _ = stack.populate(url, 1, count, 0)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "TESTING": True, "WTF_CSRF_ENABLED": False,
                          "UPLOAD_FOLDER": tmp})
        client = app.test_client()
        with app.app_context():
            token = auth.open_session(db.session, _user("sup0"), "127.0.0.1", "profile")
            db.session.commit()
        with client.session_transaction() as sess:
            sess["_user_id"] = token
        headers = {"Accept": "application/json"}
        profile = cProfile.Profile()
        profile.enable()
        for job in jobs:
            client.post(f"/my/visits/{job.uid}/start")
            assert client.get(f"/my/visits/{job.uid}").status_code == 200
            answer = client.post(f"/my/visits/{job.uid}/submit", headers=headers,
                                 json={"submission_id": str(uuid.uuid4()), "fields": job.fields})
            assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        profile.disable()
        stats = pstats.Stats(profile)
        print(f"{count} visits: start, phone page, submission; {stats.total_tt / count * 1000:.0f} ms CPU each")
        stats.sort_stats("cumulative").print_stats(35)


def _user(username: str):
    import sqlalchemy as sa

    from surveyapp.auth.models import User
    from surveyapp.db import db

    return db.session.scalar(sa.select(User).where(User.username == username))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
