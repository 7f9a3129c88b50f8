"""Take the README's screenshots: ``python -m tests.screenshots`` (writes docs/screenshots/*.png).

Serves the app with the demo data from a temporary instance folder and drives Debian's Chromium.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import threading
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
BAD_HALLS = "编码,名称,类型,单位\nH0199,江州城北合作营业厅,合作,JZ01\nH0299,临江县城南二号营业厅,自办,JZ09\n"


def main() -> None:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from surveyapp import create_app
    from surveyapp.demo.data import DEMO_PASSWORD
    from tests.browser import log_in
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    folder = tempfile.mkdtemp(prefix="surveyapp-shots-")
    os.environ["SURVEYAPP_INSTANCE_PATH"] = folder
    app = create_app({"DEMO": True, "SECRET_KEY": "screenshots"})
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask` gives every command
        for args in (["db", "upgrade"], ["forms", "load"], ["demo", "load"]):
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
        previous, following = _months()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    bad = Path(folder) / "halls.csv"
    bad.write_text(BAD_HALLS, encoding="utf-8")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def session(username: str, phone: bool = False):
            options = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                       "has_touch": True} if phone \
                else {"viewport": {"width": 1280, "height": 760}}
            page = browser.new_context(base_url=base, locale="zh-CN", **options).new_page()
            log_in(page, username, DEMO_PASSWORD)
            return page

        page = session("market1")
        page.goto("/org/halls?unit=JZ02")
        page.screenshot(path=OUT / "halls.png")
        page.goto("/org/units/")
        page.screenshot(path=OUT / "units.png")
        page.goto("/import?kind=halls")
        page.set_input_files("input[type=file]", str(bad))
        page.click("button.primary")
        page.screenshot(path=OUT / "import-errors.png")
        page.goto("/home/market")
        page.screenshot(path=OUT / "market-home.png")
        page.click("summary:text('检查与审核')")
        page.screenshot(path=OUT / "market-menu.png", clip={"x": 0, "y": 0, "width": 1280, "height": 320})
        market_phone = session("market1", phone=True)
        market_phone.goto("/home/market")
        market_phone.screenshot(path=OUT / "market-home-phone.png", full_page=True)
        page.goto(f"/visits/calendar/?month={following}")
        page.screenshot(path=OUT / "calendar.png")
        page.goto("/visits/queue")
        page.click("table a[href^='/visits/']")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
        page.screenshot(path=OUT / "validation.png", full_page=False)
        page.goto(f"/assessment/results?period={previous}")
        page.screenshot(path=OUT / "results.png")
        page.goto(f"/notices/{previous}")
        page.screenshot(path=OUT / "notice.png")
        page.goto(f"/notices/{previous}/edit")
        page.locator(".cases").scroll_into_view_if_needed()
        page.screenshot(path=OUT / "notice-editor.png")
        market_phone.goto(f"/notices/{previous}/edit")
        market_phone.screenshot(path=OUT / "notice-editor-phone.png", full_page=True)
        market_phone.goto(f"/notices/{previous}/compare")
        market_phone.screenshot(path=OUT / "notice-compare-phone.png", clip={"x": 0, "y": 0, "width": 390, "height": 1600})
        page.goto(f"/notices/{previous}/compare")
        page.screenshot(path=OUT / "notice-compare.png")
        manager = session("hm0101", phone=True)  # hall managers read this on their phones
        manager.goto("/feedback/hall")
        manager.screenshot(path=OUT / "hall-home.png", full_page=True)
        manager.click("table.findings tbody tr a")
        manager.screenshot(path=OUT / "finding-phone.png", full_page=True)
        admin = session("admin")
        admin.goto("/audit/")
        admin.screenshot(path=OUT / "audit.png")
        phone = session("sup03", phone=True)
        phone.tap("summary")
        phone.screenshot(path=OUT / "supervisor-phone.png")
        phone.tap("summary")
        phone.screenshot(path=OUT / "my-visits.png", full_page=True)
        browser.close()
    server.shutdown()
    print("\n".join(str(p) for p in sorted(OUT.glob("*.png"))))


def _months() -> tuple[str, str]:
    """The previous month (assessed in the demo) and the next (planned in the demo)."""
    from surveyapp import clock
    from surveyapp.planning.month_plan import next_period

    today = clock.today()
    return f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}", next_period(today)


if __name__ == "__main__":
    main()
