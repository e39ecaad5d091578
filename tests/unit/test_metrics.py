"""core.metrics: where a count goes (this process's values, or the tally a worker publishes), the
request histogram's labels, and a published tally read back as families labelled by worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client.metrics_core import Metric

from recurra.core import metrics
from recurra.ops.scrape import merged


def local(name: str, labels: dict[str, str] | None = None) -> float:
    """A sample's value in this process's metrics (0 when it has none yet)."""
    for family in metrics.local_families():
        for sample in family.samples:
            if sample.name == name and sample.labels == (labels or {}):
                return sample.value
    return 0.0


@pytest.fixture
def publishing() -> Iterator[None]:
    metrics.counts_published(True)
    try:
        yield
    finally:
        metrics.counts_published(False)


def test_a_count_goes_to_this_process_values() -> None:
    labels = {"gateway": "sandbox", "operation": "charge", "kind": "unanswered"}
    before = local("recurra_gateway_errors_total", labels)
    metrics.GATEWAY_ERRORS.add(**labels)
    metrics.GATEWAY_ERRORS.add(2, **labels)
    metrics.GATEWAY_ERRORS.add(0, **labels)  # nothing
    assert local("recurra_gateway_errors_total", labels) == before + 3
    assert metrics.counts_snapshot() == {}


def test_wrong_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="takes the labels"):
        metrics.PAYMENTS.add(outcome="succeeded")
    with pytest.raises(ValueError, match="takes the labels"):
        metrics.RENEWALS_BILLED.add(1, step="billing_run")


@pytest.mark.usefixtures("publishing")
def test_in_a_publishing_process_counts_go_to_the_tally_only() -> None:
    before = local("recurra_renewals_billed_total")
    metrics.RENEWALS_BILLED.add(3)
    metrics.PAYMENTS.add(2, outcome="failed", step="retry_due")
    metrics.PAYMENTS.add(outcome="failed", step="retry_due")
    metrics.PAYMENTS.add(5, outcome="succeeded", step="billing_run")
    assert local("recurra_renewals_billed_total") == before  # counted once, in the tally
    assert metrics.counts_snapshot() == {
        "recurra_payments": [[["failed", "retry_due"], 3], [["succeeded", "billing_run"], 5]],
        "recurra_renewals_billed": [[[], 3]],
    }


def test_published_snapshots_read_back_as_counter_families_labelled_by_worker() -> None:
    snapshots = [
        (
            "web-1:41",
            {"recurra_payments": [[["failed", "retry_due"], 3]], "recurra_renewals_billed": [[[], 7]]},
        ),
        ("web-2:7", {"recurra_payments": [[["succeeded", "billing_run"], 1]], "recurra_gone": [[[], 1]]}),
        ("web-3:9", {"recurra_payments": [[["too", "many", "labels"], 1]]}),
    ]
    families = {f.name: f for f in metrics.counts_families(snapshots)}
    assert set(families) == {"recurra_payments", "recurra_renewals_billed"}  # unknown ones left out
    assert families["recurra_payments"].type == "counter"
    assert [(s.name, s.labels, s.value) for s in families["recurra_payments"].samples] == [
        ("recurra_payments_total", {"outcome": "failed", "step": "retry_due", "worker": "web-1:41"}, 3.0),
        ("recurra_payments_total", {"outcome": "succeeded", "step": "billing_run", "worker": "web-2:7"}, 1.0),
    ]
    assert [(s.labels, s.value) for s in families["recurra_renewals_billed"].samples] == [
        ({"worker": "web-1:41"}, 7.0)
    ]


def test_a_request_is_observed_by_route_method_and_status_class() -> None:
    def count(route: str, method: str, status: str) -> float:
        labels = {"route": route, "method": method, "status": status}
        return local("recurra_http_request_duration_seconds_count", labels)

    before = count("/api/v1/contacts/<contact_id>", "GET", "4xx"), count("/x", "OTHER", "2xx")
    metrics.request_observe(route="/api/v1/contacts/<contact_id>", method="GET", status=404, seconds=0.002)
    metrics.request_observe(route="/api/v1/contacts/<contact_id>", method="GET", status=401, seconds=0.001)
    metrics.request_observe(route="/x", method="BREW", status=200, seconds=0.001)
    assert (count("/api/v1/contacts/<contact_id>", "GET", "4xx"), count("/x", "OTHER", "2xx")) == (
        before[0] + 2,
        before[1] + 1,
    )


def test_families_of_one_name_are_merged_into_one() -> None:
    a, b, c = Metric("m", "first", "counter"), Metric("m", "second", "counter"), Metric("n", "other", "gauge")
    a.add_sample("m_total", {"worker": "x"}, 1)
    b.add_sample("m_total", {}, 2)
    c.add_sample("n", {}, 3)
    out = merged([a], [b, c])
    assert [(f.name, f.documentation, [s.value for s in f.samples]) for f in out] == [
        ("m", "first", [1, 2]),
        ("n", "other", [3]),
    ]
