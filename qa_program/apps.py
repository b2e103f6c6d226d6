from django.apps import AppConfig


class QaProgramConfig(AppConfig):
    """The wiring: settings, URLs, the Celery app and the events' subscribers."""

    name = "qa_program"
    verbose_name = "QA Program"

    def ready(self) -> None:
        from . import events  # imports every app's domain modules: only once they are loaded

        events.subscribe_all()
