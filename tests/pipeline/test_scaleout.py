"""The scale-out deployment for real: ``kuajing serve`` and ``kuajing worker`` processes (celery mode over
RabbitMQ) on a fresh PostgreSQL database of their own (whatever database the suite runs on).

* the crash test (kuajing/pipeline/crashtest.py): parcels posted while a worker and an API process are
  killed with SIGKILL and restarted; every accepted record reaches its final state exactly once (receipts,
  quota and bonded ledger movements, audit events counted against the expectation);
* Redis as the broker instead of RabbitMQ, and RabbitMQ with a quorum queue: the same outcome;
* the overload test: with the workers stopped the queue passes its bound, intake answers 503 busy_retry
  with Retry-After, the senders wait and send again, the workers come back, and every parcel whose records
  were accepted is released exactly once.

``KUAJING_CRASH_PARCELS`` sets the crash test's parcels (default 3,000, about five minutes on the 2-core
machine; ``python -m kuajing.pipeline.crashtest --parcels N`` by hand).
"""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from kuajing.imports import bench
from kuajing.pipeline import crashtest, deploy

# one deployment at a time (scripts/test runs pytest with --dist loadgroup): each starts several API and
# worker processes with their own connection pools, and two at once ran PostgreSQL out of connections
pytestmark = pytest.mark.xdist_group("scaleout")


def test_crash_test_every_accepted_record_final_exactly_once():
    parcels = int(os.environ.get("KUAJING_CRASH_PARCELS", "3000"))
    report = crashtest.run(parcels=parcels, drain_timeout=420)
    assert report["problems"] == [], report
    assert report["accepted_parcels"] == parcels
    assert report["connection_errors"] > 0  # the killed API node was really in use
    assert len(report["kills"]) == 2


def test_overload_answers_503_with_retry_after_and_drops_nothing():
    dep = deploy.start(apis=1, workers=1, name=f"kuajing_overload_{os.getpid()}",
                       extra_env={"KUAJING_INTAKE_MAX_QUEUE_DEPTH": "24", "KUAJING_QUEUE_DEPTH_CACHE_SECONDS": "0",
                                  "KUAJING_INTAKE_RETRY_AFTER_SECONDS": "1"})
    try:
        dep.workers[0].stop()  # nothing drains the queue: the burst must hit the bound
        postings, _info = bench.make_postings(parcels=60, parties=dep.zone.parties, signer=dep.zone.signer,
                                              mix_1210=0.5, seed=11)
        restarted = threading.Event()

        def on_busy(out: deploy.Senders) -> None:
            if out.busy >= 8 and not restarted.is_set():
                restarted.set()
                dep.workers[0].start()  # the workers come back; the senders' retries get through

        out = deploy.send_all(postings=postings, keys=dep.zone.keys, base_urls=dep.base_urls, clients=4,
                              on_busy=on_busy, retry_cap=1.0)
        assert restarted.is_set()
        assert out.busy >= 8 and out.busy_retry_after == out.busy  # every 503 said when to come back
        assert set(out.busy_codes) == {"busy_retry"}
        assert out.refused == [] and out.tally.rejected == {}
        assert out.tally.accepted == 60
        left = deploy.wait_drained(dep.url, timeout=300, expected_lists=60)
        assert not any(v for k, v in left.items() if k != "lists"), left
        assert crashtest.verify(dep.url, accepted=set(out.tally.accepted_at), parcels=60) == []
    finally:
        deploy.teardown(dep)


@pytest.mark.parametrize("broker", ["redis", "rabbitmq-quorum"])
def test_other_brokers(broker):
    """The same deployment with Redis instead of RabbitMQ (KUAJING_BROKER_URL=redis://…), and with the
    pipeline queue declared as a replicated RabbitMQ quorum queue (KUAJING_PIPELINE_QUEUE_QUORUM=true, the
    production setting of a RabbitMQ cluster): every parcel released exactly once."""
    if broker == "redis":
        dep = deploy.start(apis=1, workers=1, name=f"kuajing_redis_{os.getpid()}",
                           broker_url=os.environ.get("KUAJING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    else:
        dep = deploy.start(apis=1, workers=1, name=f"kuajing_quorum_{os.getpid()}",
                           extra_env={"KUAJING_PIPELINE_QUEUE_QUORUM": "true"})
    try:
        postings, _info = bench.make_postings(parcels=12, parties=dep.zone.parties, signer=dep.zone.signer,
                                              mix_1210=0.5, seed=5)
        out = deploy.send_all(postings=postings, keys=dep.zone.keys, base_urls=dep.base_urls, clients=2)
        assert out.tally.accepted == 12 and out.refused == [], (out.refused[:2], deploy.log_tails(dep))
        left = deploy.wait_drained(dep.url, timeout=240, expected_lists=12)
        assert not any(v for k, v in left.items() if k != "lists"), left
        assert crashtest.verify(dep.url, accepted=set(out.tally.accepted_at), parcels=12) == []
        if broker == "rabbitmq-quorum":  # the queue the workers consumed really is a quorum queue
            listed = subprocess.run(["rabbitmqctl", "-q", "list_queues", "name", "type"], capture_output=True,
                                    text=True, timeout=60).stdout.split("\n")
            queue = dep.env["KUAJING_PIPELINE_QUEUE"]
            assert any(line.split() == [queue, "quorum"] for line in listed), listed
    finally:
        deploy.teardown(dep)
