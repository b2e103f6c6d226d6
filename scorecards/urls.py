from django.urls import path

from . import gap_views, model_views, overview_views, scorecard_views, trend_views

app_name = "scorecards"
urlpatterns = [
    path("", overview_views.overview, name="overview"),
    path("vendors/<slug:vendor>/", scorecard_views.scorecard, name="scorecard"),
    path("trends/", trend_views.trends, name="trends"),
    path("gaps/", gap_views.gaps, name="gaps"),
    path("gaps/<slug:category>/audits/", gap_views.gap_audits, name="gap_audits"),
    path("models/", model_views.model_monitoring, name="models"),
]
