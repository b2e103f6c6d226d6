"""``manage.py pull_tickets [NAME]``: pull one connector (or every active one) once, here."""

from django.core.management.base import BaseCommand, CommandError

from connectors.models import Connector
from connectors.pulling import pull


class Command(BaseCommand):
    help = ("Pull tickets from a connector (every active one without NAME) until the end of "
            "its stream.")

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the connector's name")

    def handle(self, *args, name=None, **options):
        if name:
            connector = Connector.objects.filter(name=name).first()
            if connector is None:
                known = ", ".join(Connector.objects.values_list("name", flat=True)) or "none"
                raise CommandError(f"No connector named {name!r} (known: {known}).")
            connectors = [connector]
        else:
            connectors = list(Connector.objects.filter(is_active=True))
        failed = False
        for connector in connectors:
            report = pull(connector)
            self.stdout.write(report.summary())
            failed = failed or not report.ok
        if failed:
            raise CommandError("A pull failed; its error is on the connector's page.")
