"""What is wrong with a form a person filled in, field by field, for the pages to show GOV.UK-style.

The rules that find these live in the services; the pages only translate
and place them (in the error summary and beside the field).
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Problem:
    """A field that was filled in wrongly and what to say about it: a message marked for translation
    (`N_`) and the values to fill into it once translated."""

    field: str
    message: str
    params: dict[str, str] = dataclasses.field(default_factory=dict)
