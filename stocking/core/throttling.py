"""Fixed-window throttles: one counter per client and window in the shared cache, its slots taken a
block at a time.

DRF's throttles keep a list of every request's timestamp in the cache and rewrite (and pickle) the
whole list on every request; at the rates a bot or a benchmark reaches that list grows to
thousands of entries. Here the window's count is one counter in the shared cache (an atomic INCR
on Redis), so the limit holds across every worker. Even a counter write costs more than the
cheapest answers (a file rewrite per request with the default file cache), so each process takes
a block of the window's slots at once (a twentieth of the rate: 1 below 40 per window, 60 of
1,200/min) and hands them out from memory, one shared write per block. The prices: the usual
fixed-window edge (up to twice the rate across a window boundary), and a process's unused slots
are lost at the window's end, so a client spread over W workers may get up to W × (block − 1)
requests fewer than the rate, never more. A throttle meant to stop abuse, not to meter exactly,
can afford both. 429 answers keep DRF's `Retry-After` and `wait`.
"""

import threading

from rest_framework import throttling

# This process's reserved slots, for every throttle: key:window -> [next, last, window end].
reserved_slots: dict[str, list] = {}
_lock = threading.Lock()


class FixedWindowMixin:
    def allow_request(self, request, view) -> bool:
        return self.count_in_window(request, view)

    def count_in_window(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key, block = f"{self.key}:{window}", max(1, self.num_requests // 20)
        with _lock:
            slots = reserved_slots.get(key)
            if slots is None or slots[0] > slots[1]:
                last = self.shared_add(key, block)
                slots = reserved_slots[key] = [last - block + 1, last, self.window_end]
                if len(reserved_slots) > 10_000:  # forget the windows that have ended
                    for stale in [k for k, v in reserved_slots.items() if v[2] <= self.now]:
                        del reserved_slots[stale]
            slot, slots[0] = slots[0], slots[0] + 1
        return slot <= self.num_requests

    def shared_add(self, key: str, amount: int) -> int:
        """Add to the window's counter in the shared cache; the new count."""
        try:
            return self.cache.incr(key, amount)
        except ValueError:  # the window's first request (or its counter just expired)
            return amount if self.cache.add(key, amount, timeout=self.duration + 1) else self.cache.incr(key, amount)

    def wait(self) -> float:
        return max(self.window_end - self.now, 0.0)


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    pass


class AnonPerViewRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    """THROTTLE_ANON per address and endpoint, whoever is logged in: for the public market-data
    views, which look up no user."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": f"{self.scope}:{type(view).__name__}", "ident": self.get_ident(request)}


class ScopedRateThrottle(FixedWindowMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's scoped throttle learns its rate from the view before counting, as here.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.count_in_window(request, view)
