-- wrk script for bench/bench_alpaca.py:
--   wrk ... -s bench/alpaca.lua URL -- MODE ACCOUNTS_FILE
-- MODE: native (POST /api/v1/orders, Bearer token) or alpaca (POST /alpaca/v2/orders, APCA key headers,
-- the JSON body alpaca-py's MarketOrderRequest sends, prepared by the Python side).
-- ACCOUNTS_FILE: tab-separated lines "token key_id secret code buy_body sell_body". Each request takes
-- the next account, each thread starting at a different one; an account alternates buy and sell of
-- one share. done() prints one JSON line (prefix WRK_JSON) with the status counts.

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
  for line in io.lines(args[2]) do
    local token, key_id, secret, code, buy, sell = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
    if token then
      table.insert(accounts, {
        token = token, key_id = key_id, secret = secret, code = code, buy = buy, sell = sell,
      })
    end
  end
  next_account = thread_index or 0
end

function request()
  local n = next_account % #accounts + 1
  next_account = next_account + 1
  local account = accounts[n]
  local count = sent[n] or 0
  sent[n] = count + 1
  local buy = count % 2 == 0
  if mode == "alpaca" then
    return wrk.format("POST", "/alpaca/v2/orders", {
      ["APCA-API-KEY-ID"] = account.key_id,
      ["APCA-API-SECRET-KEY"] = account.secret,
      ["Content-Type"] = "application/json",
    }, buy and account.buy or account.sell)
  end
  local side = buy and "buy" or "sell"
  local body = '{"stock":"' .. account.code .. '","side":"' .. side .. '","order_type":"market","quantity":1}'
  return wrk.format("POST", "/api/v1/orders", {
    ["Authorization"] = "Bearer " .. account.token,
    ["Content-Type"] = "application/json",
  }, body)
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
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ",")
  ))
end
