"""specialization: the objective term counting specialised-vertical accounts given to a
CSM outside that vertical. It exists only when specialisation is a preference
(`specialization.hard: false`); as a hard rule it is part of eligibility."""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class Specialization:
    name = "specialization"

    def build(self, form: Form[Any]) -> None:
        facts = form.facts
        if facts.specialization_hard or not form.objective:
            return
        off = [var for (a, c), var in form.x.items() if facts.off_specialism(a, c)]
        form.add_term(self.name, off, [100] * len(off))
