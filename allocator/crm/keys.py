"""How the CRM names each CSM and account: kept beside an imported instance.

`allocate import` writes `<instance>.crm.json` next to the instance so that `allocate moves`
can write owner updates with the platform's own keys (a Salesforce user id, an email, a
full name) without the instance format having to carry them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from allocator.crm.presets import ExportShape, OwnerKey
from allocator.io.files import write_text_atomic
from allocator.io.loading import read_model


class CsmKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    email: str = ""
    crm_id: str = ""


class CrmKeys(BaseModel):
    """The import's preset, the columns it read ids and owners from, and CSM keys."""

    model_config = ConfigDict(extra="forbid")

    preset: str
    account_column: str
    owner_column: str
    owner_key: OwnerKey
    effective_date_column: str | None = None
    csms: dict[str, CsmKeys] = Field(default_factory=dict)

    def shape(self) -> ExportShape:
        return ExportShape(
            account_column=self.account_column,
            owner_column=self.owner_column,
            owner_key=self.owner_key,
            effective_date_column=self.effective_date_column,
        )


def keys_path(instance_path: str | Path) -> Path:
    """instance.json -> instance.crm.json"""
    path = Path(instance_path)
    return path.with_name(path.stem + ".crm.json")


def write_keys(keys: CrmKeys, path: str | Path) -> Path:
    target = Path(path)
    write_text_atomic(target, keys.model_dump_json(indent=1) + "\n")
    return target


def read_keys(path: str | Path) -> CrmKeys:
    return read_model(path, CrmKeys)
