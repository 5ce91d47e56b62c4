-- Health checks: `httpstatus check FILE.lua` and require("httpstatus.check").
--
--   local check = require "httpstatus.check"
--   local outcomes, summary = check.run({ { name = "health", url = base .. "/health",
--                                           expect = { status = 200, body = "ok" } } },
--                                       { concurrency = 16 })
--   print(check.format(outcomes, "table"))
--
-- A check file is a Lua chunk returning a list of checks, with optional `defaults`
-- deep-merged into each (tables merge key by key, recursively; lists and every other
-- value in a check replace the default's). `name`, `request`, `expect`, `tags`, `skip` and
-- `ignore` are check keys; every other key is a request option as in hs.request, and
-- `request = { ... }` may hold them instead. A check without `timeout` gets 30 s, so one
-- hung server cannot hang the run.
--
-- Each check ends `up`, `degraded` (passed, but only after retries, or with warning or
-- error findings that are not ignored), `down`, or `skipped`. A result with an error
-- (DNS, connect, timeout, reset, ...) is `down` whatever it expected.
--
-- `max_ms` and the reported time are the request's own: from its first try to its end,
-- retries, waits and redirects included, but not the time it spent queued behind other
-- checks for a concurrency slot (which timing.total includes).
--
-- `location` is the Location of the last response that sent one: with `follow = false`
-- that is the redirect itself (a single hop); with redirects followed it is the last
-- redirect's target (or a final 201's Location). It must equal the raw header value or
-- the URL it resolves to.
local hs = require "httpstatus"
local core = require "httpstatus.core"

local M = { SCHEMA = 1, DEFAULT_TIMEOUT = 30, DEFAULT_CONCURRENCY = 16 }

local CHECK_KEYS <const> = { name = true, request = true, expect = true, tags = true, skip = true, ignore = true }
local CLIENT_ONLY <const> = { concurrency = true, per_host = true, client = true }
local EXPECT_KEYS <const> = {
  status = true, class = true, max_ms = true, body = true, body_match = true, header = true,
  json = true, location = true, redirects = true, https_only = true, cert_days = true,
  max_severity = true, fn = true,
}
local CLASSES <const> = { informational = true, success = true, redirection = true, client_error = true, server_error = true }
local RANK <const> = { info = 1, warning = 2, error = 3 }
local STATES <const> = { "up", "degraded", "down", "skipped" }

-- ---- small helpers --------------------------------------------------------------------
local function is_list(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n > 0 and n == #t
end

local function deep_copy(v)
  if type(v) ~= "table" or getmetatable(v) ~= nil then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = deep_copy(x) end
  return c
end

-- `over` on top of `base`: tables that are not lists merge key by key, recursively;
-- anything else in `over` (a list, a value, `false`) replaces what `base` had.
local function deep_merge(base, over)
  local out = deep_copy(base)
  for k, v in pairs(over) do
    local b = out[k]
    if type(v) == "table" and type(b) == "table" and getmetatable(v) == nil and getmetatable(b) == nil
        and not is_list(v) and not is_list(b) then
      out[k] = deep_merge(b, v)
    else
      out[k] = deep_copy(v)
    end
  end
  return out
end
M.deep_merge = deep_merge

local function num(v)
  if math.type(v) == "float" and v == math.floor(v) and v > -2^53 and v < 2^53 then
    return string.format("%d", v)
  end
  return tostring(v)
end

local function show(v)
  if type(v) == "string" then return (string.format("%q", v):gsub("\\\n", "\\n")) end
  if type(v) == "number" then return num(v) end
  if type(v) == "table" then
    local ok, cjson = pcall(require, "cjson")
    if ok then
      local ok2, s = pcall(cjson.encode, v)
      if ok2 then return s end
    end
  end
  return tostring(v)
end

local function plural(n, word, words)
  return n .. " " .. (n == 1 and word or (words or word .. "s"))
end

-- Text (a URL, a message quoting URLs) without the passwords of URL userinfo, unless
-- secrets are shown: "http://u:pw@h/" -> "http://u:(hidden)@h/".
local function redact_url(text, show_secrets)
  if type(text) ~= "string" or show_secrets then return text end
  return (text:gsub("(%a[%w+.-]*://)([^/?#@%s]*)@", function(scheme, userinfo)
    local user = userinfo:match("^([^:]*):")
    if user then return scheme .. user .. ":(hidden)@" end
    return scheme .. userinfo .. "@"
  end))
end
M.redact_url = redact_url

local function round(x, places)
  if x == nil then return nil end
  local m = 10 ^ (places or 0)
  return math.floor(x * m + 0.5) / m
end

-- ---- JSONPath subset: $ .name ['name'] ["name"] [N] [-N] -------------------------------
local function parse_path(p)
  if type(p) ~= "string" or p:sub(1, 1) ~= "$" then return nil, "a JSONPath starts with '$'" end
  local steps, i = {}, 2
  while i <= #p do
    local c = p:sub(i, i)
    if c == "." then
      local name = p:match("^[^%.%[%]]+", i + 1)
      if not name then return nil, "a name is expected after '.' at position " .. i end
      steps[#steps + 1] = { key = name }
      i = i + 1 + #name
    elseif c == "[" then
      local idx = p:match("^%[(%-?%d+)%]", i)
      if idx then
        steps[#steps + 1] = { index = math.tointeger(tonumber(idx)) }
        i = i + #idx + 2
      else
        local q, name = p:match("^%[(['\"])(.-)%1%]", i)
        if not q then return nil, "'[N]' or '[\"name\"]' expected at position " .. i end
        steps[#steps + 1] = { key = name }
        i = i + #name + 4
      end
    else
      return nil, "unexpected '" .. c .. "' at position " .. i
    end
  end
  return steps
end
M.parse_path = parse_path

local function path_get(doc, steps)
  local cur = doc
  for _, s in ipairs(steps) do
    if type(cur) ~= "table" then return false end
    if s.key ~= nil then
      cur = cur[s.key]
    else
      local n = #cur
      local i = s.index < 0 and n + s.index + 1 or s.index + 1
      cur = cur[i]
    end
    if cur == nil then return false end
  end
  return true, cur
end

local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do if not deep_equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- ---- validation --------------------------------------------------------------------------
local function fail(where, fmt, ...)
  error(where .. ": " .. string.format(fmt, ...), 0)
end

local function check_where(i, name)
  if type(name) == "string" then return string.format("check #%d %q", i, name) end
  return string.format("check #%d", i)
end

local function known_finding_ids()
  local ids = {}
  for _, r in ipairs(hs.rules()) do ids[r.id] = true end
  return ids
end

local function string_list(where, key, v)
  if type(v) ~= "table" then fail(where, "'%s' must be a list of strings, got %s", key, type(v)) end
  for k, x in pairs(v) do
    if math.type(k) ~= "integer" or type(x) ~= "string" then fail(where, "'%s' must be a list of strings", key) end
  end
end

local function validate_expect(where, e, cjson_needed)
  if type(e) ~= "table" then fail(where, "'expect' must be a table, got %s", type(e)) end
  for k, v in pairs(e) do
    if not EXPECT_KEYS[k] then fail(where, "unknown expectation 'expect.%s'", tostring(k)) end
    local function want(ok, what) if not ok then fail(where, "'expect.%s' must be %s, got %s", k, what, show(v)) end end
    if k == "status" then
      if type(v) == "table" then
        want(is_list(v), "a status code or a list of them")
        for _, s in ipairs(v) do
          if math.type(s) ~= "integer" or s < 100 or s > 999 then
            fail(where, "'expect.status' must hold status codes, got %s", show(s))
          end
        end
      else
        want(math.type(v) == "integer" and v >= 100 and v <= 999, "a status code or a list of them")
      end
    elseif k == "class" then want(CLASSES[v], "one of informational, success, redirection, client_error, server_error")
    elseif k == "max_ms" then want(type(v) == "number" and v >= 0, "a number of milliseconds")
    elseif k == "body" or k == "location" then want(type(v) == "string", "a string")
    elseif k == "body_match" then
      want(type(v) == "string", "a Lua pattern")
      local ok, err = pcall(string.find, "", v)
      if not ok then fail(where, "'expect.body_match' is not a valid Lua pattern: %s", err) end
    elseif k == "header" then
      want(type(v) == "table", "a table of header name -> substring")
      for name, sub in pairs(v) do
        if type(name) ~= "string" or type(sub) ~= "string" then
          fail(where, "'expect.header' maps header names to substrings (strings)")
        end
      end
    elseif k == "json" then
      want(type(v) == "table", "a table of JSONPath -> value")
      for path in pairs(v) do
        local _, err = parse_path(path)
        if err then fail(where, "bad JSONPath %s in 'expect.json': %s", show(path), err) end
      end
      cjson_needed[#cjson_needed + 1] = where
    elseif k == "redirects" then want(math.type(v) == "integer" and v >= 0, "a count")
    elseif k == "https_only" then want(type(v) == "boolean", "a boolean")
    elseif k == "cert_days" then want(type(v) == "number", "a number of days")
    elseif k == "max_severity" then want(RANK[v], "\"info\", \"warning\" or \"error\"")
    elseif k == "fn" then want(type(v) == "function", "a function")
    end
  end
end

-- Request options of one check: its own keys, plus `request = {...}`.
local function request_options(where, c)
  local opts = {}
  for k, v in pairs(c) do
    if type(k) ~= "string" then fail(where, "option names are strings, got %s", show(k)) end
    if not CHECK_KEYS[k] then opts[k] = v end
  end
  if c.request ~= nil then
    if type(c.request) ~= "table" then fail(where, "'request' must be a table of request options, got %s", type(c.request)) end
    for k, v in pairs(c.request) do
      if type(k) ~= "string" then fail(where, "option names are strings, got %s", show(k)) end
      if CHECK_KEYS[k] then fail(where, "'%s' is a check key, not a request option: put it beside 'request'", k) end
      if opts[k] ~= nil then fail(where, "option '%s' is given both in 'request' and beside it", k) end
      opts[k] = v
    end
  end
  return opts
end

local function validate_options(where, opts)
  for k in pairs(opts) do
    if CLIENT_ONLY[k] then
      fail(where, "option '%s' belongs to the client, not to a check (use --concurrency)", k)
    end
  end
  if opts.url == nil then fail(where, "missing option 'url'") end
  if opts.query ~= nil and type(opts.query) ~= "table" then fail(where, "bad option 'query' (table expected)") end
  if opts.json ~= nil and opts.body ~= nil then fail(where, "bad option 'json' (give json or body, not both)") end
  if opts.on_interim ~= nil and type(opts.on_interim) ~= "function" then
    fail(where, "bad option 'on_interim' (function expected)")
  end
  local ok, err = pcall(core.check_options, opts)
  if not ok then fail(where, "%s", tostring(err)) end
end

-- Turns what a check file returned into a list of normalised checks; raises (a string,
-- no position) naming the check and the key when something is wrong.
function M.prepare(list, opts)
  opts = opts or {}
  if type(list) ~= "table" then error(string.format("a list of checks expected, got %s", type(list)), 0) end
  local defaults = list.defaults
  if defaults ~= nil and type(defaults) ~= "table" then
    error(string.format("'defaults' must be a table, got %s", type(defaults)), 0)
  end
  local n = 0
  for k in pairs(list) do
    if math.type(k) == "integer" then
      if k < 1 then error(string.format("checks are a list: unexpected key [%d]", k), 0) end
      if k > n then n = k end
    elseif k ~= "defaults" then
      error(string.format("unknown key %s in the list of checks (shared settings go in 'defaults')", show(k)), 0)
    end
  end
  local base = {}
  if defaults then
    local ok, err = pcall(request_options, "defaults", defaults)
    if not ok then error(err, 0) end
    base = deep_copy(defaults)
    if base.request then   -- defaults.request = {...}: the same as options beside it
      local r = base.request
      base.request = nil
      for k, v in pairs(r) do base[k] = v end
    end
  end
  local cjson_needed, ids, names, out = {}, nil, {}, {}
  for i = 1, n do
    local raw = list[i]
    if type(raw) ~= "table" then error(string.format("check #%d: a table expected, got %s", i, type(raw)), 0) end
    local where = check_where(i, rawget(raw, "name"))
    local own = request_options(where, raw)
    for _, k in ipairs { "name", "expect", "tags", "skip", "ignore" } do own[k] = raw[k] end
    local c = deep_merge(base, own)
    if c.name == nil then
      c.name = type(c.url) == "string" and redact_url(c.url, opts.show_secrets) or ("check " .. i)
    end
    if type(c.name) ~= "string" and type(c.name) ~= "number" then
      fail(where, "'name' must be a string, got %s", type(c.name))
    end
    c.name = tostring(c.name)
    where = check_where(i, c.name)
    if names[c.name] then
      fail(where, "the name is already used by check #%d (names must be unique)", names[c.name])
    end
    names[c.name] = i
    if c.skip ~= nil and type(c.skip) ~= "boolean" and type(c.skip) ~= "string" then
      fail(where, "'skip' must be true or a reason (string), got %s", type(c.skip))
    end
    if c.tags ~= nil then string_list(where, "tags", c.tags) end
    if c.ignore ~= nil then
      string_list(where, "ignore", c.ignore)
      ids = ids or known_finding_ids()
      for _, id in ipairs(c.ignore) do
        if not ids[id] then fail(where, "'ignore' names an unknown finding id %s", show(id)) end
      end
    end
    local check = { index = i, name = c.name, expect = c.expect or {}, tags = c.tags or {},
                    ignore = {}, skip = c.skip }
    for _, id in ipairs(c.ignore or {}) do check.ignore[id] = true end
    if not c.skip then
      validate_expect(where, check.expect, cjson_needed)
      local ro = {}
      for k, v in pairs(c) do if not CHECK_KEYS[k] then ro[k] = v end end
      if ro.timeout == nil then ro.timeout = M.DEFAULT_TIMEOUT end
      if opts.show_secrets and ro.show_secrets == nil then ro.show_secrets = true end
      validate_options(where, ro)
      check.options = ro
    end
    out[i] = check
  end
  if #cjson_needed > 0 and not pcall(require, "cjson") then
    error(cjson_needed[1] .. ": 'expect.json' needs lua-cjson (require \"cjson\" failed)", 0)
  end
  return out
end

-- ---- evaluation ----------------------------------------------------------------------------
local function status_text(list)
  local parts = {}
  for i, s in ipairs(list) do parts[i] = tostring(s) end
  if #parts == 1 then return parts[1] end
  return "one of " .. table.concat(parts, ", ")
end

-- Seconds the request itself took: from its first try to the end of its last, retries,
-- waits and redirects included. That is timing.total without the time spent queued for
-- a concurrency slot behind the other checks, which says nothing about the server.
local function elapsed(res)
  local a = res.attempts
  local first, last = a[1], a[#a]
  if first and first.started and last.started and last.timing and last.timing.total then
    return math.max(0, last.started + last.timing.total - first.started)
  end
  return res.timing.total
end
M.elapsed = elapsed

local function last_location(res)
  for i = #res.hops, 1, -1 do
    local h = res.hops[i]
    if h.location then return h.location, h.location_url end
  end
end

local function evaluate(check, res, show_secrets)
  local e, failures, raised = check.expect, {}, false
  local function add(fmt, ...) failures[#failures + 1] = string.format(fmt, ...) end
  local hops = res.hops
  if res.error then
    add("%s: %s", res.error.kind, res.error.message or "")
  end
  if res.status == nil then return failures, false end

  if e.status ~= nil then
    local list = type(e.status) == "table" and e.status or { e.status }
    local hit = false
    for _, s in ipairs(list) do if s == res.status then hit = true end end
    if not hit then add("status %d, expected %s", res.status, status_text(list)) end
  end
  if e.class ~= nil or e.status == nil then
    local want = e.class or "success"
    if res.class ~= want then add("status %d is %s, expected %s", res.status, res.class, want) end
  end
  if e.max_ms ~= nil then
    local ms = (elapsed(res) or 0) * 1000
    if ms > e.max_ms then add("took %.0f ms, expected at most %s ms", ms, num(e.max_ms)) end
  end
  local body = res.body
  if e.body ~= nil and not body:find(e.body, 1, true) then
    add("body does not contain %s", show(e.body))
  end
  if e.body_match ~= nil then
    local ok, found = pcall(string.find, body, e.body_match)
    if not ok then add("body_match %s: %s", show(e.body_match), tostring(found))
    elseif not found then add("body does not match %s", show(e.body_match)) end
  end
  if e.header ~= nil then
    local names = {}
    for name in pairs(e.header) do names[#names + 1] = name end
    table.sort(names)
    for _, name in ipairs(names) do
      local want = e.header[name]
      local values, hit = res.headers:get_all(name), false
      for _, v in ipairs(values) do if v:find(want, 1, true) then hit = true end end
      if #values == 0 then
        add("header %s missing, expected one containing %s", name, show(want))
      elseif not hit then
        local got = (not show_secrets and core.is_secret_header(name)) and "(hidden)" or show(values[1])
        add("header %s is %s, expected one containing %s", name, got, show(want))
      end
    end
  end
  if e.json ~= nil then
    local cjson = require("cjson").new()
    local ok, doc = pcall(cjson.decode, body)
    if not ok then
      add("body is not JSON (%s)", (tostring(doc):gsub("^.-: ", "")))
    else
      local paths = {}
      for path in pairs(e.json) do paths[#paths + 1] = path end
      table.sort(paths)
      for _, path in ipairs(paths) do
        local found, v = path_get(doc, assert(parse_path(path)))
        if not found then add("json %s missing, expected %s", path, show(e.json[path]))
        elseif not deep_equal(v, e.json[path]) then add("json %s is %s, expected %s", path, show(v), show(e.json[path])) end
      end
    end
  end
  if e.location ~= nil then
    local raw, resolved = last_location(res)
    if raw == nil then add("no Location, expected %s", show(e.location))
    elseif raw ~= e.location and resolved ~= e.location then
      add("Location %s, expected %s", show(raw), show(e.location))
    end
  end
  if e.redirects ~= nil and #hops - 1 > e.redirects then
    add("%s, expected at most %d", plural(#hops - 1, "redirect"), e.redirects)
  end
  if e.https_only then
    for i, h in ipairs(hops) do
      if not (h.url or ""):lower():find("^https://") then
        add("hop %d is not https: %s", i, redact_url(h.url, show_secrets))
        break
      end
    end
  end
  if e.cert_days ~= nil then
    local tls = res.tls
    if not tls or tls.days_left == nil then add("no TLS certificate (not https), expected one valid for %s days", num(e.cert_days))
    elseif tls.days_left < e.cert_days then
      add("certificate expires in %s days, expected at least %s", num(tls.days_left), num(e.cert_days))
    end
  end
  if e.max_severity ~= nil then
    local over = {}
    for _, f in ipairs(res.findings) do
      if not check.ignore[f.id] and RANK[f.severity] and RANK[f.severity] > RANK[e.max_severity] then
        over[#over + 1] = f.severity .. " " .. f.id
      end
    end
    if #over > 0 then add("findings above %s: %s", e.max_severity, table.concat(over, ", ")) end
  end
  if e.fn ~= nil then
    local ok, good, msg = xpcall(e.fn, debug.traceback, res)
    if not ok then
      raised = true
      add("fn raised: %s", tostring(good))
    elseif not good then
      add("%s", msg ~= nil and tostring(msg) or "fn returned " .. tostring(good))
    end
  end
  return failures, raised
end

local function outcome_of(check, res, show_secrets)
  local retries = math.max(0, #res.attempts - #res.hops)
  local o = {
    index = check.index, name = check.name, tags = check.tags, result = res,
    url = redact_url(res.url, show_secrets), method = res.method,
    status = res.status, class = res.class,
    ms = elapsed(res) and round(elapsed(res) * 1000, 1),
    retries = retries, redirects = math.max(0, #res.hops - 1),
    error = res.error and { kind = res.error.kind, message = redact_url(res.error.message, show_secrets) } or nil,
    findings = {}, degraded = {},
  }
  if res.tls then o.cert_days_left = res.tls.days_left end
  for _, f in ipairs(res.findings) do
    o.findings[#o.findings + 1] = { id = f.id, severity = f.severity, message = redact_url(f.message, show_secrets), hop = f.hop,
                                    ignored = check.ignore[f.id] or nil }
  end
  o.failures, o.raised = evaluate(check, res, show_secrets)
  for i, f in ipairs(o.failures) do o.failures[i] = redact_url(f, show_secrets) end
  if #o.failures > 0 then
    o.state = "down"
  else
    if retries > 0 then o.degraded[#o.degraded + 1] = "after " .. plural(retries, "retry", "retries") end
    for _, f in ipairs(o.findings) do
      if not f.ignored and RANK[f.severity] and RANK[f.severity] >= RANK.warning then
        o.degraded[#o.degraded + 1] = f.severity .. " " .. f.id
      end
    end
    o.state = #o.degraded > 0 and "degraded" or "up"
  end
  o.passed = o.state ~= "down"
  return o
end

-- Sums outcomes by state.
function M.summarize(outcomes)
  local s = { total = #outcomes, up = 0, degraded = 0, down = 0, skipped = 0 }
  local first, last
  for _, o in ipairs(outcomes) do
    s[o.state] = s[o.state] + 1
    local r = o.result
    if r and r.started_at then
      first = math.min(first or r.started_at, r.started_at)
      last = math.max(last or 0, r.started_at + (r.timing.total or 0))
    end
  end
  s.passed = s.up + s.degraded
  s.failed = s.down
  s.started_at = first
  s.duration = first and last - first or 0
  return s
end

-- Runs checks (a list as a check file returns, `defaults` allowed) concurrently.
-- opts: concurrency (default 16), show_secrets. Returns the outcomes in input order and
-- a summary. Raises (naming the check) on a check with a bad option or expectation.
function M.run(list, opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("bad argument #2 to 'run' (table expected, got " .. type(opts) .. ")", 2) end
  local conc = opts.concurrency or M.DEFAULT_CONCURRENCY
  if math.type(conc) ~= "integer" or conc < 1 then error("bad option 'concurrency' (positive integer expected)", 2) end
  local checks = M.prepare(list, opts)
  local client <close> = hs.client { concurrency = conc }
  local handles = {}
  for i, c in ipairs(checks) do
    if not c.skip then
      local ok, h = pcall(client.add, client, c.options)
      if not ok then error(check_where(i, c.name) .. ": " .. tostring(h), 0) end
      handles[i] = h
    end
  end
  client:run()
  local outcomes = {}
  for i, c in ipairs(checks) do
    if c.skip then
      outcomes[i] = { index = i, name = c.name, tags = c.tags, state = "skipped", passed = true,
                      skip_reason = type(c.skip) == "string" and c.skip or nil,
                      failures = {}, findings = {}, degraded = {}, retries = 0, redirects = 0 }
    else
      outcomes[i] = outcome_of(c, handles[i]:result(), opts.show_secrets)
    end
  end
  return outcomes, M.summarize(outcomes)
end

-- Loads a check file: returns the list it returned, or nil and a message.
function M.load(path)
  local chunk, err = loadfile(path, "t")
  if not chunk then return nil, err end
  local ok, list = pcall(chunk)
  if not ok then return nil, tostring(list) end
  if type(list) ~= "table" then
    return nil, string.format("%s: returned %s, expected a list of checks", path, type(list))
  end
  return list
end

-- ---- output formats ----------------------------------------------------------------------
local F = {}

local function reason_of(o)
  if o.state == "down" then return table.concat(o.failures, "; ") end
  if o.state == "degraded" then return table.concat(o.degraded, ", ") end
  if o.state == "skipped" then return o.skip_reason or "" end
  return ""
end
M.reason = reason_of

local function one_line(s)
  return (tostring(s):gsub("[\r\n]+", " "))
end

function F.table(outcomes, summary)
  local rows = { { "STATE", "NAME", "STATUS", "TIME", "RETRIES", "REDIRECTS", "REASON" } }
  for _, o in ipairs(outcomes) do
    local skipped = o.state == "skipped"
    rows[#rows + 1] = {
      o.state, one_line(o.name), o.status and tostring(o.status) or "-",
      o.ms and string.format("%.0f ms", o.ms) or "-",
      skipped and "-" or tostring(o.retries), skipped and "-" or tostring(o.redirects),
      one_line(reason_of(o)),
    }
  end
  local width = {}
  for _, r in ipairs(rows) do
    for c = 1, 6 do width[c] = math.max(width[c] or 0, utf8.len(r[c]) or #r[c]) end
  end
  local right = { [3] = true, [4] = true, [5] = true, [6] = true }
  local out = {}
  for _, r in ipairs(rows) do
    local cells = {}
    for c = 1, 6 do
      local pad = string.rep(" ", width[c] - (utf8.len(r[c]) or #r[c]))
      cells[c] = right[c] and pad .. r[c] or r[c] .. pad
    end
    cells[7] = r[7]
    out[#out + 1] = (table.concat(cells, "  "):gsub("%s+$", ""))
  end
  out[#out + 1] = string.format("%d up, %d degraded, %d down, %d skipped (%s, %.2f s)",
    summary.up, summary.degraded, summary.down, summary.skipped, plural(summary.total, "check"), summary.duration)
  return table.concat(out, "\n") .. "\n"
end

-- JSON with ordered keys and real empty arrays (lua-cjson 2.1 writes {} for both).
local ARRAY <const> = {}
local function array(t) return setmetatable(t or {}, ARRAY) end
local function object(t, order) return setmetatable(t, { order = order }) end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\\127]', function(c)
    local map = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
    return map[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function encode(v, out)
  local t = type(v)
  if v == nil then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null"
    elseif math.type(v) == "integer" then out[#out + 1] = tostring(v)
    else out[#out + 1] = num(v) == tostring(v) and tostring(v) or string.format("%.17g", v) end
  elseif t == "string" then
    -- Invalid UTF-8 would make invalid JSON: show such bytes as Latin-1.
    if not utf8.len(v) then v = v:gsub("[\128-\255]", function(c) return utf8.char(c:byte()) end) end
    out[#out + 1] = json_string(v)
  elseif t == "table" and getmetatable(v) == ARRAY then
    out[#out + 1] = "["
    for i = 1, #v do
      if i > 1 then out[#out + 1] = "," end
      encode(v[i], out)
    end
    out[#out + 1] = "]"
  elseif t == "table" then
    local mt = getmetatable(v)
    local keys, seen = {}, {}
    for _, k in ipairs(mt and mt.order or {}) do
      if v[k] ~= nil then keys[#keys + 1] = k; seen[k] = true end
    end
    local rest = {}
    for k in pairs(v) do if not seen[k] then rest[#rest + 1] = tostring(k) end end
    table.sort(rest)
    table.move(rest, 1, #rest, #keys + 1, keys)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      encode(k, out)
      out[#out + 1] = ":"
      encode(v[k], out)
    end
    out[#out + 1] = "}"
  else
    out[#out + 1] = json_string(tostring(v))
  end
end

function F.json(outcomes, summary)
  local checks = array()
  for _, o in ipairs(outcomes) do
    local findings = array()
    for _, f in ipairs(o.findings) do
      findings[#findings + 1] = object({ id = f.id, severity = f.severity, message = f.message, hop = f.hop,
                                         ignored = f.ignored or false }, { "id", "severity", "message", "hop", "ignored" })
    end
    checks[#checks + 1] = object({
      name = o.name, state = o.state, passed = o.passed, status = o.status, ms = o.ms,
      url = o.url, method = o.method, retries = o.retries, redirects = o.redirects,
      failures = array(table.move(o.failures, 1, #o.failures, 1, {})),
      degraded = array(table.move(o.degraded, 1, #o.degraded, 1, {})),
      findings = findings,
      error = o.error and object({ kind = o.error.kind, message = o.error.message }, { "kind", "message" }),
      skip_reason = o.skip_reason, cert_days_left = o.cert_days_left,
      tags = array(table.move(o.tags or {}, 1, #(o.tags or {}), 1, {})),
    }, { "name", "state", "passed", "status", "ms", "url", "method", "retries", "redirects", "failures",
         "degraded", "findings", "error", "skip_reason", "cert_days_left", "tags" })
  end
  local doc = object({
    schema = M.SCHEMA,
    checks = checks,
    summary = object({ total = summary.total, up = summary.up, degraded = summary.degraded, down = summary.down,
                       skipped = summary.skipped, passed = summary.passed, failed = summary.failed,
                       duration = round(summary.duration, 6) },
                     { "total", "up", "degraded", "down", "skipped", "passed", "failed", "duration" }),
    started_at = summary.started_at,
  }, { "schema", "started_at", "summary", "checks" })
  local out = {}
  encode(doc, out)
  return table.concat(out) .. "\n"
end

-- XML 1.0: escape markup, drop characters XML cannot hold, keep the text valid UTF-8.
-- In attributes (attr = true) line breaks and tabs become character references, so a
-- parser's attribute normalisation does not turn them into spaces.
local XML_ESC <const> = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&apos;" }
local XML_ATTR_ESC <const> = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&apos;",
                               ["\n"] = "&#10;", ["\r"] = "&#13;", ["\t"] = "&#9;" }
local function xml(s, attr)
  s = tostring(s)
  if not utf8.len(s) then s = s:gsub("[\128-\255]", function(c) return utf8.char(c:byte()) end) end
  s = s:gsub("[%z\1-\8\11\12\14-\31\127]", "?")
  if attr then return (s:gsub("[&<>\"'\n\r\t]", XML_ATTR_ESC)) end
  return (s:gsub("[&<>\"']", XML_ESC))
end
M.xml_escape = xml

function F.junit(outcomes, summary, ctx)
  local secs = function(o) return string.format("%.3f", (o.ms or 0) / 1000) end
  local suite = ctx.suite or "httpstatus check"
  local stamp = os.date("!%Y-%m-%dT%H:%M:%S", math.floor(summary.started_at or os.time()))
  local out = {
    '<?xml version="1.0" encoding="UTF-8"?>',
    string.format('<testsuites name="%s" tests="%d" failures="%d" errors="0" skipped="%d" time="%.3f">',
      xml(suite, true), summary.total, summary.down, summary.skipped, summary.duration),
    string.format('  <testsuite name="%s" tests="%d" failures="%d" errors="0" skipped="%d" time="%.3f" timestamp="%s">',
      xml(suite, true), summary.total, summary.down, summary.skipped, summary.duration, stamp),
  }
  for _, o in ipairs(outcomes) do
    local open = string.format('    <testcase name="%s" classname="httpstatus.check" time="%s"', xml(o.name, true), secs(o))
    local body = {}
    if o.state == "down" then
      local detail = { "url: " .. tostring(o.url), "status: " .. tostring(o.status or "-") }
      for _, f in ipairs(o.failures) do detail[#detail + 1] = "- " .. f end
      body[#body + 1] = string.format('      <failure message="%s" type="%s">%s</failure>',
        xml(reason_of(o), true), o.raised and "raised" or "down", xml(table.concat(detail, "\n")))
    elseif o.state == "skipped" then
      body[#body + 1] = o.skip_reason and string.format('      <skipped message="%s"/>', xml(o.skip_reason, true))
                        or "      <skipped/>"
    end
    if o.state ~= "skipped" then
      local lines = { "state: " .. o.state, "status: " .. tostring(o.status or "-") }
      if #o.degraded > 0 then lines[#lines + 1] = "degraded: " .. table.concat(o.degraded, ", ") end
      for _, f in ipairs(o.findings) do
        lines[#lines + 1] = string.format("%s %s%s: %s", f.severity, f.id, f.ignored and " (ignored)" or "", f.message)
      end
      body[#body + 1] = "      <system-out>" .. xml(table.concat(lines, "\n")) .. "</system-out>"
    end
    out[#out + 1] = open .. ">"
    for _, b in ipairs(body) do out[#out + 1] = b end
    out[#out + 1] = "    </testcase>"
  end
  out[#out + 1] = "  </testsuite>"
  out[#out + 1] = "</testsuites>"
  return table.concat(out, "\n") .. "\n"
end

-- TAP 13: a YAML block under each line that is not plainly `up`.
local function yaml_str(s)
  return "'" .. one_line(s):gsub("'", "''") .. "'"
end

function F.tap(outcomes)
  local out = { "TAP version 13", "1.." .. #outcomes }
  for i, o in ipairs(outcomes) do
    local desc = one_line(o.name):gsub("\\", "\\\\"):gsub("#", "\\#")
    if o.state == "skipped" then
      out[#out + 1] = string.format("ok %d - %s # SKIP%s", i, desc, o.skip_reason and (" " .. one_line(o.skip_reason)) or "")
    else
      out[#out + 1] = string.format("%s %d - %s", o.passed and "ok" or "not ok", i, desc)
      if o.state ~= "up" then
        out[#out + 1] = "  ---"
        out[#out + 1] = "  state: " .. o.state
        out[#out + 1] = "  status: " .. (o.status and tostring(o.status) or "~")
        out[#out + 1] = "  ms: " .. (o.ms and num(o.ms) or "~")
        local list = o.state == "down" and o.failures or o.degraded
        out[#out + 1] = "  " .. (o.state == "down" and "failures" or "reasons") .. ":"
        for _, f in ipairs(list) do out[#out + 1] = "    - " .. yaml_str(f) end
        out[#out + 1] = "  ..."
      end
    end
  end
  return table.concat(out, "\n") .. "\n"
end

-- Prometheus text exposition format 0.0.4.
local function label(s)
  return (tostring(s):gsub("[\\\n\"]", { ["\\"] = "\\\\", ["\n"] = "\\n", ['"'] = '\\"' }))
end
M.prometheus_label = label

function F.prometheus(outcomes)
  local out = {}
  local function family(name, help, rows)
    out[#out + 1] = "# HELP " .. name .. " " .. help
    out[#out + 1] = "# TYPE " .. name .. " gauge"
    for _, r in ipairs(rows) do out[#out + 1] = r end
  end
  local function sample(name, labels, value)
    local parts = {}
    for _, kv in ipairs(labels) do parts[#parts + 1] = kv[1] .. '="' .. label(kv[2]) .. '"' end
    local v = math.type(value) == "float" and string.format("%.6g", value) or tostring(value)
    return string.format("%s{%s} %s", name, table.concat(parts, ","), v)
  end
  local up, dur, code, retries, redirects, cert, state = {}, {}, {}, {}, {}, {}, {}
  for _, o in ipairs(outcomes) do
    local l = { { "name", o.name } }
    if o.state ~= "skipped" then
      up[#up + 1] = sample("httpstatus_check_up", l, o.passed and 1 or 0)
      dur[#dur + 1] = sample("httpstatus_check_duration_seconds", l, (o.ms or 0) / 1000)
      code[#code + 1] = sample("httpstatus_check_status_code", l, o.status or 0)
      retries[#retries + 1] = sample("httpstatus_check_retries", l, o.retries)
      redirects[#redirects + 1] = sample("httpstatus_check_redirects", l, o.redirects)
      if o.cert_days_left then cert[#cert + 1] = sample("httpstatus_check_cert_days_left", l, o.cert_days_left) end
    end
    for _, s in ipairs(STATES) do
      state[#state + 1] = sample("httpstatus_check_state", { { "name", o.name }, { "state", s } }, o.state == s and 1 or 0)
    end
  end
  family("httpstatus_check_up", "Whether the check passed (1: up or degraded, 0: down).", up)
  family("httpstatus_check_duration_seconds", "Time the check's request took, retries and redirects included.", dur)
  family("httpstatus_check_status_code", "Status code of the last response (0: no response).", code)
  family("httpstatus_check_retries", "Tries beyond one per hop.", retries)
  family("httpstatus_check_redirects", "Redirects followed.", redirects)
  if #cert > 0 then family("httpstatus_check_cert_days_left", "Days until the earliest certificate expiry (https).", cert) end
  family("httpstatus_check_state", "The check's state: up, degraded, down or skipped (1 for the current one).", state)
  return table.concat(out, "\n") .. "\n"
end

M.formats = F

-- Renders outcomes in one of: table, json, junit, tap, prometheus.
function M.format(outcomes, fmt, ctx)
  local f = F[fmt or "table"]
  if not f then error("bad argument #2 to 'format' (unknown format '" .. tostring(fmt) .. "')", 2) end
  return f(outcomes, M.summarize(outcomes), ctx or {})
end

-- ---- the command ----------------------------------------------------------------------------
local USAGE <const> = [==[
usage: httpstatus check FILE.lua [--format table|json|junit|tap|prometheus] [--concurrency N]
                                 [--fail-on degraded] [--out FILE] [--show-secrets]]==]

local function parse_args(args)
  local o = { format = "table", concurrency = M.DEFAULT_CONCURRENCY, fail_on = "down" }
  local takes = { ["--format"] = true, ["--concurrency"] = true, ["--fail-on"] = true, ["--out"] = true }
  local i = 2
  while i <= #args do
    local a = args[i]
    local flag, value = a:match("^(%-%-[%w-]+)=(.*)$")
    if not flag then flag = a end
    if takes[flag] then
      if value == nil then
        i = i + 1
        value = args[i]
        if value == nil then return nil, flag .. " needs a value" end
      end
      if flag == "--format" then
        if not F[value] then return nil, "unknown format '" .. value .. "' (table, json, junit, tap, prometheus)" end
        o.format = value
      elseif flag == "--concurrency" then
        local n = math.tointeger(tonumber(value))
        if not n or n < 1 then return nil, "--concurrency needs a positive integer, got '" .. value .. "'" end
        o.concurrency = n
      elseif flag == "--fail-on" then
        if value ~= "degraded" and value ~= "down" then return nil, "--fail-on takes 'degraded' or 'down'" end
        o.fail_on = value
      else
        o.out = value
      end
    elseif a == "--show-secrets" then
      o.show_secrets = true
    elseif a == "-h" or a == "--help" then
      o.help = true
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      return nil, "unknown option '" .. a .. "'"
    elseif o.file then
      return nil, "one check file expected, got '" .. o.file .. "' and '" .. a .. "'"
    else
      o.file = a
    end
    i = i + 1
  end
  if not o.help and not o.file then return nil, "a check file is needed" end
  return o
end

local function write_out(path, text)
  if not path then
    io.stdout:write(text)
    io.stdout:flush()
    return true
  end
  -- Written beside, then renamed: a reader (a Prometheus textfile collector) never sees half.
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not ok or not cok then os.remove(tmp); return nil, werr or cerr end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp); return nil, rerr end
  return true
end

-- `httpstatus check ...`: args[1] == "check". Returns the exit code.
function M.main(args)
  local o, err = parse_args(args)
  if not o then
    io.stderr:write("httpstatus check: ", err, "\n", USAGE, "\n")
    return 2
  end
  if o.help then print(USAGE); return 0 end
  local list, lerr = M.load(o.file)
  if not list then
    io.stderr:write("httpstatus check: ", lerr, "\n")
    return 2
  end
  local ok, outcomes, summary = pcall(M.run, list, { concurrency = o.concurrency, show_secrets = o.show_secrets })
  if not ok then
    io.stderr:write("httpstatus check: ", o.file, ": ", tostring(outcomes), "\n")
    return 2
  end
  local text = F[o.format](outcomes, summary, { suite = "httpstatus check " .. o.file })
  local wok, werr = write_out(o.out, text)
  if not wok then
    io.stderr:write("httpstatus check: cannot write ", o.out, ": ", tostring(werr), "\n")
    return 2
  end
  if summary.down > 0 or (o.fail_on == "degraded" and summary.degraded > 0) then return 1 end
  return 0
end

return M
