"""Each task family has its own Celery queue (docs/operations.md, "Workers per task family"),
and a worker started without -Q takes them all, so one worker still runs everything."""

from django.conf import settings

from qa_program.celery import app


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_every_task_goes_to_its_familys_queue():
    app.loader.import_default_modules()  # every app's tasks.py
    ours = sorted(name for name in app.tasks if not name.startswith("celery."))
    queues = {name: queue_of(name) for name in ours}

    assert queues["tickets.tasks.import_ticket_file"] == "imports"
    assert queues["connectors.tasks.pull_connector"] == "imports"
    assert queues["sampling.tasks.draw_sample_run"] == "draws"
    assert queues["rollups.tasks.flush_rollups"] == "rollups"
    assert queues["risk_model.tasks.run_risk_job"] == "models"
    assert queues["webhooks.delivery.deliver_webhooks"] == "outbound"
    assert queues["notifications.tasks.send_notification_emails"] == "outbound"
    assert queues["audits.tasks.purge_expired_content"] == "celery"
    families = {
        app_label: family
        for family, labels in settings.QA_TASK_FAMILIES.items()
        for app_label in labels
    }
    for name, queue in queues.items():
        assert queue == families.get(name.split(".")[0], "celery"), name


def test_a_worker_without_queues_named_takes_every_queue():
    assert set(app.amqp.queues.consume_from) == {"celery", *settings.QA_TASK_FAMILIES}
