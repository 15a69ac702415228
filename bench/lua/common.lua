-- Shared by every scenario: per-thread status counters and one machine-readable summary.
--
-- Each wrk thread runs its own Lua state, so the counters below are per thread; done()
-- runs in the main state and adds them up through the thread handles kept by setup().
-- response() is defined for every scenario alike, so its small cost is the same for all.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

sent = 0
ok_2xx = 0
other_status = 0

-- Before any connection opens, wrk calls request() once on its first thread to check the
-- script; that request is never sent. Scenarios with a request() call count_sent() in it,
-- which counts every request but that first check in `sent`.
local check_pending = nil

function count_sent()
  if check_pending == nil then
    check_pending = thread_id == 1
  end
  if check_pending then
    check_pending = false
  else
    sent = sent + 1
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok_2xx = ok_2xx + 1
  else
    other_status = other_status + 1
  end
end

local function total(name)
  local sum = 0
  for _, thread in ipairs(threads) do
    sum = sum + (thread:get(name) or 0)
  end
  return sum
end

local function percentile(latency, p)
  return string.format("%.1f", latency:percentile(p))
end

function done(summary, latency, requests)
  local e = summary.errors
  local fields = {
    '"requests":' .. string.format("%.0f", summary.requests),
    '"duration_us":' .. string.format("%.0f", summary.duration),
    '"p50_us":' .. percentile(latency, 50.0),
    '"p90_us":' .. percentile(latency, 90.0),
    '"p99_us":' .. percentile(latency, 99.0),
    '"max_us":' .. string.format("%.0f", latency.max),
    '"status_2xx":' .. string.format("%.0f", total("ok_2xx")),
    '"status_other":' .. string.format("%.0f", total("other_status")),
    '"sent":' .. string.format("%.0f", total("sent")),
    '"connect_errors":' .. string.format("%.0f", e.connect),
    '"read_errors":' .. string.format("%.0f", e.read),
    '"write_errors":' .. string.format("%.0f", e.write),
    '"timeouts":' .. string.format("%.0f", e.timeout),
  }
  io.write("BENCH_RESULT {" .. table.concat(fields, ",") .. "}\n")
end
