"""API tokens (issue, revoke, check) and the JSON API's authentication and rate limits (used by hub/api.py).

A token reads `ghub_<8 hex>.<43 URL-safe characters>`. The part before the dot is stored in clear (`key_prefix`) to
find the row; the whole token is compared by its sha256 in constant time. The token has 256 random bits, so a plain
hash is enough (a slow password hash only helps against guessable secrets) and the token itself is never stored.

Reads need no token: the caller is whoever the session says, anonymous included. Writes need a token of `write`
scope whose owner may write now (an approved official or a curator): permission is checked at every request, so an
official who loses the role loses write access with it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from hub import permissions
from hub.models import ApiToken

TOKEN_PREFIX = "ghub_"
PREFIX_PATTERN = re.compile(rf"^{TOKEN_PREFIX}[0-9a-f]{{8}}$")
MAX_TOKEN_LENGTH = 128
MAX_ACTIVE_TOKENS = 20
# last_used_at is a hint for the owner, not an audit log: one write a minute per token at most.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)
TOKENS_PAGE = "/accounts/tokens/"


# Tokens ------------------------------------------------------------------------------------------------------------


def can_create_token(user, *, scope: str) -> bool:
    """Approved members may read with a token; only approved officials and curators may write with one."""
    if scope == ApiToken.Scope.WRITE:
        return can_write_with_token(user)
    return permissions.is_approved_member(user)


def can_write_with_token(user) -> bool:
    return permissions.is_curator(user) or (permissions.is_official(user) and permissions.is_approved_member(user))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once: only its hash is kept."""
    if not can_create_token(user, scope=scope):
        raise PermissionDenied(
            _("쓰기 토큰은 승인된 지자체 담당자와 큐레이터만 만들 수 있습니다.")
            if scope == ApiToken.Scope.WRITE
            else _("승인된 회원만 토큰을 만들 수 있습니다.")
        )
    if ApiToken.objects.active().filter(user=user).count() >= MAX_ACTIVE_TOKENS:
        raise PermissionDenied(_("토큰은 %(n)s개까지 쓸 수 있습니다. 쓰지 않는 토큰을 폐기해 주세요.") % {"n": MAX_ACTIVE_TOKENS})
    prefix = f"{TOKEN_PREFIX}{secrets.token_hex(4)}"
    while ApiToken.objects.filter(key_prefix=prefix).exists():  # 4 billion prefixes: a clash is rare, never fatal
        prefix = f"{TOKEN_PREFIX}{secrets.token_hex(4)}"
    secret = f"{prefix}.{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name.strip(), scope=scope, key_prefix=prefix, secret_hash=_hash(secret))
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_for(secret: str) -> ApiToken | None:
    """The active token this secret belongs to, or None (unknown, revoked, malformed, or its owner deactivated)."""
    prefix, dot, _rest = secret.partition(".")
    # Checked before any query: a header may hold anything, NUL characters included, which PostgreSQL refuses.
    if not dot or len(secret) > MAX_TOKEN_LENGTH or not PREFIX_PATTERN.match(prefix):
        return None
    token = ApiToken.objects.active().select_related("user").filter(key_prefix=prefix).first()
    if token is None or not token.user.is_active or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# Authentication ----------------------------------------------------------------------------------------------------


class InvalidToken(AuthenticationError):
    """401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750)."""

    error = "invalid_token"

    def __init__(self) -> None:
        super().__init__(401, f"authorization: the token is unknown, revoked or malformed; make a new one at {TOKENS_PAGE}.")


class TokenRequired(AuthenticationError):
    """401 with `WWW-Authenticate: Bearer`: writes take a token, never the session."""

    error = ""

    def __init__(self) -> None:
        super().__init__(401, f"authorization: this request needs an API token (Authorization: Bearer <token>); make one at {TOKENS_PAGE}.")


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a valid token's owner becomes `request.user`; an invalid token is a 401.

    `write=True` also requires a write token of someone who may write now (403 otherwise).
    """

    openapi_bearerFormat = "ghub_<prefix>.<secret>"
    openapi_description = (
        f"An API token made at {TOKENS_PAGE}. Optional for reads; writes need a write token of an approved official or curator."
    )

    def __init__(self, *, write: bool = False) -> None:
        self.write = write
        super().__init__()

    def __call__(self, request: HttpRequest):
        token = super().__call__(request)
        if token is None and self.write:
            raise TokenRequired()
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        api_token = api_token_for(token)
        if api_token is None:
            raise InvalidToken()
        if self.write and api_token.scope != ApiToken.Scope.WRITE:
            raise HttpError(403, f"authorization: the token '{api_token.key_prefix}' is read-only; make a write token at {TOKENS_PAGE}.")
        if self.write and not can_write_with_token(api_token.user):
            raise HttpError(403, "authorization: only approved officials and curators may write through the API.")
        request.user = api_token.user
        return api_token


def session_or_anonymous(request: HttpRequest):
    """Reads without a token: the session's user, or the anonymous user (always truthy, so ninja lets them in)."""
    return request.user


# Rate limits -------------------------------------------------------------------------------------------------------

RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$")
PERIOD_SECONDS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.requests} requests per {self.seconds} s"


@lru_cache(maxsize=16)
def rate_parse(value: str, *, setting: str = "rate") -> Rate:
    """'120/min', '10/s', '1000/5m' (1000 per 5 minutes) as a Rate."""
    match = RATE_PATTERN.match(value)
    if not match or int(match[1]) < 1:
        raise ImproperlyConfigured(f"{setting}={value!r}: write requests/period, e.g. 120/min, 10/s or 1000/5m.")
    return Rate(int(match[1]), int(match[2] or 1) * PERIOD_SECONDS[match[3]])


def client_address(request: HttpRequest) -> str:
    """The caller's IP. Behind API_PROXY_COUNT trusted proxies it is that far from the right of X-Forwarded-For;
    without proxies the header is ignored, since anyone can write it and would otherwise pick their own limit."""
    proxies = settings.API_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "")


class ApiRateThrottle(BaseThrottle):
    """Fixed-window counters in Django's cache (atomic `incr`, so processes sharing Redis share the limits).

    Token callers: API_TOKEN_RATE per token. Everyone else: API_ANONYMOUS_RATE per signed-in session (members of one
    office share an address, not a limit), or per IP address.
    The settings are read at each request, so a test or an operator can change them without a restart.
    """

    # ninja asks wait() right after allow_request() on this shared instance; per thread, so threaded servers agree.
    _last = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        if isinstance(getattr(request, "auth", None), ApiToken):
            rate, who = rate_parse(settings.API_TOKEN_RATE, setting="API_TOKEN_RATE"), f"token:{request.auth.key_prefix}"
        else:
            rate = rate_parse(settings.API_ANONYMOUS_RATE, setting="API_ANONYMOUS_RATE")
            session = request.session.session_key if request.user.is_authenticated else None
            who = f"session:{session}" if session else f"ip:{client_address(request)}"
        now = time.time()
        window = int(now // rate.seconds)
        key = f"api-rate:{who}:{rate.seconds}:{window}"
        cache.add(key, 0, timeout=rate.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the window expired between add and incr
            cache.set(key, 1, timeout=rate.seconds + 1)
            count = 1
        self._last.retry_after = math.ceil((window + 1) * rate.seconds - now)
        request.api_rate = rate
        return count <= rate.requests

    def wait(self) -> float:
        return self._last.retry_after
