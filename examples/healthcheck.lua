-- A batch health check: starts the bundled test server, checks a few dozen endpoints
-- on it at once, and prints one line per endpoint: status, meaning, time, retries,
-- redirects. Run: build/httpstatus run examples/healthcheck.lua
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
  { "health", "/status/200?body=ok" },
  { "created", "/status/201?h=Location:/items/1" },
  { "accepted", "/status/202" },
  { "no content", "/status/204" },
  { "partial", "/status/206?h=Content-Range:bytes%200-9/100" },
  { "early hints", "/status/200?interim=103|Link:%3C/app.css%3E;%20rel=preload;%20as=style" },
  { "processing", "/status/200?interim=102&interim=103" },
  { "moved", "/status/301?h=Location:/status/200" },
  { "redirect chain", "/redirect/3" },
  { "see other", "/redirect/1?code=303" },
  { "temporary", "/redirect/1?code=307" },
  { "permanent", "/redirect/1?code=308" },
  { "not modified", "/status/304" },
  { "bad request", "/status/400" },
  { "unauthorized", "/status/401?h=WWW-Authenticate:Bearer" },
  { "forbidden", "/status/403" },
  { "not found", "/status/404" },
  { "method", "/status/405?h=Allow:GET,%20HEAD" },
  { "gone", "/status/410" },
  { "teapot", "/status/418" },
  { "rate limited, recovers", "/count/rl" .. run .. "?fail=1&code=429&h=Retry-After:1" },
  { "unavailable, recovers", "/count/su" .. run .. "?fail=1&code=503&h=Retry-After:1" },
  { "unknown 4xx", "/status/499" },
  { "server error", "/status/500" },
  { "bad gateway", "/status/502" },
  { "still unavailable", "/status/503?h=Retry-After:120" },
  { "gateway timeout", "/status/504" },
  { "slow", "/status/200?stall_ms=300" },
  { "loop", "/loop" },
  { "reset", "/status/200?reset=headers" },
  { "truncated", "/status/200?close=body&bytes=10000" },
  { "garbage", "/status/200?garbage=1" },
}

local client = hs.client { concurrency = 32, timeout = 10, host_backoff = false }
local list = {}
for i, c in ipairs(checks) do list[i] = base .. c[2] end
local t0 = os.time()
local results = client:run_all(list)
client:close()

local up = 0
print(string.format("%-24s %-6s %-34s %8s %7s %9s", "endpoint", "status", "meaning", "time", "retries", "redirects"))
for i, res in ipairs(results) do
  local retries = #res.attempts - #res.hops
  local meaning = res.error and ("error: " .. res.error.kind) or (res.reason or ("unknown " .. tostring(res.class)))
  print(string.format("%-24s %-6s %-34s %6.0fms %7d %9d", checks[i][1], tostring(res.status or "-"),
    meaning, (res.timing.total or 0) * 1000, retries, #res.hops - 1))
  if res.ok then up = up + 1 end
end
print(string.format("%d of %d endpoints answered 2xx without error (%d s)", up, #results, os.time() - t0))
if server then
  os.execute("kill $(cat " .. pidfile .. ")")
  server:close()
end
os.remove(pidfile)
