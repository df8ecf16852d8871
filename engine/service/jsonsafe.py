"""Process data as plain JSON for output (the serializer's own markers for dates and the like removed)."""
from datetime import date, datetime, timedelta
from decimal import Decimal


def jsonsafe(value):
    if isinstance(value, dict):
        return {str(k): jsonsafe(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonsafe(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
