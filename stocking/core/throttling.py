"""Fixed-window throttles: one counter per client and window, incremented in the shared cache.

DRF's throttles keep a list of every request's timestamp in the cache and rewrite (and pickle) the
whole list on every request; at the rates a bot or a benchmark reaches that list grows to
thousands of entries. A counter costs one increment (an atomic INCR on Redis). The price is the
usual fixed-window edge: up to twice the rate across a window boundary, which a throttle meant
to stop abuse, not to meter exactly, can afford. 429 answers keep DRF's `Retry-After` and `wait`.
"""

import threading

from rest_framework import throttling


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
        return self.shared_add(f"{self.key}:{window}", 1) <= self.num_requests

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
    """THROTTLE_ANON per address and endpoint, whoever is logged in, for the public market-data views
    (they look up no user). Their answer costs less than a counter write in the file cache, so each
    process takes the window's slots from the shared counter a block at a time (a twentieth of the
    rate) and hands them out from memory: one shared write per block, and the limit still holds
    across every worker. The price: a process's unused slots are lost at the window's end, so a
    client spread over W workers may get up to W × (block − 1) requests fewer, never more."""

    blocks: dict[str, list] = {}  # this process's reserved slots: key -> [next, last, window end]
    lock = threading.Lock()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": f"{self.scope}:{type(view).__name__}", "ident": self.get_ident(request)}

    def count_in_window(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key, block = f"{self.key}:{window}", max(1, self.num_requests // 20)
        with self.lock:
            slots = self.blocks.get(key)
            if slots is None or slots[0] > slots[1]:
                last = self.shared_add(key, block)
                slots = self.blocks[key] = [last - block + 1, last, self.window_end]
                if len(self.blocks) > 10_000:  # forget the windows that have ended
                    for stale in [k for k, v in self.blocks.items() if v[2] <= self.now]:
                        del self.blocks[stale]
            slot, slots[0] = slots[0], slots[0] + 1
        return slot <= self.num_requests


class ScopedRateThrottle(FixedWindowMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's scoped throttle learns its rate from the view before counting, as here.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.count_in_window(request, view)
