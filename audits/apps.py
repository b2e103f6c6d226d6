from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Audits"

    def ready(self) -> None:
        from . import analyst_view

        # The analyst view pins the tables it reads; keep it out of every migration's way.
        pre_migrate.connect(
            lambda using, **kwargs: analyst_view.drop_view(using),
            sender=self, weak=False, dispatch_uid="audits.drop_analyst_view",
        )
        post_migrate.connect(
            lambda using, **kwargs: analyst_view.create_view_if_migrated(using),
            sender=self, weak=False, dispatch_uid="audits.create_analyst_view",
        )
