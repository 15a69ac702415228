-- Scenario "questionnaire": GET /v1/questionnaires/window-of-tolerance in English.

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

wrk.method = "GET"
wrk.headers["Accept-Language"] = "en"
