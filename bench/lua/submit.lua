-- Scenario "submit": POST /v1/submissions, each request a new assessment.
--
-- Arguments (after wrk's "--"): the bearer token, then one argument per item in the form
-- "item-id=v1,v2,...", listing the values of that item's options. Every request gets a new
-- random UUID v4 as its client id and a random option for each item, so none is a retry.

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local items = {}

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919 + math.floor(os.clock() * 1e6))
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept-Language"] = "en"
  for i = 2, #args do
    local id, list = args[i]:match("^([^=]+)=(.+)$")
    local values = {}
    for value in list:gmatch("[^,]+") do
      table.insert(values, value)
    end
    table.insert(items, { id = id, values = values })
  end
end

local function uuid4()
  local r = {}
  for i = 1, 8 do
    r[i] = math.random(0, 0xffff)
  end
  r[4] = 0x4000 + r[4] % 0x1000
  r[5] = 0x8000 + r[5] % 0x4000
  return string.format("%04x%04x-%04x-%04x-%04x-%04x%04x%04x", unpack(r))
end

local function answers()
  local parts = {}
  for i, item in ipairs(items) do
    local value = item.values[math.random(1, #item.values)]
    parts[i] = string.format('"%s":%s', item.id, value)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function request()
  count_sent()
  local body = string.format(
    '{"id":"%s","questionnaire_id":"window-of-tolerance","answers":%s,'
      .. '"answered_at":"2026-11-20T08:30:00Z"}',
    uuid4(),
    answers()
  )
  return wrk.format(nil, nil, nil, body)
end
