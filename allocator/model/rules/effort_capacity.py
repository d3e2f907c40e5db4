"""effort_capacity: a CSM's effort is at most its capacity x ramp."""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class EffortCapacity:
    name = "effort_capacity"

    def build(self, form: Form[Any]) -> None:
        for csm_id in form.by_csm:
            variables, efforts = form.load(csm_id)
            capacity = form.facts.capacity(csm_id)
            if sum(efforts) > capacity:
                form.require(variables, efforts, None, capacity, self.name, csm_id)
