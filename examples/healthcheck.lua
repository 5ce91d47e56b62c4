-- A batch health check: starts the bundled test server, checks a few dozen endpoints
-- on it at once, and prints one line per endpoint: status, meaning, time, retries,
-- redirects. Each endpoint says what it should give ("status error-kind retries
-- redirects", - for none, then "1xx=N" when interim responses came): the check exits 1
-- when one does not.
-- Run: build/httpstatus run examples/healthcheck.lua
local hs = require "httpstatus"

-- Start the bundled server (build/spec/hs_testserver), unless HS_BASE_URL names one.
local base, server, pidfile = os.getenv("HS_BASE_URL"), nil, os.tmpname()
if not base then
  local bin = os.getenv("HS_TESTSERVER") or "build/spec/hs_testserver"
  server = assert(io.popen("exec " .. bin .. " --pidfile " .. pidfile, "r"))
  local port = (server:read("l") or ""):match("^PORT (%d+)")
  assert(port, "the test server did not start (build it first: cmake --build build)")
  base = "http://127.0.0.1:" .. port
end

local run = tostring(os.time())
local checks = {
  { "health", "/status/200?body=ok", "200 - 0 0" },
  { "created", "/status/201?h=Location:/items/1", "201 - 0 0" },
  { "accepted", "/status/202", "202 - 0 0" },
  { "no content", "/status/204", "204 - 0 0" },
  { "partial", "/status/206?h=Content-Range:bytes%200-9/100", "206 - 0 0" },
  { "early hints", "/status/200?interim=103|Link:%3C/app.css%3E;%20rel=preload;%20as=style", "200 - 0 0 1xx=1" },
  { "processing", "/status/200?interim=102&interim=103", "200 - 0 0 1xx=2" },
  { "moved", "/status/301?h=Location:/status/200", "200 - 0 1" },
  { "redirect chain", "/redirect/3", "200 - 0 3" },
  { "see other", "/redirect/1?code=303", "200 - 0 1" },
  { "temporary", "/redirect/1?code=307", "200 - 0 1" },
  { "permanent", "/redirect/1?code=308", "200 - 0 1" },
  { "not modified", "/status/304", "304 - 0 0" },
  { "bad request", "/status/400", "400 - 0 0" },
  { "unauthorized", "/status/401?h=WWW-Authenticate:Bearer", "401 - 0 0" },
  { "forbidden", "/status/403", "403 - 0 0" },
  { "not found", "/status/404", "404 - 0 0" },
  { "method", "/status/405?h=Allow:GET,%20HEAD", "405 - 0 0" },
  { "gone", "/status/410", "410 - 0 0" },
  { "teapot", "/status/418", "418 - 0 0" },
  { "rate limited, recovers", "/count/rl" .. run .. "?fail=1&code=429&h=Retry-After:1", "200 - 1 0" },
  { "unavailable, recovers", "/count/su" .. run .. "?fail=1&code=503&h=Retry-After:1", "200 - 1 0" },
  { "unknown 4xx", "/status/499", "499 - 0 0" },
  { "server error", "/status/500", "500 - 0 0" },
  { "bad gateway", "/status/502", "502 - 0 0" },
  { "still unavailable", "/status/503?h=Retry-After:120", "503 retry_budget 0 0" },
  { "gateway timeout", "/status/504", "504 - 0 0" },
  { "slow", "/status/200?stall_ms=300", "200 - 0 0" },
  { "loop", "/loop", "302 redirect_loop 0 0" },
  { "reset", "/status/200?reset=headers", "- reset 0 0" },
  { "truncated", "/status/200?close=body&bytes=10000", "200 incomplete_body 0 0" },
  { "garbage", "/status/200?garbage=1", "- protocol 0 0" },
}

local client = hs.client { concurrency = 32, timeout = 10, host_backoff = false }
local list = {}
for i, c in ipairs(checks) do list[i] = base .. c[2] end
local t0 = os.time()
local results = client:run_all(list)
client:close()

local up, wrong = 0, {}
print(string.format("%-24s %-6s %-34s %8s %7s %9s", "endpoint", "status", "meaning", "time", "retries", "redirects"))
for i, res in ipairs(results) do
  local retries = #res.attempts - #res.hops
  local meaning = res.error and ("error: " .. res.error.kind) or (res.reason or ("unknown " .. tostring(res.class)))
  print(string.format("%-24s %-6s %-34s %6.0fms %7d %9d", checks[i][1], tostring(res.status or "-"),
    meaning, (res.timing.total or 0) * 1000, retries, #res.hops - 1))
  if res.ok then up = up + 1 end
  local got = string.format("%s %s %d %d", tostring(res.status or "-"), res.error and res.error.kind or "-", retries,
                            #res.hops - 1) .. (#res.interim > 0 and " 1xx=" .. #res.interim or "")
  if got ~= checks[i][3] then wrong[#wrong + 1] = checks[i][1] .. ": got " .. got .. ", expected " .. checks[i][3] end
end
print(string.format("%d of %d endpoints answered 2xx without error (%d s)", up, #results, os.time() - t0))
if server then
  os.execute("kill $(cat " .. pidfile .. ")")
  server:close()
end
os.remove(pidfile)
for _, w in ipairs(wrong) do io.stderr:write("healthcheck: ", w, "\n") end
if #wrong > 0 then os.exit(1) end
