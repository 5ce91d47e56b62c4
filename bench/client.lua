-- Our client from Lua: every URL added to one client up front, a callback per
-- result that tallies it, then client:run(). Retries off (the 503s carry no
-- Retry-After and must count once); redirects followed by the client (the default).
--
--   lua5.4 bench/client.lua URLFILE [CONC] [--keep] [--feed] [--no-findings]
-- --keep: client:run_all(urls) and keep every result until the end, to measure
-- what keeping 100,000 results costs. --feed: add 2*CONC URLs, then one more from
-- each callback, instead of all up front (with --keep: results kept in a list).
-- --no-findings: findings = false (the rules off), to measure what they cost.
-- Prints one RESULT line, like the C programs (seconds=- : the runner takes the
-- wall time of the process).
local hs <const> = require "httpstatus"

local file, conc, keep, feed, findings = nil, nil, false, false, true
for _, a in ipairs(arg) do
  if a == "--keep" then keep = true
  elseif a == "--no-findings" then findings = false
  elseif a == "--feed" then feed = true
  elseif not file then file = a
  elseif not conc and math.tointeger(tonumber(a)) then conc = math.tointeger(tonumber(a))
  else io.stderr:write("client.lua: unexpected argument '", a, "'\n") os.exit(2) end
end
if not file then io.stderr:write("usage: client.lua URLFILE [CONC] [--keep] [--feed] [--no-findings]\n") os.exit(2) end
conc = conc or 64

local function proc_kb(field)
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local text = f:read("a")
  f:close()
  return tonumber(text:match(field .. ":%s*(%d+)")) or 0
end

local urls = {}
for line in io.lines(file) do if line ~= "" then urls[#urls + 1] = line end end
collectgarbage()
local base_kb = proc_kb("VmRSS")

-- Only `status` is read: a result builds its other fields (hops, headers ...) on
-- first access, and building them is not what this measures. The runner counts the
-- HTTP exchanges on the server (nginx stub_status) for every tool alike.
local counts, n, errors = {}, 0, 0
local function tally(res)
  n = n + 1
  local s = res.status
  if s then counts[s] = (counts[s] or 0) + 1 else errors = errors + 1 end
end

-- Lua has no monotonic wall clock: the runner times every tool the same way,
-- from outside the process (bench/measure.c), start-up and list loading included.
local client = hs.client{ concurrency = conc, per_host = conc, retry = false, findings = findings }
local kept
if feed then
  kept = keep and {} or nil
  local next_url = 1
  local function on_result(res)
    tally(res)
    if kept then kept[#kept + 1] = res end
    if next_url <= #urls then
      next_url = next_url + 1
      client:add(urls[next_url - 1], on_result)
    end
  end
  while next_url <= #urls and next_url <= 2 * conc do
    next_url = next_url + 1
    client:add(urls[next_url - 1], on_result)
  end
  client:run()
elseif keep then
  kept = client:run_all(urls)
  for _, res in ipairs(kept) do tally(res) end
else
  for i = 1, #urls do client:add(urls[i], tally) end
  client:run()
end
client:close()

local codes = {}
for s in pairs(counts) do codes[#codes + 1] = s end
table.sort(codes)
local parts = {}
for _, s in ipairs(codes) do parts[#parts + 1] = s .. ":" .. counts[s] end
io.write(string.format("RESULT urls=%d exchanges=- errors=%d seconds=%s statuses=%s hwm_kb=%d base_kb=%d kept=%d\n",
  n, errors, "-", table.concat(parts, ","), proc_kb("VmHWM"), base_kb, kept and #kept or 0))
