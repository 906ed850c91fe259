"""Settings turned into the domain's policy values."""

from __future__ import annotations

from datetime import timedelta

from portal_gateway.command_requests import CommandPolicy
from portal_gateway.domain.rate_limits import RateLimit
from portal_gateway.domain.sessions import SessionPolicy
from portal_gateway.domain.wipe_breaker import BreakerPolicy
from portal_gateway.settings import Settings


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(idle=timedelta(seconds=settings.session_idle_s),
                         absolute=timedelta(seconds=settings.session_absolute_s),
                         step_up=timedelta(seconds=settings.step_up_s))


def command_policy(settings: Settings) -> CommandPolicy:
    return CommandPolicy(
        session=session_policy(settings),
        confirmation_ttl=timedelta(seconds=settings.confirmation_s),
        pending_for=timedelta(seconds=settings.pending_command_s),
        idempotency_for=timedelta(seconds=settings.idempotency_s),
        per_user=RateLimit("commands.user", settings.user_command_limit,
                           timedelta(seconds=settings.user_command_window_s)),
        per_device=RateLimit("commands.device", settings.device_command_limit,
                             timedelta(seconds=settings.device_command_window_s)))


def wipe_breaker_policy(settings: Settings) -> BreakerPolicy:
    return BreakerPolicy(max_wipes=settings.wipe_breaker_max,
                         window=timedelta(seconds=settings.wipe_breaker_window_s),
                         open_for=timedelta(seconds=settings.wipe_breaker_open_s))


def login_limit(settings: Settings) -> RateLimit:
    return RateLimit("login", settings.login_limit, timedelta(seconds=settings.login_window_s))


def login_address_limit(settings: Settings) -> RateLimit:
    return RateLimit("login.address", settings.login_address_limit,
                     timedelta(seconds=settings.login_window_s))
