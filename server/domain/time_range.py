"""The one range of dates and times the API accepts, decided here for every model.

Python's datetime stops at years 1 and 9999 and an offset can push a valid-looking value past
either end (`0001-01-01T00:00:00+14:00` has no UTC equivalent); Postgres and the date arithmetic
of reminders and deadlines break near those ends too. Nothing a course needs lies outside
1900-2200, so input outside it is refused (422) before any of that code runs, and every instant
is stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

FIRST_YEAR, LAST_YEAR = 1900, 2200
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
END = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)  # exclusive


def in_range_instant(value: datetime) -> datetime:
    """`value` in UTC, if it has an offset and falls within the accepted years."""
    if value.tzinfo is None:
        raise ValueError("a time needs a UTC offset")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < END:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "Times must fall between {first} and {last} (UTC).",
            {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    return utc


def in_range_date(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PydanticCustomError(
            "date_out_of_range",
            "Dates must fall between {first} and {last}.",
            {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    return value


# Use these, not `datetime`/`AwareDatetime`/`date`, for every date or time a client sends.
Instant = Annotated[AwareDatetime, AfterValidator(in_range_instant)]
Day = Annotated[date, AfterValidator(in_range_date)]
