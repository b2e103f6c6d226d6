"""The risk model's learning, pure (pandas, numpy, scikit-learn; no Django): ticket features,
the agent's smoothed error rate without the ticket's own label, the pipeline, K-fold
cross-fitting and the final fit. ``risk_model.training`` feeds it audited tickets from the
database; ``risk_model.scoring`` applies the fitted ``RiskBundle`` to the population.
Docs: docs/risk-model.md.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# The ticket's categories, one-hot encoded; a value seen on fewer than MIN_CATEGORY_AUDITS
# training tickets joins the column's "rare" level, and at most MAX_CATEGORIES levels are kept
# per column, so the model's width (and its stored size) is bounded whatever the data.
CATEGORIES = ("workflow", "site", "language", "channel", "decision", "policy_label", "hour")
MIN_CATEGORY_AUDITS = 5
MAX_CATEGORIES = 64
NUMBERS = ("automated", "agent_error_logit")
# The excerpt's words and word pairs hashed into this many columns (no vocabulary to store).
TEXT_FEATURES = 2**12
# The agent's error rate is shrunk towards the training failure rate as if the agent had this
# many more audits at that rate (a beta prior): an agent with 3 audits is mostly the average.
PRIOR_AUDITS = 20
# L2 penalties tried by the inner 3-fold search on log loss, from strong to weak.
PENALTIES = (0.01, 0.1, 1.0, 10.0)
INNER_FOLDS = 3

FEATURES = [
    {"name": "workflow", "encoding": "one-hot (rare levels pooled)"},
    {"name": "site", "encoding": "one-hot (rare levels pooled)"},
    {"name": "language", "encoding": "one-hot (rare levels pooled)"},
    {"name": "channel", "encoding": "one-hot (rare levels pooled)"},
    {"name": "decision", "encoding": "one-hot (rare levels pooled)"},
    {"name": "policy label", "encoding": "one-hot (rare levels pooled)"},
    {"name": "hour of day", "encoding": "one-hot of the hour in the site's timezone"},
    {"name": "automated", "encoding": "0/1, standardised"},
    {
        "name": "agent's error rate",
        "encoding": f"logit of failures + {PRIOR_AUDITS}·p̄ over audits + {PRIOR_AUDITS} in the "
        "training window, the ticket's own audit left out; standardised",
    },
    {
        "name": "excerpt",
        "encoding": f"words and word pairs hashed to {TEXT_FEATURES} columns, L2-normalised",
    },
]
ESTIMATOR_NAME = (
    f"L2 logistic regression, penalty chosen by {INNER_FOLDS}-fold log loss among "
    f"C ∈ {{{', '.join(f'{c:g}' for c in PENALTIES)}}}"
)

# The ticket fields the features read, as ``values()`` names them.
TICKET_FIELDS = (
    "id",
    "agent_id",
    "workflow_id",
    "site_id",
    "language",
    "channel",
    "decision",
    "policy_label",
    "automated",
    "handled_at",
    "site__timezone",
    "excerpt",
)


def ticket_frame(rows: Iterable[Mapping]) -> pd.DataFrame:
    """The features' raw columns from ticket rows with ``TICKET_FIELDS``; the hour is the one
    on the site's clock (a night shift is a night shift in Manila and in Bogotá)."""
    rows = list(rows)
    frame = pd.DataFrame.from_records(rows, columns=list(TICKET_FIELDS))
    handled = pd.to_datetime(frame["handled_at"], utc=True)
    hours = np.zeros(len(frame), dtype=int)
    for zone in frame["site__timezone"].unique():
        inside = (frame["site__timezone"] == zone).to_numpy()
        hours[inside] = handled[inside].dt.tz_convert(zone or "UTC").dt.hour.to_numpy()
    return pd.DataFrame(
        {
            "agent": frame["agent_id"].to_numpy(),
            "workflow": frame["workflow_id"].astype(str),
            "site": frame["site_id"].astype(str),
            "language": frame["language"].fillna("").astype(str),
            "channel": frame["channel"].fillna("").astype(str),
            "decision": frame["decision"].fillna("").astype(str),
            "policy_label": frame["policy_label"].fillna("").astype(str),
            "hour": pd.Series(hours).astype(str),
            "automated": frame["automated"].astype(float),
            "excerpt": frame["excerpt"].fillna("").astype(str),
        }
    )


@dataclass(frozen=True)
class AgentRecord:
    """Each agent's audits and failures among a set of training tickets, and their failure rate
    ``prior_rate`` (the smoothing's centre)."""

    audits: dict
    failures: dict
    prior_rate: float

    @classmethod
    def of(cls, agents: NDArray, failed: NDArray) -> AgentRecord:
        audits = pd.Series(1, index=agents).groupby(level=0).sum()
        failures = pd.Series(failed, index=agents).groupby(level=0).sum()
        return cls(
            {int(a): int(n) for a, n in audits.items()},
            {int(a): int(f) for a, f in failures.items()},
            float(np.mean(failed)) if len(failed) else 0.0,
        )

    def error_logit(self, agents: NDArray, own_failed: NDArray | None = None) -> NDArray:
        """The smoothed error rate's logit for each of ``agents``. For a ticket in the record
        pass ``own_failed`` (its label): its audit is taken out first, so the feature never
        carries the label it predicts."""
        n = np.array([self.audits.get(int(a), 0) for a in agents], dtype=float)
        f = np.array([self.failures.get(int(a), 0) for a in agents], dtype=float)
        if own_failed is not None:
            n, f = n - 1, f - np.asarray(own_failed, dtype=float)
        rate = (f + PRIOR_AUDITS * self.prior_rate) / (n + PRIOR_AUDITS)
        rate = np.clip(rate, 1e-4, 1 - 1e-4)
        return np.log(rate / (1 - rate))


def build_pipeline() -> Pipeline:
    """The encoder and the L2 logistic regression (docs/risk-model.md#the-model says why).
    scikit-learn is imported here, where a model is fitted: it costs two seconds of CPU, and
    every web and worker process imports this module through the model pages' URLs."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    encoder = ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    min_frequency=MIN_CATEGORY_AUDITS,
                    max_categories=MAX_CATEGORIES,
                ),
                list(CATEGORIES),
            ),
            ("numbers", StandardScaler(), list(NUMBERS)),
            (
                "excerpt",
                HashingVectorizer(
                    n_features=TEXT_FEATURES, alternate_sign=False, ngram_range=(1, 2), norm="l2"
                ),
                "excerpt",
            ),
        ],
        sparse_threshold=1.0,
    )
    classifier = LogisticRegressionCV(
        Cs=list(PENALTIES),
        cv=INNER_FOLDS,
        scoring="neg_log_loss",
        l1_ratios=(0.0,),
        solver="liblinear",
        max_iter=1000,
        use_legacy_attributes=False,
    )
    return Pipeline([("features", encoder), ("classifier", classifier)])


@dataclass
class RiskBundle:
    """What a version stores: the fitted pipeline and the agent record its agent feature is
    computed from at scoring time, and the K fold models of its cross-fitting (``folds``,
    empty in a fold model and in versions stored before they were kept)."""

    pipeline: Pipeline
    agents: AgentRecord
    folds: list[RiskBundle] = field(default_factory=list)

    def predict(self, frame: pd.DataFrame, excerpts=None) -> NDArray:
        """Probability of failing QA from this bundle's own pipeline (the final model's, or a
        fold model's). ``excerpts``: the frame's hashed excerpts (``hashed_excerpts``), when
        the caller has them already; the other columns are encoded by this pipeline."""
        features = frame.assign(agent_error_logit=self.agents.error_logit(frame["agent"]))
        if excerpts is None:
            return np.clip(self.pipeline.predict_proba(features)[:, 1], 0.0, 1.0)
        from scipy import sparse

        encoded = [
            excerpts if name == "excerpt" else transformer.transform(features[columns])
            for name, transformer, columns in self.pipeline.named_steps["features"].transformers_
            if transformer != "drop"
        ]
        matrix = sparse.hstack(encoded).tocsr()  # in the order the ColumnTransformer stacks
        return np.clip(
            self.pipeline.named_steps["classifier"].predict_proba(matrix)[:, 1], 0.0, 1.0
        )

    def hashed_excerpts(self, frame: pd.DataFrame):
        """The excerpts' hashed words and word pairs: the vectoriser keeps no state, so every
        model of a version (built by ``build_pipeline``) turns a ticket into the same row."""
        return self.pipeline.named_steps["features"].named_transformers_["excerpt"].transform(
            frame["excerpt"]
        )

    def cross_predict(self, frame: pd.DataFrame) -> NDArray:
        """Probability of failing QA for tickets no model of this version learned from: the
        average of the K fold models' predictions (cross-prediction, Zrnic & Candès 2024), so
        unaudited tickets are scored by the same models as the audited ones' out-of-fold
        scores. The excerpts are hashed once for the K models (most of a prediction's work).
        A version stored without its fold models falls back to the final model."""
        folds = getattr(self, "folds", None) or []  # unpickled from before folds were kept
        if not folds:
            return self.predict(frame)
        excerpts = self.hashed_excerpts(frame)
        return np.mean([fold.predict(frame, excerpts) for fold in folds], axis=0)

    @property
    def penalty(self) -> float:
        return float(np.ravel(self.pipeline.named_steps["classifier"].C_)[0])

    def dumps(self) -> bytes:
        import joblib

        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        return buffer.getvalue()

    @staticmethod
    def loads(data: bytes) -> RiskBundle:
        """The stored bundle (only ever bytes this module wrote to the database)."""
        import joblib

        return joblib.load(io.BytesIO(bytes(data)))


def fit_bundle(frame: pd.DataFrame, failed: NDArray) -> RiskBundle:
    """Fit on ``frame``'s tickets and their labels (1 = failed); each ticket's agent feature
    leaves its own audit out."""
    failed = np.asarray(failed, dtype=int)
    agents = AgentRecord.of(frame["agent"].to_numpy(), failed)
    features = frame.assign(
        agent_error_logit=agents.error_logit(frame["agent"].to_numpy(), own_failed=failed)
    )
    pipeline = build_pipeline().fit(features, failed)
    return RiskBundle(pipeline, agents)


@dataclass(frozen=True)
class CrossFit:
    """Out-of-fold scores: ``scores[i]`` came from the model fitted without fold ``fold[i]``,
    the fold holding ticket i; ``models[k]`` is the model fitted without fold k."""

    scores: NDArray
    fold: NDArray
    models: list[RiskBundle] = field(default_factory=list)


def fold_assignment(failed: NDArray, folds: int, seed: int) -> NDArray:
    """Each ticket's fold: stratified on the label, shuffled with ``seed`` (reproducible)."""
    from sklearn.model_selection import StratifiedKFold

    assignment = np.empty(len(failed), dtype=int)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (_, held_out) in enumerate(splitter.split(np.zeros(len(failed)), failed)):
        assignment[held_out] = k
    return assignment


def cross_fit(frame: pd.DataFrame, failed: NDArray, folds: int, seed: int) -> CrossFit:
    """K-fold cross-fitting: each fold is scored by a model fitted on the other folds only,
    agent rates included (Chernozhukov et al., Econometrics Journal 21, 2018, on cross-fitting)."""
    failed = np.asarray(failed, dtype=int)
    assignment = fold_assignment(failed, folds, seed)
    scores = np.empty(len(failed), dtype=float)
    models = []
    for k in range(folds):
        held_out = assignment == k
        bundle = fit_bundle(frame[~held_out].reset_index(drop=True), failed[~held_out])
        scores[held_out] = bundle.predict(frame[held_out].reset_index(drop=True))
        models.append(bundle)
    return CrossFit(scores, assignment, models)


def smallest_class_needed(folds: int) -> int:
    """Failures (and passes) needed so every training part of every fold can still run the
    inner search: ``INNER_FOLDS`` of each outcome after a fold is held out."""
    return math.ceil(INNER_FOLDS * folds / (folds - 1)) + 1
