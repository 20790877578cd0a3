"""Amplify's custom rules, matched as Amplify matches them (deployer/emulator/amplify/rules.py)."""

from __future__ import annotations

import pytest

from deployer.emulator.amplify import rules

# The rule modules/amplify_app gives every WEB app (its locals.spa_rewrite).
SPA = {
    "source": "</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|woff2|ttf|map|json|webp)$)"
    "([^.]+$)/>",
    "target": "/index.html",
    "status": "200",
}


def nothing_exists(path: str) -> bool:
    return False


@pytest.mark.parametrize(
    ("path", "rewritten"),
    [
        ("/", True),
        ("/items/42", True),
        ("/index.html", True),  # .html is no listed asset: index.html anyway
        ("/about.php", True),
        ("/config.json", False),
        ("/app.js", False),
        ("/assets/logo.svg", False),
        ("/fonts/a.woff2", False),
        ("/favicon.ico", False),
    ],
)
def test_the_spa_rule_rewrites_routes_not_assets(path, rewritten):
    outcome = rules.apply([SPA], path, nothing_exists)
    if rewritten:
        assert outcome == rules.Outcome("200", "/index.html")
    else:
        assert outcome is None


def test_placeholders_and_the_wildcard_fill_the_target():
    rule = {"source": "/docs/<year>/<slug>", "target": "/archive/<slug>-<year>", "status": "301"}
    assert rules.apply([rule], "/docs/2024/intro", nothing_exists) == rules.Outcome(
        "301", "/archive/intro-2024"
    )
    assert rules.apply([rule], "/docs/2024/intro/more", nothing_exists) is None  # one segment
    star = {"source": "/old/<*>", "target": "/new/<*>", "status": "302"}
    assert rules.apply([star], "/old/a/b/c", nothing_exists) == rules.Outcome("302", "/new/a/b/c")
    assert rules.apply([star], "/older/a", nothing_exists) is None


def test_a_trailing_slash_matches_as_without():
    rule = {"source": "/shop", "target": "/store", "status": "301"}
    assert rules.apply([rule], "/shop/", nothing_exists) == rules.Outcome("301", "/store")


def test_not_found_rules_apply_only_when_no_file_is_there():
    page = {"source": "/<*>", "target": "/404.html", "status": "404"}
    fallback = {"source": "/<*>", "target": "/index.html", "status": "404-200"}
    assert rules.apply([page], "/gone", nothing_exists) == rules.Outcome("404", "/404.html")
    assert rules.apply([page], "/here.txt", lambda p: p == "/here.txt") is None
    assert rules.apply([fallback], "/x", nothing_exists) == rules.Outcome("404-200", "/index.html")


def test_the_first_matching_rule_decides_and_conditions_never_match():
    country = {"source": "/<*>", "target": "/us/<*>", "status": "302", "condition": "<US>"}
    first = {"source": "/a", "target": "/first", "status": "301"}
    second = {"source": "/a", "target": "/second", "status": "301"}
    assert rules.apply([country, first, second], "/a", nothing_exists).target == "/first"


def test_a_status_left_out_is_a_rewrite_and_a_bad_regex_never_matches():
    assert rules.apply([{"source": "/a", "target": "/b"}], "/a", nothing_exists) == rules.Outcome(
        "200", "/b"
    )
    assert rules.apply([{"source": "</([/>", "target": "/b"}], "/a", nothing_exists) is None
