"""Browser fixtures: Playwright for Python driving Debian's Chromium, headless."""

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, locale="ko-KR", timezone_id="Asia/Seoul",
        device_scale_factor=2, is_mobile=True, has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in_customer(page, base_url: str, phone: str) -> None:
    """Sign in on `page` with `phone`, reading the one-time code from the dev outbox."""
    import re

    page.goto(base_url + "/accounts/login/")
    page.get_by_label("휴대전화 번호").fill(phone)
    page.get_by_role("button", name="인증번호 받기").click()
    page.wait_for_url("**/login/phone/verify/")
    outbox = page.context.new_page()
    outbox.goto(base_url + "/dev/outbox/")
    code = re.search(r"인증번호 ([0-9]{6})", outbox.locator("main").inner_text()).group(1)
    outbox.close()
    page.get_by_label("인증번호 6자리").fill(code)
    page.get_by_role("button", name="확인").click()
    page.wait_for_url(base_url + "/")


def sign_in_staff(page, base_url: str, email: str, password: str) -> None:
    """Sign in on `page` with e-mail and password."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_role("textbox", name="이메일").fill(email)
    page.get_by_label("비밀번호").fill(password)
    page.get_by_role("button", name="로그인", exact=True).click()
    page.wait_for_url(base_url + "/")
