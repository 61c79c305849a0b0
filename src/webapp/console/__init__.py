"""The sales and marketing console at /console: login, funnel, leads. See views.py."""

from .views import console

__all__ = ["console"]
