-- require "httpstatus": the Lua API over httpstatus.core (the C engine).
local core <const> = require "httpstatus.core"

local M = {
  describe = core.describe,
  class = core.class,
  codes = core.codes,
  features = core.features,
  rules = core.rules,
  version = core.version,
}

-- ---- headers objects: names/values in wire order and case ---------------------------
local Headers = {}
Headers.__index = Headers
Headers.__name = "httpstatus.headers"

function Headers:get(name)
  if type(name) ~= "string" then error("bad argument #1 to 'get' (string expected)", 2) end
  local want = name:lower()
  for i, n in ipairs(self.names) do
    if n:lower() == want then return self.values[i] end
  end
  return nil
end

function Headers:get_all(name)
  if type(name) ~= "string" then error("bad argument #1 to 'get_all' (string expected)", 2) end
  local want, out = name:lower(), {}
  for i, n in ipairs(self.names) do
    if n:lower() == want then out[#out + 1] = self.values[i] end
  end
  return out
end

function Headers:each()
  local i = 0
  return function()
    i = i + 1
    if self.names[i] then return self.names[i], self.values[i] end
  end
end

function Headers:__len() return #self.names end

-- ---- result methods ---------------------------------------------------------------------
local Result = {}

function Result:header(name) return self.headers:get(name) end

local function plural(n, word)
  return n .. " " .. word .. (n == 1 and "" or "s")
end

-- One line: "200 OK GET http://h/x (2 redirects, 1 retry, 35 ms)".
function Result:summary()
  local notes = {}
  local hops = self.hops
  if #hops > 1 then notes[#notes + 1] = plural(#hops - 1, "redirect") end
  local retries = #self.attempts - #hops -- tries beyond one a hop
  if retries > 0 then notes[#notes + 1] = plural(retries, "retry"):gsub("retrys", "retries") end
  local total = self.timing.total
  if total then notes[#notes + 1] = string.format("%d ms", math.floor(total * 1000 + 0.5)) end
  local head
  if self.status then
    head = tostring(self.status) .. " " .. (self.reason or self.reason_phrase or "")
  else
    head = "---"
  end
  local line = string.format("%s %s %s", head, self.method or "?", self.url or "?")
  if self.error then line = line .. " [" .. self.error.kind .. ": " .. (self.error.message or "") .. "]" end
  if #notes > 0 then line = line .. " (" .. table.concat(notes, ", ") .. ")" end
  return line
end

function Result:explain() return M.explain(self) end

core.set_result_methods(Result, Headers)
M.Headers = Headers

-- ---- options that the Lua layer turns into URL and body -------------------------------
local function urlencode(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function json_encode(v)
  local ok, cjson = pcall(require, "cjson")
  if ok then return cjson.encode(v) end
  return require("httpstatus.json").encode(v)
end

local function shallow_copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- Client defaults under a request's own options; `retry` tables merge key by key.
local function merge(defaults, opts)
  local out = shallow_copy(defaults or {})
  for k, v in pairs(opts) do
    if k == "retry" and type(v) == "table" and type(out.retry) == "table" then
      local r = shallow_copy(out.retry)
      for rk, rv in pairs(v) do r[rk] = rv end
      out.retry = r
    else
      out[k] = v
    end
  end
  return out
end

-- level: where errors point, 3 (the caller of the function that calls prepare) unless given.
local function prepare(opts, argname, level)
  level = level or 3
  if type(opts) ~= "table" then
    error(string.format("bad argument #1 to '%s' (table expected, got %s)", argname, type(opts)), level)
  end
  if opts.url == nil then error(string.format("bad argument #1 to '%s' (missing option 'url')", argname), level) end
  if type(opts.url) ~= "string" then
    error(string.format("bad argument #1 to '%s' (option 'url': string expected, got %s)", argname, type(opts.url)), level)
  end
  if opts.on_interim ~= nil and type(opts.on_interim) ~= "function" then
    error(string.format("bad argument #1 to '%s' (option 'on_interim': function expected)", argname), level)
  end
  if opts.query == nil and opts.json == nil then return opts end
  local o = shallow_copy(opts)
  if o.query ~= nil then
    if type(o.query) ~= "table" then error("bad option 'query' (table expected)", 3) end
    local keys, parts = {}, {}
    for k in pairs(o.query) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for _, k in ipairs(keys) do parts[#parts + 1] = urlencode(k) .. "=" .. urlencode(o.query[k]) end
    if #parts > 0 then o.url = o.url .. (o.url:find("?", 1, true) and "&" or "?") .. table.concat(parts, "&") end
    o.query = nil
  end
  if o.json ~= nil then
    if o.body ~= nil then error("bad option 'json' (give json or body, not both)", 3) end
    o.body = json_encode(o.json)
    o.json = nil
    local headers = shallow_copy(o.headers or {})
    local has_ct = false
    for k, v in pairs(headers) do
      local name = type(v) == "table" and v[1] or k
      if type(name) == "string" and name:lower() == "content-type" then has_ct = true end
    end
    if not has_ct then
      if #headers > 0 then headers[#headers + 1] = { "Content-Type", "application/json" }
      else headers["Content-Type"] = "application/json" end
    end
    o.headers = headers
    o.method = o.method or "POST"
  end
  return o
end

local traceback <const> = debug.traceback

-- ---- the client ----------------------------------------------------------------------------
local Client = {}
Client.__index = Client
Client.__name = "httpstatus.client"

-- A handle (lhs_handle.c) is a userdata of one block: its id, callback and result, and
-- the fields set on it (a table made on the first). Its client and the client's
-- on_interim (a request's own is set on its handle) come from the client's shared
-- table, behind the handle metatable each client makes once (handle_mt).

local CLIENT_KEYS <const> = { concurrency = true, per_host = true }

-- What the client's add (core:adder, lhs_client.c) hands on: a request as a table, or a
-- URL on a client whose defaults change URLs (query, json, url). The client and the
-- callback are checked there; errors point at add's caller, two levels up.
local function add_spec(self, spec, callback)
  if type(spec) == "string" then spec = { url = spec } end
  if type(spec) ~= "table" then error("bad argument #1 to 'add' (string or table expected, got " .. type(spec) .. ")", 3) end
  local opts = prepare(merge(self.defaults, spec), "add", 4)
  local id = self.core:add(opts, opts.on_interim ~= nil)
  local h = self.core:handle(id, callback) -- kept in self.handles until delivered
  -- the client's on_interim comes from handle_mt; only a request's own is set here
  if opts.on_interim ~= self.defaults.on_interim then h.on_interim = opts.on_interim end
  return h
end

function M.client(opts)
  if opts ~= nil and type(opts) ~= "table" then error("bad argument #1 to 'client' (table expected, got " .. type(opts) .. ")", 2) end
  opts = opts or {}
  local conc, per_host = opts.concurrency or 64, opts.per_host or opts.concurrency or 64
  if math.type(conc) ~= "integer" or conc < 1 then error("bad option 'concurrency' (positive integer expected)", 2) end
  if math.type(per_host) ~= "integer" or per_host < 1 then error("bad option 'per_host' (positive integer expected)", 2) end
  local defaults = {}
  for k, v in pairs(opts) do if not CLIENT_KEYS[k] then defaults[k] = v end end
  local probe = shallow_copy(defaults)
  probe.url = probe.url or "http://127.0.0.1/"
  local cc = core.client(conc, per_host)
  local ok, err = pcall(cc.set_defaults, cc, probe)
  if not ok then error(err, 2) end
  -- A plain URL string is added through the defaults parsed once, unless they
  -- change every request's URL or body (query, json).
  local fast = defaults.query == nil and defaults.json == nil and defaults.url == nil
  local self = setmetatable({ core = cc, defaults = defaults, handles = {}, fast = fast, closed = false }, Client)
  -- interim_error and waiter default here, so that reading them from a handle stops one step up.
  local shared = { client = self, on_interim = defaults.on_interim, interim_error = false, waiter = false }
  self.handle_mt = cc:handle_metatable(shared)
  -- The core delivers results to the handles and runs the callbacks (lhs_client.c).
  cc:bind(self, self.handles, self.handle_mt, defaults.on_interim ~= nil)
  -- client:add is the client's own field, a C function: a plain URL goes from the caller
  -- straight to the engine (the hot path of adding thousands), anything else to add_spec.
  self.add = cc:adder(self, add_spec, fast)
  return self
end

function Client:poll(timeout)
  if self.core:in_callback() then error("poll/run cannot be called from inside a callback", 2) end
  if self.closed then return 0 end
  if timeout ~= nil and type(timeout) ~= "number" then error("bad argument #1 to 'poll' (number expected)", 2) end
  return self.core:deliver(timeout or 0)
end

function Client:run()
  if self.core:in_callback() then error("poll/run cannot be called from inside a callback", 2) end
  if not self.closed then self.core:run() end
end

function Client:run_all(list)
  if type(list) ~= "table" then error("bad argument #1 to 'run_all' (table expected)", 2) end
  if self.core:in_callback() then error("run_all cannot be called from inside a callback", 2) end
  -- Plain URL strings need no handle object: every item takes the next id, so id
  -- base + i - 1 is item i's place in `out` (core:collect). One run_all at a time:
  -- it cannot start from a callback or a resumed coroutine, and it runs until it is done.
  local out, slow = {}, {}
  local plain = self.fast and self.defaults.on_interim == nil
  local base, last
  local ok, err = pcall(function()
    for i, spec in ipairs(list) do
      local id
      if plain and type(spec) == "string" then
        id = self.core:add_url(spec, false)
      else
        slow[i] = self:add(spec)
        id = self.core:handle_id(slow[i])
      end
      base = base or id
      assert(id == base + i - 1, "run_all: the client's ids are not consecutive")
      last = id
    end
  end)
  if not ok then
    -- A bad item: what was added of this list is cancelled, and nothing of it is kept.
    for id = base or 1, last or 0 do self.core:cancel(id) end
    error(err, 0)
  end
  -- Nothing is delivered while items are added: the places are known from here on.
  if base then self.core:collect(out, base, last) end
  self:run()
  self.core:collect()
  for i, h in pairs(slow) do out[i] = h:result() end
  return out
end

function Client:next_timeout()
  if self.closed then return nil end
  return self.core:next_timeout()
end

function Client:pending()
  if self.closed then return 0 end
  return self.core:pending()
end

function Client:await(h)
  if getmetatable(h) ~= self.handle_mt then error("bad argument #1 to 'await' (a handle of this client expected)", 2) end
  local res = h:result()
  if res then return res end
  if not coroutine.isyieldable() then error("await outside a coroutine would block: call it from a coroutine", 2) end
  h.waiter = coroutine.running()
  self.core:add_waiter()
  return coroutine.yield()
end

function Client:close()
  if self.closed then return end
  if self.core:in_callback() then error("close cannot be called from inside a callback", 2) end
  self.core:finish() -- sets self.closed before the cancelled requests' callbacks run
end
Client.__close = Client.close

-- ---- one request ------------------------------------------------------------------------------
function M.request(opts)
  local o = prepare(opts, "request")
  if o.client ~= nil then
    local c = o.client
    if getmetatable(c) ~= Client then error("bad option 'client' (a client from hs.client expected)", 2) end
    if not coroutine.isyieldable() then
      error("request with a client outside a coroutine would block: call it from a coroutine", 2)
    end
    local spec = shallow_copy(o)
    spec.client = nil
    return c:await(c:add(spec))
  end
  local c = core.client(1, 1)
  local id = c:add(o, o.on_interim ~= nil)
  local interim_error
  while true do
    local ids, values = c:poll(-1)
    for i = 1, #ids do
      local v = values[i]
      if ids[i] < 0 then
        local ok, err = xpcall(o.on_interim, traceback, v)
        if not ok then interim_error = interim_error or err end
      elseif ids[i] == id then
        c:close()
        if interim_error then v.callback_error = interim_error end
        return v
      end
    end
  end
end

local function with(opts, argname, fields)
  if opts ~= nil and type(opts) ~= "table" then
    error(string.format("bad argument #2 to '%s' (table expected, got %s)", argname, type(opts)), 3)
  end
  local o = shallow_copy(opts or {})
  for k, v in pairs(fields) do o[k] = v end
  return o
end

function M.get(url, opts)
  if type(url) ~= "string" then error("bad argument #1 to 'get' (string expected, got " .. type(url) .. ")", 2) end
  return M.request(with(opts, "get", { url = url, method = "GET" }))
end

function M.head(url, opts)
  if type(url) ~= "string" then error("bad argument #1 to 'head' (string expected, got " .. type(url) .. ")", 2) end
  return M.request(with(opts, "head", { url = url, method = "HEAD" }))
end

function M.post(url, body, opts)
  if type(url) ~= "string" then error("bad argument #1 to 'post' (string expected, got " .. type(url) .. ")", 2) end
  if body ~= nil and type(body) ~= "string" then error("bad argument #2 to 'post' (string expected, got " .. type(body) .. ")", 2) end
  return M.request(with(opts, "post", { url = url, method = "POST", body = body }))
end

function M.explain(x)
  return require("httpstatus.report").explain(M, x)
end

return M
