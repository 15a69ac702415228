-- Scenario "baseline": GET the bare FastAPI app's constant JSON (the URL names the path).

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

wrk.method = "GET"
