"""Deep links: the template and condition subsets (testdata/cases.yaml) and link evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.deeplinks import DeepLinkError, evaluate_links, parse_links
from kapstan.engine.deeplinks.expr import ExprError, evaluate
from kapstan.engine.deeplinks.template import TemplateError, render

DATA = yaml.safe_load((Path(__file__).parent / "testdata" / "cases.yaml").read_text())
ENV = DATA["env"]


@pytest.mark.parametrize("case", DATA["templates"], ids=[c["name"] for c in DATA["templates"]])
def test_template(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(TemplateError, match=case["error"]):
            render(case["template"], ENV)
    else:
        assert render(case["template"], ENV) == case["want"]


@pytest.mark.parametrize("case", DATA["conditions"], ids=[c["name"] for c in DATA["conditions"]])
def test_condition(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(ExprError, match=case["error"]):
            evaluate(case["condition"], ENV)
    else:
        assert evaluate(case["condition"], ENV) == case["want"]


def test_limits() -> None:
    with pytest.raises(TemplateError, match="longer than"):
        render("x" * 5000, ENV)
    with pytest.raises(ExprError, match="longer than"):
        evaluate("true && " * 200 + "true", ENV)
    with pytest.raises(ExprError, match="nested too deeply"):
        evaluate("!" * 100 + "true", ENV)


def test_links_keep_what_passes_and_report_the_rest() -> None:
    links = parse_links(
        """
- {title: A, url: "https://a/{{.app.metadata.labels.team}}", icon.class: fa-a}
- {title: B, url: "https://b", if: "app.spec.project == 'other'"}
- {title: C, url: "https://c", if: "app.metadata.name"}
- {title: D, url: "https://d/{{.app.x.y}}", description: broken}
""",
        "application.links",
    )
    items, errors = evaluate_links(links, ENV, "guest book")
    assert items == [{"title": "A", "url": "https://a/a", "iconClass": "fa-a"}]
    assert len(errors) == 2
    assert "evaluated to non-boolean value for resource guest book" in errors[0]


@pytest.mark.parametrize("raw", ["title: x", "- just a string", "[oops"])
def test_settings_that_are_not_a_list_of_links(raw: str) -> None:
    with pytest.raises(DeepLinkError):
        parse_links(raw, "resource.links")


def test_no_links() -> None:
    assert parse_links(None) == []
    assert parse_links("  ") == []
