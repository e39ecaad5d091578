"""core.redaction: the token of every buyer URL replaced, wherever the URL stands; nothing else touched."""

from __future__ import annotations

import logging

import pytest

from recurra.core import redaction
from recurra.core.redaction import MARK, redact, redact_bytes, redact_data, redacting

UPDATE = "lTxa2388QtaLTAzEqN6BH1AQhHwGFqahng-VBRUrBJU"
PAY = "inv_01m8832n9mxmymjaraze5jv44c:1uX3kq:Yb2n_7dS0-Q1kQ5mZr1c4y0uWbFzL4T3hXgq9E2m1sA"
QUOTE = "quo_01m8832n9mxmymjaraze5jv44c:Yb2n_7dS0-Q1kQ5mZr1c4y0uWbFzL4T3hXgq9E2m1sA"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            f"https://billing.example/update-payment-method/{UPDATE}/",
            "https://billing.example/update-payment-method/REDACTED/",
        ),
        (
            f"Pay the invoice online: http://127.0.0.1:8000/pay/invoices/{PAY}/\n",
            "Pay the invoice online: http://127.0.0.1:8000/pay/invoices/REDACTED/\n",
        ),
        (
            f'<a href="https://x.example/q/{QUOTE}/">Open</a>',
            '<a href="https://x.example/q/REDACTED/">Open</a>',
        ),
        (
            f'{{"url":"https://x.example/sub/dir/q/{QUOTE}/","id":"quo_1"}}',
            '{"url":"https://x.example/sub/dir/q/REDACTED/","id":"quo_1"}',
        ),
        (f"Not Found: /update-payment-method/{UPDATE}/x/", "Not Found: /update-payment-method/REDACTED/x/"),
        (f"Not Found: /billing/pay/invoices/{PAY}", "Not Found: /billing/pay/invoices/REDACTED"),
        (f"/q/{QUOTE}?lang=nb#top", "/q/REDACTED?lang=nb#top"),
        (f"two: /q/{QUOTE}/ and /q/{QUOTE}/", "two: /q/REDACTED/ and /q/REDACTED/"),
    ],
)
def test_each_buyer_url_loses_its_token(text: str, kept: str) -> None:
    assert redact(text) == kept
    assert redact(kept) == kept  # once is enough


@pytest.mark.parametrize(
    "text",
    [
        "a plain sentence about invoices and quotes",
        "Plan a/q/b and sizes 10/q/20",  # "/q/" inside a word is no URL of ours
        "https://x.example/api/v1/invoices/inv_1/pay",
        "/buy/" + UPDATE + "/",  # a payment link's checkout: public, kept (logs drop it)
        "",
    ],
)
def test_anything_else_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_log_lines_lose_the_checkout_token_too() -> None:
    assert redact(f"Not Found: /buy/{UPDATE}/x/", logged=True) == "Not Found: /buy/REDACTED/x/"
    assert redact(f"Not Found: /q/{QUOTE}/x/", logged=True) == "Not Found: /q/REDACTED/x/"


def test_json_values_and_bodies() -> None:
    data = {
        "update_url": f"https://h/update-payment-method/{UPDATE}/",
        "n": 3,
        "lines": [f"/q/{QUOTE}/", None],
    }
    assert redact_data(data) == {
        "update_url": "https://h/update-payment-method/REDACTED/",
        "n": 3,
        "lines": ["/q/REDACTED/", None],
    }
    assert (
        redact_bytes(f'{{"pay_url": "https://h/pay/invoices/{PAY}/"}}'.encode())
        == b'{"pay_url": "https://h/pay/invoices/REDACTED/"}'
    )
    binary = b"\xff\xfe/q/" + QUOTE.encode()
    assert redact_bytes(binary) == binary  # not UTF-8: not ours to rewrite
    assert MARK == "REDACTED"


def test_a_log_record_is_redacted_when_made_message_args_and_traceback() -> None:
    make = redacting(logging.LogRecord)
    assert redacting(make) is make  # installed once, however often ready() runs
    record = make("django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"/q/{QUOTE}/x/",), None)
    assert (record.getMessage(), record.args) == ("Not Found: /q/REDACTED/x/", ())
    try:
        raise ValueError(f"no page at https://h/update-payment-method/{UPDATE}/")
    except ValueError:
        import sys

        failed = make("recurra", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert UPDATE not in logging.Formatter().format(failed)
    assert "update-payment-method/REDACTED/" in logging.Formatter().format(failed)
    plain = make("recurra", logging.INFO, __file__, 1, "%d emails", (3,), None)
    assert (plain.msg, plain.args) == ("%d emails", (3,))  # left as it was
    broken = make("recurra", logging.INFO, __file__, 1, "%d emails", ("x",), None)
    assert broken.args == ("x",)  # a bad format is left for logging to report


def test_the_installed_factory_redacts_every_logger(caplog: pytest.LogCaptureFixture) -> None:
    redaction.install()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("some.library").debug("fetched %s", f"https://h/pay/invoices/{PAY}/")
    assert caplog.records[-1].getMessage() == "fetched https://h/pay/invoices/REDACTED/"
    assert PAY not in caplog.text


def test_every_public_page_with_a_token_is_covered() -> None:
    from django.urls import reverse

    from recurra.web import urls

    tokened = [p.name for p in urls.urlpatterns if "<str:token>" in str(p.pattern)]
    assert sorted(tokened) == [
        "checkout",
        "checkout_setup_intent",  # each page's SetupIntent for Stripe.js, under the page's token
        "invoice_setup_intent",
        "public_invoice",
        "public_quote",
        "quote_setup_intent",
        "unsubscribe",  # a contact's unsubscribe link (email to lists)
        "update_link_setup_intent",
        "update_payment_method",
    ]
    for name in tokened:
        path = reverse(f"web:{name}", args=["Tok3n-value:signed"])
        assert (
            redact(f"Not Found: {path}x/", logged=True)
            == f"Not Found: {path.replace('Tok3n-value:signed', MARK)}x/"
        )
        public = name.startswith("checkout")  # a payment link's page: public by design, only logs drop it
        assert (redact(f"https://h{path}") == f"https://h{path}") is public, name
