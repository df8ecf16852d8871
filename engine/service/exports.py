"""Tables a process offers for download: the workflow data key `exports` maps a name to
{"title", "columns", "rows"} (e.g. the ЦКО ДИРО staff list, the RCOI summary). The diagram decides what goes in
them; this module only reads them back, checked, for whoever may see the instance."""
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from .. import projection, store
from ..access.guards import readable_instance
from ..errors import InvalidState, NotFound
from ..models import ProcessInstance, User

EXPORTS_KEY = "exports"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ExportTable:
    name: str
    title: str
    columns: list[str]
    rows: list[list]


def tables_of(instance: ProcessInstance) -> list[ExportTable]:
    """The well-formed tables of the instance, in the order the diagram wrote them; anything else under the key
    (another diagram may use it differently) is left out rather than failing the page."""
    offered = projection.process_data(store.workflow_of(instance)).get(EXPORTS_KEY)
    if not isinstance(offered, dict):
        return []
    tables = []
    for name, table in offered.items():
        if not (isinstance(name, str) and _NAME.match(name) and isinstance(table, dict)):
            continue
        columns, rows = table.get("columns"), table.get("rows")
        if not isinstance(columns, list) or not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            continue
        tables.append(ExportTable(name=name, title=str(table.get("title") or name),
                                  columns=[str(c) for c in columns], rows=[[_cell(v) for v in r] for r in rows]))
    return tables


def instance_table_export(instance_id: int, name: str, user: User) -> ExportTable:
    """One table of an instance `user` may see; NotFound when there is no such table, InvalidData when it has
    no rows yet (an empty file would look like a finished list): InvalidState."""
    instance = readable_instance(instance_id, user, what="export instance table")
    table = next((t for t in tables_of(instance) if t.name == name), None)
    if table is None:
        raise NotFound(_l("This instance has no table «%(name)s» to download."), name=name)
    if not table.rows:
        raise InvalidState(_l("The table «%(title)s» has no rows yet: there is nothing to download."),
                          title=table.title)
    return table


def _cell(value):
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return value
