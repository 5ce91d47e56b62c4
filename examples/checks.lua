-- A check file for `httpstatus check`, written against the bundled test server
-- (spec/support/testserver.c: its URL language chooses each response). Run:
--   sh spec/support/with_server.sh build/spec/hs_testserver build/httpstatus check examples/checks.lua
-- or point HS_BASE_URL at a running server. Try --format json|junit|tap|prometheus.
local base = os.getenv("HS_BASE_URL") or "http://127.0.0.1:8080"
local run = tostring(os.time())   -- a fresh retry counter on a long-running server

return {
  -- Deep-merged into every check: a check's own values win, tables merge key by key.
  defaults = { timeout = 5, retry = { attempts = 2 }, headers = { ["User-Agent"] = "httpstatus-check" } },

  { name = "health", url = base .. "/status/200?body=ok",
    expect = { status = 200, max_ms = 300, body = "ok" } },

  -- Not followed: the check sees the 301 itself and the Location it sends.
  { name = "old docs", url = base .. "/redirect/1?code=301&final=/v2/docs", follow = false,
    expect = { status = { 301, 308 }, location = "/v2/docs" } },

  -- `request = {...}` holds the request options; /echo answers with JSON about the request.
  { name = "create", request = { url = base .. "/echo", method = "POST", body = "{}" },
    expect = { class = "success", json = { ["$.method"] = "POST", ["$.body"] = "{}" },
               header = { ["content-type"] = "json" }, max_severity = "info" } },

  { name = "custom", url = base .. "/status/200",
    expect = { fn = function(res) return res.status ~= 500, "no 500s" end } },

  -- Followed redirects: at most three, and the chain ends on a 2xx (the default).
  { name = "redirect chain", url = base .. "/redirect/3",
    expect = { redirects = 3, body_match = "^200 OK" } },

  { name = "search", url = base .. "/echo", query = { q = "teapot" },
    expect = { json = { ["$.path"] = "/echo?q=teapot", ["$.headers[0][0]"] = "Host" } } },

  -- The first try gets a 503 with Retry-After: 1, the retry a 200: passes, but `degraded`.
  -- host_backoff = false: its Retry-After does not pause the other checks to this server.
  { name = "flaky", url = base .. "/count/flaky-" .. run .. "?fail=1&code=503&h=Retry-After:1",
    host_backoff = false, tags = { "retry" } },

  -- A 404 that is expected: `status` replaces the default `class = "success"`. Findings up
  -- to warnings are fine here (a 404 gets an info one about caching).
  { name = "gone page", url = base .. "/status/404", retry = false,
    expect = { status = 404, max_severity = "warning" } },

  { name = "v3 api", url = base .. "/v3", skip = "not deployed yet" },
}
