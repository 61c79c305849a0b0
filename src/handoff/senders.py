"""How outbox messages leave: SMTP email and JSON webhooks (Slack-compatible, CRM, marketing)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from appconfig.settings import DEFAULTS, Settings, load_settings

from .outbox import Sender

WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = DEFAULTS.smtp_port
    user: str | None = None
    password: str | None = None
    sender: str = DEFAULTS.smtp_from  # the From address
    starttls: bool = DEFAULTS.smtp_starttls
    timeout: float = 20.0

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> SmtpSettings | None:
        """The SMTP_* settings (read now unless given); None without SMTP_HOST (email then
        waits in the outbox until it is configured)."""
        settings = settings or load_settings()
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
        )


def build_email(sender: str, to: str, payload: dict, idempotency_key: str) -> EmailMessage:
    """An email from an outbox payload: {subject, text, attachments: [{filename, content_type, content}]}.

    The Message-ID is made of the outbox message's idempotency key, so a resent email has the
    same one and mail clients and servers that deduplicate by it show it once."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, payload["subject"]
    message["Message-ID"] = f"<{idempotency_key}@{sender.rsplit('@', 1)[-1]}>"
    message.set_content(payload["text"])
    for attachment in payload.get("attachments", []):
        maintype, subtype = attachment["content_type"].split("/", 1)
        params = {"method": attachment["method"]} if attachment.get("method") else {}
        if maintype == "text":
            message.add_attachment(
                attachment["content"], subtype=subtype, filename=attachment["filename"], params=params
            )
        else:
            message.add_attachment(
                attachment["content"].encode(), maintype=maintype, subtype=subtype, filename=attachment["filename"]
            )
    return message


def smtp_sender(settings: SmtpSettings) -> Sender:
    def send_blocking(to: str, payload: dict, idempotency_key: str) -> None:
        email = build_email(settings.sender, to, payload, idempotency_key)
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(email)

    async def send(to: str, payload: dict, idempotency_key: str) -> None:
        # smtplib blocks; a thread keeps the event loop (chat, web) responsive meanwhile.
        await asyncio.to_thread(send_blocking, to, payload, idempotency_key)

    return send


async def post_json(url: str, payload: dict, idempotency_key: str) -> None:
    """POST the payload as JSON with the `Idempotency-Key` header (the same on every attempt at
    this message); any non-2xx answer, timeout or connection error is a failure."""
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:
        response = await client.post(url, json=payload, headers={"Idempotency-Key": idempotency_key})
        response.raise_for_status()


def default_senders(smtp: SmtpSettings | None) -> dict[str, Sender]:
    senders: dict[str, Sender] = {"webhook": post_json, "crm": post_json}
    if smtp is not None:
        senders["email"] = smtp_sender(smtp)
    return senders
