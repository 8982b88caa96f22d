"""Editors' kind corrections as training data: refine the shipped kind model for this office.

An item whose kind an editor set (corrected or confirmed, `kind_locked`) is a hand label. Once
enough exist, `train_from_corrections` fits the kind model again with the shipped model as its
prior (the L2 pull goes towards the shipped weights, so a few hundred labels adjust it rather than
replace it), measures old and new model on the corrections it held back, and installs the new one
for this process and, through the instance file, for the next start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from nlp import Analyzer
from nlp.analyze import default_kind_model
from nlp.kind_model import LABELS, TrainingConfig, train
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import Item
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
    path: Path


def corrected_items() -> list[tuple[int, str, str, str]]:
    """(id, title, text, kind) of every item whose kind an editor set, oldest first."""
    rows = db.session.execute(
        db.select(Item.id, Item.title, Item.clean_text, Item.kind).where(Item.kind_locked).order_by(Item.id)
    )
    return [(row.id, row.title, row.clean_text, row.kind) for row in rows if row.kind in LABELS]


def _accuracy(analyzer: Analyzer, rows: list[tuple[int, str, str, str]]) -> float:
    if not rows:
        return 0.0
    return sum(analyzer.analyze(title, text).kind.label == kind for _, title, text, kind in rows) / len(rows)


def train_from_corrections() -> LearningResult:
    """Train, measure and install a kind model refined by the editors' corrections."""
    rows = corrected_items()
    minimum = int(current_app.config["XINXI_KIND_MIN_CORRECTIONS"])
    if len(rows) < minimum:
        raise ValidationError(
            f"至少需要 {minimum} 条由编辑校正过类型的信息才能训练，目前只有 {len(rows)} 条",
            code="too_few_corrections",
        )
    current = engines().analyzer
    rules = current.with_kind_model(None)
    prior = default_kind_model()
    examples = [(rules.kind_features(title, text), LABELS.index(kind)) for _, title, text, kind in rows]
    held = [row[0] % HELD_BACK_EVERY == 0 for row in rows]
    kept = [example for example, back in zip(examples, held, strict=True) if not back]
    trial = train(kept or examples, CORRECTION_CONFIG, prior=prior)
    held_rows = [row for row, back in zip(rows, held, strict=True) if back]
    before = _accuracy(current, held_rows)
    after = _accuracy(current.with_kind_model(trial), held_rows)
    model = train(examples, CORRECTION_CONFIG, prior=prior)
    path = Path(current_app.config["XINXI_KIND_MODEL_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    engines().analyzer = current.with_kind_model(model)
    per_label = {label: sum(row[3] == label for row in rows) for label in LABELS}
    return LearningResult(len(rows), per_label, len(held_rows), before, after, path)
