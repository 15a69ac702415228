"""Senders against a real SMTP server: both parts arrive, and failures are told apart."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from app.config import Settings
from app.mail.messages import InvitationMessage, local_time
from app.mail.senders import (
    FolderSender,
    MailNotConfigured,
    PermanentFailure,
    SmtpSender,
    TransientFailure,
    sender_from_settings,
)
from tests.mailserver import smtp_server
from tests.servers import free_port

LINK = "https://attune.example/intake/ati_" + "k" * 43
UNSUBSCRIBE = "https://attune.example/unsubscribe/u_" + "q" * 20


def invitation(to: str, locale: str = "en") -> InvitationMessage:
    return InvitationMessage(
        to=to,
        locale=locale,
        clinic_name="Harbour Clinic",
        link=LINK,
        expires="8 December 2026 at 09:00:00 UTC",
        questionnaire_count=2,
    )


async def test_smtp_delivers_both_parts_with_the_headers() -> None:
    with smtp_server(tls=True) as server:
        sender = SmtpSender(server.url, "attune@clinic.example", tls_context=server.client_tls)
        await sender.send(invitation("client@example.org").render(UNSUBSCRIBE))
        [received] = server.mailbox.wait_for(1)
    assert received.sender == "attune@clinic.example"
    assert received.recipients == ["client@example.org"]
    message = received.message
    assert message["From"] == "Harbour Clinic <attune@clinic.example>"
    assert message["Subject"] == "Harbour Clinic asks you to answer a few questions"
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@clinic.example>")
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert LINK in text.get_content()
    assert f'href="{LINK}"' in html.get_content()
    assert "8 December 2026" in text.get_content()
    assert "2 short questionnaires" in text.get_content()


async def test_the_clients_language_is_used() -> None:
    rendered = invitation("client@example.org", locale="es-MX").render()
    assert rendered.subject == "Harbour Clinic te pide que respondas unas preguntas"
    assert "Abre las preguntas" in rendered.html
    assert "List-Unsubscribe" not in rendered.headers
    # A language we have no text for falls back to English, never to an empty message.
    assert invitation("c@example.org", locale="fr").render().subject.startswith("Harbour")


def test_html_is_escaped_and_text_is_not() -> None:
    message = InvitationMessage(
        to="c@example.org",
        locale="en",
        clinic_name="Smith & Jones <Therapy>",
        link=LINK,
        expires="soon",
        questionnaire_count=1,
    ).render()
    assert "Smith &amp; Jones &lt;Therapy&gt;" in message.html
    assert "Smith & Jones <Therapy>" in message.text
    assert "a short questionnaire" in message.text


@pytest.mark.parametrize(
    ("recipient", "failure"),
    [("refused@example.org", PermanentFailure), ("later@example.org", TransientFailure)],
)
async def test_refusals_are_permanent_or_transient_by_code(
    recipient: str, failure: type[Exception]
) -> None:
    with smtp_server() as server:
        with pytest.raises(failure) as raised:
            await SmtpSender(server.url, "a@clinic.example").send(invitation(recipient).render())
        assert server.mailbox.messages == []
    assert "refused" in str(raised.value)


async def test_no_server_is_a_transient_failure() -> None:
    sender = SmtpSender(f"smtp+plain://127.0.0.1:{free_port()}", "a@b.example", timeout=5)
    with pytest.raises(TransientFailure, match="could not reach"):
        await sender.send(invitation("client@example.org").render())


async def test_wrong_credentials_are_transient_not_the_addresss_fault() -> None:
    with smtp_server(tls=True) as server:
        wrong = SmtpSender(
            server.url.replace("with%20spaces", "wrong"),
            "a@b.example",
            tls_context=server.client_tls,
        )
        with pytest.raises(TransientFailure, match="authentication"):
            await wrong.send(invitation("c@example.org").render())


async def test_starttls_is_required_so_an_untrusted_server_is_not_used() -> None:
    with smtp_server(tls=True) as server:
        # The system's authorities do not know the test server's: no mail goes out in clear.
        with pytest.raises(TransientFailure, match="could not reach"):
            await SmtpSender(server.url, "a@b.example").send(invitation("c@example.org").render())
        assert server.mailbox.messages == []


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_a_malformed_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="ATTUNE_SMTP_URL"):
        SmtpSender(url, "a@b.example")


async def test_development_writes_readable_eml_files(tmp_path: Path) -> None:
    settings = Settings(mail_outbox_dir=tmp_path / "outbox")
    sender = sender_from_settings(settings)
    assert isinstance(sender, FolderSender)
    await sender.send(invitation("client@example.org").render(UNSUBSCRIBE))
    [path] = list((tmp_path / "outbox").glob("*.eml"))
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "client@example.org"
    assert LINK in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_production_without_smtp_is_a_clear_error() -> None:
    production = {"environment": "production", "secret_key": "p" * 40}
    production["public_url"] = "https://attune.example.org"
    settings = Settings(**production)
    with pytest.raises(MailNotConfigured, match="ATTUNE_SMTP_URL"):
        sender_from_settings(settings)
    configured = Settings(**production, smtp_url="smtp://u:p@mail.example:587")
    assert isinstance(sender_from_settings(configured), SmtpSender)


def test_times_read_in_the_language_and_time_zone() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert local_time(moment, "es", "America/Mexico_City").startswith("8 de diciembre de 2026")
    assert "3:00:00" in local_time(moment, "es", "America/Mexico_City")
    assert local_time(moment, "en-GB", "Europe/London").startswith("December 8, 2026")
