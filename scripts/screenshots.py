"""Screenshots of the web app for the docs: docs/screenshots/{deals,deal,contacts,subscription}.png, the
workflows (workflows, workflow-editor, workflow-dry-run, workflow-history-card), the lists (lists,
list, list-editor), and the same seller in Norwegian bokmål (chosen in Settings → Profile, as a user
would): docs/screenshots/nb-{subscriptions,subscription,settings-profile,workflows,workflow-editor,
workflow-dry-run,workflow-history-card,lists,list,list-editor}.png.

Starts a real server on a free port with demo data in a temporary data
directory (``recurra migrate``, ``recurra demo``, ``recurra serve``), signs in
with the demo admin in headless Chromium (Debian's /usr/bin/chromium), takes
1280x800 screenshots, then stops the server. Run: ``make screenshots``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.web import chromium  # noqa: E402 (the repository root is on the path only now)

BIN = Path(sys.executable).parent
OUT = ROOT / "docs" / "screenshots"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recurra(env: dict[str, str], *args: str) -> str:
    command = [str(BIN / "recurra"), *args]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603 (our CLI)
    return done.stdout


def credentials(demo_output: str) -> tuple[str, str]:
    match = re.search(r"^\s+sign in as: (\S+) / (\S+)$", demo_output, re.MULTILINE)
    if not match:
        raise SystemExit(f"could not read the demo credentials from:\n{demo_output}")
    return match[1], match[2]


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/login/", timeout=1):  # noqa: S310 (our own local server)
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer at {url} within {timeout:.0f}s")


def shoot(page: Page, base: str, username: str, password: str) -> list[Path]:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/contacts/")
    saved = []

    def save(name: str, part: str | None = None, *, full_page: bool = False) -> None:
        """The window (or the whole page), or only the element ``part`` (a CSS selector) when given."""
        path = OUT / f"{name}.png"
        if part:
            page.locator(part).screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=full_page)
        saved.append(path)

    page.goto(f"{base}/deals/")
    save("deals")
    page.get_by_role("link", name="Fjordline: Pro + 10 seats").click()
    page.wait_for_selector("h1")
    save("deal")
    page.goto(f"{base}/contacts/")
    save("contacts")
    workflows(page, base)
    known_end = lists(page, base)
    list_pages(page, base, save, known_end, prefix="")
    for _ in range(3):  # three months of billing on the test clock, from the sandbox banner
        page.get_by_role("button", name="+1 month").click()
        page.wait_for_load_state()
    page.goto(f"{base}/subscriptions/")
    # The demo sells it twice; its name opens the side panel, whose "Open record" opens the page.
    page.get_by_role("link", name="Recurra Pro, monthly + 1 more").first.click()
    page.get_by_role("link", name="Open record").click()
    page.wait_for_url(f"{base}/subscriptions/sub_*/")
    save("subscription")
    subscription = page.url
    workflow = workflow_pages(page, base, save, prefix="")

    # The same seller chooses bokmål for their pages (selectors that do not depend on the language).
    page.goto(f"{base}/settings/profile/")
    page.locator("#id_language").select_option("nb")
    page.locator("form.settings-form button[type=submit]").click()
    page.wait_for_selector("html[lang=nb]")
    save("nb-settings-profile")
    page.goto(f"{base}/subscriptions/")
    save("nb-subscriptions")
    page.goto(subscription)
    save("nb-subscription")
    page.goto(workflow)
    workflow_pages(page, base, save, prefix="nb-")
    list_pages(page, base, save, known_end, prefix="nb-")
    return saved


def workflows(page: Page, base: str) -> None:
    """Three workflows from the templates, made in the editor before the clock moves: "Unpaid →
    email the owner" (also to the admin, as the demo's subscriptions have no owner), on; the
    reminder and the round robin left off."""
    page.goto(f"{base}/workflows/new/?template=unpaid_owner")
    page.locator("#wf-enabled").check()
    page.locator('input[name="a0.to_users"]').first.check()
    page.locator("#wf-form button[type=submit][value=save]:not(.visually-hidden)").click()
    page.wait_for_url(f"{base}/workflows/wf_*/")
    for template in ("remind_team", "round_robin"):
        page.goto(f"{base}/workflows/new/?template={template}")
        page.locator("#wf-form button[type=submit][value=save]:not(.visually-hidden)").click()
        page.wait_for_url(f"{base}/workflows/wf_*/")


def workflow_pages(page: Page, base: str, save: Callable[..., None], *, prefix: str) -> str:
    """The list, the Unpaid workflow's editor, its dry run for the declined subscription (Tom
    Baker's) and that subscription's Workflow history card; the editor's address."""
    page.goto(f"{base}/workflows/")
    save(f"{prefix}workflows")
    page.locator("table td:first-child a").last.click()  # the oldest: Unpaid → email
    page.wait_for_url(f"{base}/workflows/wf_*/")
    editor = page.url
    save(f"{prefix}workflow-editor", full_page=True)
    page.locator("#subscription-q").fill("Tom")
    page.locator("#subscription-results input[type=radio]").first.check()
    page.locator("#test-form .form-actions button").click()
    page.wait_for_selector("[data-testid=dry-run]")
    save(f"{prefix}workflow-dry-run", "#test")
    page.locator("[data-testid=dry-run] a[href^='/subscriptions/']").click()
    page.wait_for_url(f"{base}/subscriptions/sub_*/")
    save(f"{prefix}workflow-history-card", "[data-testid=workflow-history]")
    return editor


def lists(page: Page, base: str) -> str:
    """The list "Contacts with a known subscription end date" built in the list editor (their subscriptions:
    at least one with an end date), and a static copy of it; the list's address."""
    page.goto(f"{base}/lists/new/")
    page.locator("#list-name").fill("Contacts with a known subscription end date")

    def redrawn(ready: str) -> None:  # the editor's form answers changes once htmx has processed it
        page.locator(ready).wait_for(state="attached")
        expect(page.locator("#list-form.htmx-added")).to_have_count(0)

    page.locator("button[value=subs_group]").click()
    redrawn("select[name='f0.0.m']")
    page.locator("button[value='cond:0.0:add_group']").click()
    redrawn("select[name='f0.0.c0.0.p']")
    page.locator("select[name='f0.0.c0.0.p']").select_option("end_date")
    redrawn("select[name='f0.0.c0.0.o'] option[value=is_not_empty]")
    page.locator("select[name='f0.0.c0.0.o']").select_option("is_not_empty")
    expect(page.locator("input[name='f0.0.c0.0.v']")).to_have_count(0)
    redrawn("#list-form")
    page.locator("#list-form .form-actions button[value=save]").click()
    page.wait_for_url(f"{base}/lists/lst_*/")
    known_end = page.url
    page.locator("a[href$='/snapshot/']").click()
    page.locator("#id_name").fill("Renewal campaign, January")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"{base}/lists/lst_*/")
    return known_end


def list_pages(page: Page, base: str, save: Callable[..., None], known_end: str, *, prefix: str) -> None:
    """The lists page, the active list's page and its editor."""
    page.goto(f"{base}/lists/")
    save(f"{prefix}lists")
    page.goto(known_end)
    save(f"{prefix}list", full_page=True)
    page.goto(f"{known_end}edit/")
    save(f"{prefix}list-editor", full_page=True)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="recurra-shots-") as data_dir:
        env = {
            **os.environ,
            "RECURRA_DATA_DIR": data_dir,
            "RECURRA_BASE_URL": base,
            "RECURRA_MODE": "sandbox",
        }
        env.pop("DATABASE_URL", None)
        recurra(env, "migrate")
        username, password = credentials(recurra(env, "demo"))
        server = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [str(BIN / "recurra"), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(base, server)
            with sync_playwright() as pw:
                browser = chromium.launch(pw)
                try:
                    page = browser.new_page(viewport=chromium.VIEWPORT)
                    saved = shoot(page, base, username, password)
                finally:
                    browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    for path in saved:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
