"""The visitor id cookie (`lq_vid`): issued by the web app with its proof (appconfig.visitor_proof).

HttpOnly, so a script on the page (an injected one included) cannot read and send it
elsewhere; SameSite=Lax; Secure when the site is served over https. It lasts
VISITOR_ID_LIFETIME_DAYS and is re-signed (same id, new time) once a day on a visit, so a
returning visitor keeps their id; an expired, tampered or unsigned cookie gets a fresh id.
"""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from appconfig.visitor_proof import COOKIE_NAME, VisitorProof, issue, verify

RENEW_AFTER_SECONDS = 86400


def cookie_proof(request: Request) -> VisitorProof | None:
    """The request's valid proof, or None (no cookie, tampered, expired, another key)."""
    settings = request.app.ctx.settings
    return verify(request.cookies.get(COOKIE_NAME), request.app.ctx.visitor_key, settings.visitor_id_lifetime_seconds)


def ensure_visitor(request: Request) -> tuple[VisitorProof, bool]:
    """(the visitor's proof, whether the response must set the cookie): the cookie's when it is
    valid (re-signed when a day old), otherwise a fresh id."""
    proof = cookie_proof(request)
    if proof is None:
        return issue(request.app.ctx.visitor_key), True
    if proof.age() > RENEW_AFTER_SECONDS:
        return issue(request.app.ctx.visitor_key, proof.visitor_id), True
    return proof, False


def set_visitor_cookie(response: HTTPResponse, request: Request, proof: VisitorProof) -> HTTPResponse:
    settings = request.app.ctx.settings
    response.cookies[COOKIE_NAME] = proof.value
    cookie = response.cookies[COOKIE_NAME]
    cookie["path"] = "/"
    cookie["max-age"] = settings.visitor_id_lifetime_seconds
    cookie["httponly"] = True
    cookie["samesite"] = "Lax"
    if request.scheme == "https" or settings.public_base_url.startswith("https://"):
        cookie["secure"] = True
    return response
