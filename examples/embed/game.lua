-- Run by examples/embed/main.c: a "game" that starts hundreds of requests against the
-- bundled test server (some slow, some retried after Retry-After) and handles results
-- as they arrive, polling with poll(0) once per frame so no frame ever waits.
local hs = require "httpstatus"
local base = os.getenv("HS_BASE_URL") or "http://127.0.0.1:8080"

local client = hs.client { concurrency = 16, per_host = 16, timeout = 20, host_backoff = false }
local total, done, statuses, retried = 300, 0, {}, 0
local run_id = tostring(os.time()) .. tostring(math.random(1e6))

for i = 1, total do
  local path
  if i % 10 == 0 then path = "/count/g" .. run_id .. "_" .. i .. "?fail=1&code=503&h=Retry-After:1"
  elseif i % 3 == 0 then path = "/status/200?stall_ms=" .. (100 + i % 7 * 50)
  elseif i % 7 == 0 then path = "/redirect/2"
  else path = "/status/" .. ({ 200, 204, 404 })[i % 3 + 1] end
  client:add(base .. path, function(res)
    done = done + 1
    statuses[res.status or res.error.kind] = (statuses[res.status or res.error.kind] or 0) + 1
    if #res.attempts > #res.hops then retried = retried + 1 end
  end)
end

local G = {}

function G.frame()
  client:poll(0)
  return done == total
end

function G.summary()
  local parts = {}
  for k, v in pairs(statuses) do parts[#parts + 1] = tostring(k) .. "=" .. v end
  table.sort(parts)
  client:close()
  local text = string.format("requests %d done, %d retried after Retry-After; statuses: %s", done, retried,
                             table.concat(parts, " "))
  -- Every 10th request is told 503 Retry-After: 1 once, then succeeds; none may fail.
  local want = { [200] = 0, [204] = 0, [404] = 0 }
  for i = 1, total do
    if i % 10 == 0 or i % 3 == 0 or i % 7 == 0 then want[200] = want[200] + 1
    else local s = ({ 200, 204, 404 })[i % 3 + 1]; want[s] = want[s] + 1 end
  end
  for k, v in pairs(statuses) do
    if want[k] ~= v then error(text .. ": expected " .. tostring(want[k] or 0) .. " of " .. tostring(k), 0) end
  end
  if done ~= total or retried ~= total // 10 then error(text .. ": expected " .. total // 10 .. " retried", 0) end
  return text
end

return G
