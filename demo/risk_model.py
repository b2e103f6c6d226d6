"""The demo's built-in risk model: a version trained on the seeded finalised audits and its
score on every ticket, so the model card, the planner's AI-assisted panel and the AI-assisted
estimates have a model to show. A re-run keeps the version it finds and scores again (the same
scores); a demo with too few audits to train (a small ``--tickets``) has no model."""

from __future__ import annotations

from risk_model.models import RiskModel
from risk_model.scoring import current_model, score_tickets
from risk_model.training import TrainingRefused, train_risk_model


def seed() -> dict:
    model, created = current_model(), 0
    if model is None:
        try:
            model = train_risk_model()
        except TrainingRefused:
            return {"risk model": (0, 0)}
        created = 1
    score_tickets(model)
    return {"risk model": (created, RiskModel.objects.count())}
