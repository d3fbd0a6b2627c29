"""The Celery application of the scale-out mode (``KUAJING_PIPELINE_MODE=celery``), built from Settings.

Nothing is read at import time: :func:`create_celery` builds the app for one ``Settings`` and registers the
pipeline tasks (:mod:`kuajing.pipeline.tasks`) bound to a :class:`~kuajing.pipeline.tasks.Runtime` (database,
customs transport). Tasks are acknowledged late (after their transaction committed) and re-queued when the
worker process is lost; every handler is idempotent, so a redelivered task finds its work done.

Broker: RabbitMQ (``amqp://…``, publisher confirms on) or Redis (``redis://…``, visibility timeout
``redispatch_after_seconds``). One durable queue per deployment (``KUAJING_PIPELINE_QUEUE``).
"""

from __future__ import annotations

import logging

log = logging.getLogger("kuajing.pipeline")

SEND = "kuajing.pipeline.send"
APPLY = "kuajing.pipeline.apply"
HOUSEKEEPING = "kuajing.pipeline.housekeeping"
MATCH = "kuajing.pipeline.match"


def create_celery(settings, *, runtime=None):
    """The Celery app for ``settings`` with the pipeline tasks registered."""
    from celery import Celery
    from kombu import Queue

    from kuajing.pipeline import tasks

    app = Celery("kuajing", broker=settings.broker_url, set_as_current=False)
    transport_options: dict = {}
    if settings.broker_url.startswith("amqp"):
        transport_options["confirm_publish"] = True  # the relay marks a row only after the broker confirmed it
    elif settings.broker_url.startswith(("redis", "rediss")):
        transport_options["visibility_timeout"] = max(60, int(settings.redispatch_after_seconds))
    app.conf.update(
        task_default_queue=settings.pipeline_queue,
        task_queues=[Queue(settings.pipeline_queue, durable=True,
                           queue_arguments={"x-queue-type": "quorum"} if settings.pipeline_queue_quorum else None)],
        task_serializer="json", accept_content=["json"], result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,  # acknowledged after the handler's transaction committed
        task_reject_on_worker_lost=True,  # a killed worker's task goes back to the queue
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options,
        broker_heartbeat=10,
        enable_utc=True,
    )
    runtime = runtime or tasks.Runtime(settings)
    app.kuajing_runtime = runtime
    tasks.register(app, runtime)
    return app


def broker_queue_depth(settings) -> int | None:
    """Messages waiting in the pipeline queue (None when the broker does not answer within 2 s)."""
    try:
        from kombu import Connection

        with Connection(settings.broker_url, connect_timeout=2) as conn:
            if settings.broker_url.startswith(("redis", "rediss")):
                return int(conn.default_channel.client.llen(settings.pipeline_queue))
            _name, count, _consumers = conn.default_channel.queue_declare(queue=settings.pipeline_queue, passive=True)
            return int(count)
    except Exception as exc:  # broker down or queue not declared yet: no figure rather than an error
        log.debug("broker queue depth unavailable: %s", exc)
        return None


def purge_queue(settings) -> None:
    """Delete the pipeline queue (tests and benchmarks with a queue of their own)."""
    from kombu import Connection

    with Connection(settings.broker_url, connect_timeout=5) as conn:
        if settings.broker_url.startswith(("redis", "rediss")):
            conn.default_channel.client.delete(settings.pipeline_queue)
        else:
            conn.default_channel.queue_delete(settings.pipeline_queue)
