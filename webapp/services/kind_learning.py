"""Editors' kind corrections as training data: refine the shipped kind model for this office.

An item whose kind an editor set (corrected or confirmed, `kind_locked`) is a hand label. Once
enough exist, `train_from_corrections` fits the kind model again with the shipped model as its
prior (the L2 pull goes towards the shipped weights, so a few hundred labels adjust it rather than
replace it), measures old and new model on the corrections it held back, and stores the new one in the
database (`artifacts`), where this process and every other host pick it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from nlp import Analysis, Analyzer
from nlp.analyze import default_kind_model
from nlp.kind_model import LABELS, KindModel, TrainingConfig, train
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import Item
from webapp.services import artifacts
from webapp.services.errors import ValidationError

# Every feature of a correction counts (min_count 1): there are few of them, and the prior keeps
# the rest of the shipped model in place.
CORRECTION_CONFIG = TrainingConfig(min_count=1)
HELD_BACK_EVERY = 5  # every 5th correction (by id) is kept for the before/after measurement


@dataclass(frozen=True, slots=True)
class LearningResult:
    """What a training run used and what it changed, for the command's report."""

    corrections: int
    per_label: dict[str, int]
    held_back: int
    accuracy_before: float  # the model in use, on the held-back corrections
    accuracy_after: float  # the new model, trained without them
    version: int  # of the shared kind model now in use on every host


def corrected_items() -> list[tuple[int, str, str, str]]:
    """(id, title, text, kind) of every item whose kind an editor set, oldest first."""
    rows = db.session.execute(
        db.select(Item.id, Item.title, Item.clean_text, Item.kind).where(Item.kind_locked).order_by(Item.id)
    )
    return [(row.id, row.title, row.clean_text, row.kind) for row in rows if row.kind in LABELS]


def _accuracy(analyses: list[Analysis], kinds: list[str], model: KindModel | None) -> float:
    if not analyses:
        return 0.0
    right = sum(
        Analyzer.refined_kind(a, model).label == kind for a, kind in zip(analyses, kinds, strict=True)
    )
    return right / len(analyses)


def train_from_corrections(action: str = "train-kind") -> LearningResult:
    """Train, measure and install a kind model refined by the editors' corrections; `action`
    records who trained it."""
    rows = corrected_items()
    minimum = int(current_app.config["XINXI_KIND_MIN_CORRECTIONS"])
    if len(rows) < minimum:
        raise ValidationError(
            f"至少需要 {minimum} 条由编辑校正过类型的信息才能训练，目前只有 {len(rows)} 条",
            code="too_few_corrections",
        )
    artifacts.refresh_if_stale(force=True)  # "before" is the model every host uses now
    current = engines().analyzer
    # One rules-only analysis per item: the training features and both measurements come from it.
    rules = current.with_kind_model(None)
    analyses = [rules.analyze(title, text) for _, title, text, _ in rows]
    prior = default_kind_model()
    kinds = [row[3] for row in rows]
    examples = [(Analyzer.kind_features(a), LABELS.index(k)) for a, k in zip(analyses, kinds, strict=True)]
    held = [row[0] % HELD_BACK_EVERY == 0 for row in rows]
    kept = [example for example, back in zip(examples, held, strict=True) if not back]
    trial = train(kept or examples, CORRECTION_CONFIG, prior=prior)
    held_analyses = [a for a, back in zip(analyses, held, strict=True) if back]
    held_kinds = [kind for kind, back in zip(kinds, held, strict=True) if back]
    before = _accuracy(held_analyses, held_kinds, current.kind_model)
    after = _accuracy(held_analyses, held_kinds, trial)
    model = train(examples, CORRECTION_CONFIG, prior=prior)
    version = artifacts.save(artifacts.KIND_MODEL, model.to_json(), action)
    artifacts.refresh_if_stale(force=True)  # this process at once; the others at their next check
    per_label: dict[str, int] = {label: kinds.count(label) for label in LABELS}
    return LearningResult(len(rows), per_label, len(held_kinds), before, after, version)
