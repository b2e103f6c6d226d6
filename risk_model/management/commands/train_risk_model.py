"""manage.py train_risk_model: train the next version of the built-in risk model now."""

from django.core.management.base import BaseCommand, CommandError

from risk_model.training import TrainingRefused, train_risk_model


class Command(BaseCommand):
    help = (
        "Train the next version of the built-in risk model on finalised audits, with "
        "cross-fitted scores for the audited tickets (docs/risk-model.md)."
    )

    def handle(self, *args, **options):
        try:
            model = train_risk_model()
        except TrainingRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            f"Trained {model.name} on {model.audits:,} audited tickets "
            f"({model.failures:,} failed): AUC {model.auc:.3f} "
            f"[{model.auc_low:.3f}, {model.auc_high:.3f}], Brier {model.brier:.4f} "
            f"[{model.brier_low:.4f}, {model.brier_high:.4f}], out of fold."
        )
