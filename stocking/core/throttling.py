"""Fixed-window throttles: one counter per client and window, incremented in the shared cache.

DRF's throttles keep a list of every request's timestamp in the cache and rewrite (and pickle) the
whole list on every request; at the rates a bot or a benchmark reaches that list grows to
thousands of entries. A counter costs one increment (an atomic INCR on Redis). The price is the
usual fixed-window edge: up to twice the rate across a window boundary, which a throttle meant
to stop abuse, not to meter exactly, can afford. 429 answers keep DRF's `Retry-After` and `wait`.
"""

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
        key = f"{self.key}:{window}"
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window's first request (or its counter just expired)
            count = 1 if self.cache.add(key, 1, timeout=self.duration + 1) else self.cache.incr(key)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.window_end - self.now, 0.0)


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(FixedWindowMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's scoped throttle learns its rate from the view before counting, as here.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.count_in_window(request, view)
