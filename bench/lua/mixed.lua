-- Scenario "mixed" (bench/load.py): a mobile app's whole flow, step by step, over and over.
--
--   1. GET  /v1/questionnaires/window-of-tolerance       (public, cacheable)
--   2. PUT  /v1/assessments/{in progress}/answers        (a partial save)
--   3. POST /v1/submissions                              (a one-shot submission, new client id)
--   4. GET  /v1/assessments/{submitted}/result           (scores, trace and feedback)
--
-- Arguments (after wrk's "--"): the state file, the save body, the submission's answers.
-- The state file, written by load.py, has one line per respondent-owned pair:
-- "token in_progress_id submitted_id". Each thread walks its own share of the lines, so
-- no two requests in flight save the same assessment (a concurrent save would be a 409).

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local rows = {}
local save_body, answers
local step, row = 0, 0

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919 + math.floor(os.clock() * 1e6))
  local file = assert(io.open(args[1]))
  local index = 0
  for line in file:lines() do
    index = index + 1
    -- wrk makes threads in turn, numbered from 1: this thread takes every n-th line.
    if (index - 1) % tonumber(args[4]) == (thread_id or 1) - 1 then
      local token, open, done = line:match("^(%S+) (%S+) (%S+)$")
      table.insert(rows, { auth = "Bearer " .. token, open = open, done = done })
    end
  end
  file:close()
  save_body, answers = args[2], args[3]
end

-- The same random UUID v4 as submit.lua (each script runs in its own Lua state).
local function uuid4()
  local r = {}
  for i = 1, 8 do
    r[i] = math.random(0, 0xffff)
  end
  r[4] = 0x4000 + r[4] % 0x1000
  r[5] = 0x8000 + r[5] % 0x4000
  return string.format("%04x%04x-%04x-%04x-%04x-%04x%04x%04x", unpack(r))
end

function request()
  count_sent()
  step = step % 4 + 1
  if step == 1 then
    row = row % #rows + 1
    return wrk.format("GET", "/v1/questionnaires/window-of-tolerance", { ["Accept-Language"] = "en" })
  end
  local r = rows[row]
  local json = { ["Authorization"] = r.auth, ["Content-Type"] = "application/json" }
  if step == 2 then
    return wrk.format("PUT", "/v1/assessments/" .. r.open .. "/answers", json, save_body)
  elseif step == 3 then
    local body = string.format(
      '{"id":"%s","questionnaire_id":"window-of-tolerance","answers":%s,'
        .. '"answered_at":"2026-11-20T08:30:00Z"}',
      uuid4(),
      answers
    )
    return wrk.format("POST", "/v1/submissions", json, body)
  end
  return wrk.format("GET", "/v1/assessments/" .. r.done .. "/result", { ["Authorization"] = r.auth })
end

local function pct(latency, p)
  return string.format("%.1f", latency:percentile(p))
end

-- common.lua's summary, with p95 too (the load target names p50, p95 and p99).
local summarize = done
function done(summary, latency, requests)
  io.write("MIXED_PERCENTILES {")
  io.write('"p95_us":' .. pct(latency, 95.0) .. ',"p999_us":' .. pct(latency, 99.9) .. "}\n")
  summarize(summary, latency, requests)
end
