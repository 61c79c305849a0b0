"""What the assistant's first line should acknowledge about what the visitor already did."""

from __future__ import annotations

from .behaviour import VisitorSummary

# In order of how strongly each signals buying intent; the first that applies wins.
OPENINGS = ("demo", "pricing_again", "webinar", "download", "returning", "new")


def opening_topic(summary: VisitorSummary) -> str:
    if summary.demo_requests:
        return "demo"
    if summary.pricing_views >= 2:
        return "pricing_again"
    if summary.webinar_attendances or summary.webinar_registrations:
        return "webinar"
    if summary.downloads:
        return "download"
    if summary.page_views >= 3:
        return "returning"
    return "new"
