"""Valid data for a form, generated from its definition: what the simulated year submits for each task.

The first choice of a choice field is taken as the usual answer (ok, approve, sign, зачёт…); `unusual` is the
share of choices that take another one (a faulty item, a returned draft), so the simulation also walks the other
paths of a process. Integer fields of one form share one value, which keeps rules such as "done ≤ total" true.
"""
import random
from datetime import date

from .binding import lookup
from .definition import FieldDef, FormDefinition


def sample_data(definition: FormDefinition, rng: random.Random, *, today: date, context: dict | None = None,
                file_ref: dict | None = None, units: dict[str, list[str]] | None = None,
                unusual: float = 0.0) -> dict:
    """`context`: the task's data (for rows counted from it); `file_ref`: {"attachment_id": …} for file fields;
    `units`: unit codes by kind for unit fields."""
    maker = _Maker(rng, today, context or {}, file_ref, units or {}, unusual, rng.randint(1, 60))
    return maker.fields(definition.fields)


class _Maker:
    def __init__(self, rng, today, context, file_ref, units, unusual, number):
        self.rng, self.today, self.context = rng, today, context
        self.file_ref, self.units, self.unusual, self.number = file_ref, units, unusual, number

    def fields(self, fields) -> dict:
        data = {}
        for f in fields:
            if f.readonly:
                continue
            value = self.value(f)
            if value is not None:
                data[f.name] = value
        return data

    def value(self, f: FieldDef):
        kind = f.type
        if kind == "group":
            return self.fields(f.fields)
        if kind == "rows":
            return [self.fields(f.fields) for _ in range(self.row_count(f))]
        if kind in ("string", "text"):
            return self.text(f)
        if kind == "email":
            return "simulation@gia.example"
        if kind in ("integer", "decimal"):
            low = int(f.min) if f.min is not None else 0
            high = int(f.max) if f.max is not None else low + 100
            return min(max(self.number, low), high)
        if kind == "date":
            return self.today.isoformat()
        if kind == "boolean":
            return True
        if kind == "choice":
            return self.choice(f)
        if kind == "multichoice":
            return [f.choices[0][0]]
        if kind == "file":
            # always attached: a diagram may require evidence the form leaves optional (params.evidence)
            return dict(self.file_ref) if self.file_ref else None
        if kind == "units":
            codes = self.units.get(f.unit_kind or "school") or []
            return codes[:1] or None
        return None

    def text(self, f: FieldDef) -> str:
        text = "Выполнено в срок, подробности в приложении (симуляция)."
        if f.min_length and len(text) < f.min_length:
            text = (text + " ") * (f.min_length // len(text) + 1)
        return text[: f.max_length] if f.max_length else text

    def choice(self, f: FieldDef) -> str:
        usual, others = f.choices[0][0], [c[0] for c in f.choices[1:]]
        return self.rng.choice(others) if others and self.rng.random() < self.unusual else usual

    def row_count(self, f: FieldDef) -> int:
        source = lookup(self.context, f.rows_from) if f.rows_from else None
        if isinstance(source, list):
            return max(1, len(source))
        if isinstance(source, int) and source > 0:
            return source
        return 1
