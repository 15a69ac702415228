-- Scenarios "write" and "rawwrite": POST the baseline app's /write (through Attune's engine)
-- or /write-raw (the bare driver), one new row per request.
--
-- A small constant JSON body, about the size of one submission's answers; the server adds
-- the id and timestamp, so every request is a new insert and commit.

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local body = '{"questionnaire_id":"window-of-tolerance","answers":{"a":1,"b":2,"c":3,"d":0}}'

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  count_sent()
  return wrk.format(nil, nil, nil, body)
end
