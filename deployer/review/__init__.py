"""Reviewing a plan: its summary, its GitHub markdown, the sticky pull-request comment."""

from __future__ import annotations

from deployer.review.github_comment import (
    append_step_summary,
    client_from_environment,
    post_sticky_comment,
    read_body,
)
from deployer.review.markdown import render_plan_markdown
from deployer.review.summary import PlanSummary, summarize_plan

__all__ = [
    "PlanSummary",
    "append_step_summary",
    "client_from_environment",
    "post_sticky_comment",
    "read_body",
    "render_plan_markdown",
    "summarize_plan",
]
