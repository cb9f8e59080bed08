"""The Gitea build's wrapper module takes upstream's versioned replaces, nothing else."""

from __future__ import annotations

from kapstan.localcluster.gitea import versioned_replaces

UPSTREAM = """\
module code.gitea.io/gitea

go 1.26.2

// rfc5280 said: "The serial number is an integer assigned by the CA to each certificate."
godebug x509negativeserial=1

replace github.com/jaytaylor/html2text => github.com/Necoro/html2text v0.0.0-2025 // a fork

replace (
	go.yaml.in/yaml/v4 => go.yaml.in/yaml/v4 v4.0.0-rc.3
	github.com/local/thing => ./vendored/thing
)

// replace github.com/commented/out => github.com/x/y v1.0.0

require code.gitea.io/sdk/gitea v0.24.1
"""


def test_versioned_replaces_are_copied_and_path_replaces_and_comments_are_not() -> None:
    assert versioned_replaces(UPSTREAM) == [
        "github.com/jaytaylor/html2text=github.com/Necoro/html2text@v0.0.0-2025",
        "go.yaml.in/yaml/v4=go.yaml.in/yaml/v4@v4.0.0-rc.3",
    ]
