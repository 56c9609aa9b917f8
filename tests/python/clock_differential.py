"""The `datetime` module with the virtual clock installed behaves as the real
one: run by tests/clock.rs once before the harness loads (the real module)
and once after (the clock installed), in the same interpreter, so hashes and
pickle bytes compare too. Each call on a grid of inputs gives a fingerprint
(result type, repr, relations to the names an example sees, pickles, copies,
or the exception); the two runs must agree on every one.

Only the calls that read the clock (`now`, `utcnow`, `today`) are left out."""

import calendar
import copy
import datetime as dt
import email.utils
import json
import operator
import os
import pickle
import re
import sqlite3
import time
import zoneinfo

NOW_DEPENDENT = {"now", "utcnow", "today"}
CLASSES = ("date", "datetime", "time", "timedelta", "timezone", "tzinfo")
ADDRESS = re.compile(r"0x[0-9a-f]+")

# Made by the real classes before the clock is installed: they must still be
# what the names an example sees say they are.
EARLY = [dt.datetime(2000, 1, 1, 12), dt.date(2000, 1, 1), dt.time(6, 30)]


def names():
    """The classes as an example sees them now (after `import datetime`)."""
    return {name: getattr(dt, name) for name in CLASSES}


def subclasses(n):
    """Classes an example may define on top of the ones it sees."""

    class MyDate(n["date"]):
        pass

    class MyDatetime(n["datetime"]):
        def __repr__(self):
            return "MyDatetime:" + super().__repr__()

    return MyDate, MyDatetime


def samples(n):
    """A grid of values, made every way an example makes them."""
    D, DT, T, TD, TZ = n["date"], n["datetime"], n["time"], n["timedelta"], n["timezone"]
    MyDate, MyDatetime = subclasses(n)
    india = TZ(TD(hours=5, minutes=30), "IST")
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    return [
        D(2000, 1, 1), D(2024, 2, 29), D(1, 1, 1), D(9999, 12, 31),
        DT(2023, 11, 14, 22, 13, 20), DT(2024, 3, 31, 1, 30, 0, 123456, tzinfo=TZ.utc),
        DT(2024, 10, 27, 2, 30, fold=1, tzinfo=paris), DT(2020, 6, 1, 8, tzinfo=india),
        DT.fromtimestamp(1e9), DT.fromtimestamp(1e9, india), DT.utcfromtimestamp(86400.5),
        DT.strptime("2021-07-04 10:11", "%Y-%m-%d %H:%M"), DT.fromisoformat("2022-01-02T03:04:05+01:00"),
        DT.combine(D(2001, 2, 3), T(4, 5, 6)), D.fromordinal(730000), D.fromisocalendar(2020, 53, 7),
        DT(2000, 1, 1) + TD(days=1.5), DT(2000, 1, 1).astimezone(india),
        T(0), T(12, 30, 15, 123456), T(23, 59, tzinfo=india), T(1, fold=1),
        TD(0), TD(days=-1, seconds=5), TD(weeks=3, microseconds=7), TD.max, TD.min,
        TZ.utc, india, paris,
        MyDate(2010, 10, 10), MyDatetime(2011, 11, 11, 11), MyDatetime.fromtimestamp(0),
        0, 1, -1, 1.5, 2**40, "2023-11-14", "%Y-%m-%d", "", None,
    ] + EARLY


def shown(value):
    return ADDRESS.sub("0x?", repr(value))


def attempt(call):
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - the exception is the fingerprint
        return Raised(error)


class Raised:
    def __init__(self, error):
        self.text = f"raised {type(error).__name__}: {ADDRESS.sub('0x?', str(error))}"


def fingerprint(value, n):
    """Everything an example could observe of one value."""
    if isinstance(value, Raised):
        return value.text
    kind = type(value)
    facts = [f"{kind.__module__}.{kind.__qualname__}", shown(value)]
    facts.append("".join("1" if isinstance(value, c) else "0" for c in n.values()))
    facts.append("".join("1" if kind is c else "0" for c in n.values()))
    if isinstance(value, (dt.date, dt.time, dt.timedelta, dt.tzinfo)):
        facts.append(str(attempt(lambda: hash(value))))
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            facts.append(shown(attempt(lambda: pickle.dumps(value, protocol))))
        for clone in (copy.copy, copy.deepcopy):
            twin = attempt(lambda: clone(value))
            facts.append(shown(twin) + type(twin).__name__)
    return " | ".join(facts)


def public(cls):
    return sorted(name for name in dir(cls) if not name.startswith("_") and name not in NOW_DEPENDENT)


def methods(n, pool):
    """Every public attribute of every class, read or called on each value
    (classmethods on the class) with no argument, one, and two from a pool."""
    args = [()] + [(a,) for a in pool] + [(a, b) for a in pool[::3] for b in pool[::4]]
    for cname, cls in n.items():
        owners = [cls] + [v for v in pool if type(v) is cls or type(v).__mro__[1] is cls]
        for name in public(cls):
            for owner in owners:
                attribute = attempt(lambda: getattr(owner, name))
                label = f"{cname}.{name} on {shown(owner)}"
                if not callable(attribute) or isinstance(attribute, Raised):
                    yield label, attribute
                    continue
                if owner is cls and getattr(attribute, "__self__", None) is not cls:
                    continue  # unbound: `date.replace(a_datetime)` crashes CPython 3.11
                for a in args:
                    yield f"{label}{shown(a)}", attempt(lambda: attribute(*a))


OPERATORS = (operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
             operator.mod, operator.lt, operator.le, operator.eq, operator.ne, operator.gt,
             operator.neg, operator.abs)


def arithmetic(pool):
    for op in OPERATORS:
        for a in pool:
            if op in (operator.neg, operator.abs):
                yield f"{op.__name__}({shown(a)})", attempt(lambda: op(a))
                continue
            for b in pool:
                yield f"{op.__name__}({shown(a)}, {shown(b)})", attempt(lambda: op(a, b))


def relations(n):
    """`issubclass` both ways between every pair of names, the real C types
    and the classes an example defines."""
    import _datetime

    real = [getattr(_datetime, name) for name in CLASSES]
    every = list(n.values()) + real + list(subclasses(n))
    for a in every:
        for b in every:
            yield f"issubclass({a.__qualname__}, {b.__qualname__})", issubclass(a, b)


def c_level(pool):
    """Library code that checks the C type (`PyDateTime_Check`) or its exact type."""
    db = sqlite3.connect(":memory:")
    checks = {
        "date.isoformat": lambda v: dt.date.isoformat(v),
        "datetime.isoformat": lambda v: dt.datetime.isoformat(v),
        "mktime": lambda v: time.mktime(v.timetuple()),
        "timegm": lambda v: calendar.timegm(v.utctimetuple()),
        "json": lambda v: json.dumps({"at": v}, default=str),
        "sqlite3": lambda v: db.execute("select ?", (v,)).fetchone(),
        "format_datetime": lambda v: email.utils.format_datetime(v),
        "strftime": lambda v: time.strftime("%Y %j", v.timetuple()),
    }
    for name, check in checks.items():
        for value in pool:
            yield f"{name}({shown(value)})", attempt(lambda: check(value))


def fingerprints():
    """`label → fingerprint` of every call; the same local zone both runs."""
    os.environ["TZ"] = "UTC"
    time.tzset()
    n = names()
    pool = samples(n)
    calls = [methods(n, pool), arithmetic(pool), relations(n), c_level(pool)]
    return {label: fingerprint(value, n) for group in calls for label, value in group}
