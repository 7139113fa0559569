-- wrk script for bench/bench_overview.py:
--   wrk ... -s bench/overview.lua URL -- PATH
-- GET PATH (e.g. /api/v1/market/overview or /healthz), anonymously. done() prints one JSON line
-- (prefix WRK_JSON) with the latency percentiles, errors and status counts, as stocking.lua does.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path = args[1]
  statuses = {}
end

function request()
  return wrk.format("GET", path, { ["Accept"] = "application/json" })
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, '"' .. status .. '":' .. count)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,'
      .. '"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ",")
  ))
end
