"""manage.py score_tickets: write the built-in risk model's scores to the ticket population."""

from django.core.management.base import BaseCommand, CommandError

from risk_model.jobs import scoring_summary
from risk_model.models import RiskModel
from risk_model.scoring import CHUNK, current_model, score_tickets


class Command(BaseCommand):
    help = (
        "Score every ticket with the built-in risk model (the latest version unless "
        "--version), in pages by id; outside models' scores are kept unless "
        "--overwrite-outside."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--model-version", type=int, help="the version to score with (default: the latest)"
        )
        parser.add_argument(
            "--overwrite-outside",
            action="store_true",
            help="replace scores from outside models too",
        )
        parser.add_argument(
            "--chunk",
            type=int,
            default=CHUNK,
            help=f"tickets per page and per update (default {CHUNK})",
        )

    def handle(self, *args, **options):
        if options["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
        if options["model_version"] is None:
            model = current_model()
            if model is None:
                raise CommandError("No risk model yet: run manage.py train_risk_model first.")
        else:
            model = RiskModel.objects.filter(version=options["model_version"]).first()
            if model is None:
                raise CommandError(f"No risk model version {options['version']}.")
        result = score_tickets(
            model, overwrite_outside=options["overwrite_outside"], chunk=options["chunk"]
        )
        self.stdout.write(scoring_summary(result))
