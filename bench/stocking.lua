-- wrk script for bench/bench_orders.py:
--   wrk ... -s bench/stocking.lua URL -- MODE [ACCOUNTS_FILE]
-- MODE: healthz (GET /healthz), me (GET /api/v1/auth/me), orders (POST /api/v1/orders, market).
-- ACCOUNTS_FILE: one "access_token stock_code" per line; each request takes the next account, each
-- thread starting at a different one. An account alternates buy and sell of one share, so cash and
-- shares never run out. done() prints one JSON line (prefix WRK_JSON) with the status counts.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  statuses = {}
  accounts = {}
  sent = {}
  if args[2] then
    for line in io.lines(args[2]) do
      local token, code = line:match("^(%S+)%s+(%S+)")
      if token then
        table.insert(accounts, { auth = "Bearer " .. token, code = code })
      end
    end
  end
  next_account = thread_index or 0
end

local function pick()
  local n = next_account % #accounts + 1
  next_account = next_account + 1
  return n, accounts[n]
end

function request()
  if mode == "healthz" then
    return wrk.format("GET", "/healthz", {})
  end
  local n, account = pick()
  if mode == "me" then
    return wrk.format("GET", "/api/v1/auth/me", { ["Authorization"] = account.auth })
  end
  local count = sent[n] or 0
  sent[n] = count + 1
  local side = (count % 2 == 0) and "buy" or "sell"
  local body = '{"stock":"' .. account.code .. '","side":"' .. side .. '","order_type":"market","quantity":1}'
  return wrk.format("POST", "/api/v1/orders", {
    ["Authorization"] = account.auth,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local thread_statuses = thread:get("statuses")
    for status, count in pairs(thread_statuses) do
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
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ",")
  ))
end
