"""One virtual clock behind every way a guide's examples read or wait on time.

Loaded into the embedded interpreter before `harness.py` (as module
`snipcheck_clock`). `time.sleep` and asyncio's waits advance it without
waiting; `time.time`, `monotonic`, `perf_counter`, `localtime`, `gmtime`,
`ctime`, `asctime`, `strftime`, `datetime.now`/`utcnow`/`today` and
`date.today` all read it, so an example that prints the date and the
elapsed time agrees with itself, on every machine, every run.

The wall clock starts at `[run] now` (default: DEFAULT_NOW, UTC) and the
process runs in UTC, so `localtime()` and `gmtime()` agree.
"""

import datetime as _datetime
import os
import time

DEFAULT_NOW = "2023-11-14T22:13:20"  # any fixed instant will do; README says this one

_real = {name: getattr(time, name) for name in ("localtime", "gmtime", "ctime", "asctime",
                                                  "strftime")}


def parse_instant(text):
    """`2024-01-15T14:30:45` (UTC unless it names an offset) → epoch seconds."""
    moment = _datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_datetime.timezone.utc)
    return moment.timestamp()


class VirtualClock:
    """Time that passes only when an example waits, and passes instantly."""

    def __init__(self):
        self.origin = parse_instant(DEFAULT_NOW)
        self.elapsed = 0.0

    def reset(self, now=None):
        """A document starts at `now` (config `[run] now`), no time elapsed."""
        self.origin = parse_instant(now or DEFAULT_NOW)
        self.elapsed = 0.0

    def sleep(self, seconds):
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        self.elapsed += seconds

    def time(self):
        return self.origin + self.elapsed

    def monotonic(self):
        return 1000.0 + self.elapsed

    def install(self, after_import):
        os.environ["TZ"] = "UTC"
        time.tzset()
        ns = lambda f: (lambda: int(f() * 1e9))  # noqa: E731
        time.sleep = self.sleep
        time.time, time.time_ns = self.time, ns(self.time)
        for name in ("monotonic", "perf_counter"):
            setattr(time, name, self.monotonic)
            setattr(time, name + "_ns", ns(self.monotonic))
        self.install_calendar()
        install_datetime(self)
        after_import("asyncio", lambda asyncio: install_virtual_loop(self, asyncio))

    def install_calendar(self):
        """`localtime()`, `strftime(fmt)`…: with no time given, the virtual one."""
        clock = self

        def defaulting(name, convert):
            real = _real[name]

            def read(*args):
                if len(args) < _ARITY[name] or args[-1] is None:
                    args = args[: _ARITY[name] - 1] + (convert(clock.time()),)
                return real(*args)

            read.__name__ = read.__qualname__ = name
            read.__doc__ = real.__doc__
            return read

        for name in ("localtime", "gmtime", "ctime"):
            setattr(time, name, defaulting(name, lambda t: t))
        for name in ("asctime", "strftime"):
            setattr(time, name, defaulting(name, _real["localtime"]))


# How many arguments each takes when the time is given (it is always last).
_ARITY = {"localtime": 1, "gmtime": 1, "ctime": 1, "asctime": 1, "strftime": 2}


def install_datetime(clock):
    """`datetime.now()` and `utcnow()` read the virtual clock; `date.today()`
    and `datetime.today()` already do, as C calls `time.time()` for them.

    Why patch the real classes and not replace them (freezegun's
    `FakeDatetime` with an `__instancecheck__` metaclass): a replacement is
    a second type, and some relation between the two always breaks: `type(x)
    is datetime` for objects C makes (`fromtimestamp`, `strptime`,
    arithmetic), the repr, pickles that name the fake class, `issubclass`
    checks written against one of them. Time-machine keeps the one real type
    and swaps the C functions behind `now`; the same seen from Python is one
    entry in the real type's dict, so every other relation is the real
    module's own."""

    def now(cls, tz=None):
        return cls.fromtimestamp(clock.time(), tz)

    def utcnow(cls):
        return cls.utcfromtimestamp(clock.time())

    for method in (now, utcnow):
        method.__qualname__ = "datetime." + method.__name__
        method.__doc__ = getattr(_datetime.datetime, method.__name__).__doc__
        _set_type_attribute(_datetime.datetime, method.__name__, classmethod(method))


# What the patched type dicts held: the method cache may still point at them.
_REPLACED = []


def _set_type_attribute(cls, name, value):
    """`cls.name = value` for a built-in (immutable) type: written in the
    type's own dict, then every cached lookup dropped, so no specialised
    attribute access finds the old entry (kept alive, as a cache entry that
    outlived it would read freed memory)."""
    import gc
    import sys

    (namespace,) = gc.get_referents(cls.__dict__)
    _REPLACED.append(namespace.get(name))
    namespace[name] = value
    sys._clear_type_cache()


def install_virtual_loop(clock, asyncio):
    """Every new event loop runs on the virtual clock."""
    import selectors

    class VirtualSelector(selectors.DefaultSelector):
        """Never blocks on a timeout: advances the virtual clock instead."""

        def select(self, timeout=None):
            ready = super().select(0)
            if ready or timeout is None:
                return ready or super().select(timeout)
            if timeout > 0:
                clock.sleep(timeout)
            return ready

    class VirtualTimeLoop(asyncio.SelectorEventLoop):
        """An event loop whose `time()` is the virtual clock, so `asyncio.sleep`,
        `gather` and timeouts see time pass without waiting for it."""

        def __init__(self):
            super().__init__(VirtualSelector())

        def time(self):
            return clock.monotonic()

    class VirtualTimePolicy(asyncio.DefaultEventLoopPolicy):
        def new_event_loop(self):
            return VirtualTimeLoop()

    asyncio.set_event_loop_policy(VirtualTimePolicy())


CLOCK = VirtualClock()
