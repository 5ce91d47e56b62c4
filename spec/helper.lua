-- Spec helper: starts and stops the loopback test server (spec/support/testserver.c).
--
--   local helper = require "helper"
--
--   describe("redirects", function()
--     local srv = helper.use_server()            -- lazy_setup / lazy_teardown for you
--     it("follows", function()
--       local url = srv:url("/redirect/2" .. helper.qs{ code = 307 })
--     end)
--   end)
--
-- or by hand, in a describe: lazy_setup(function() srv = helper.start_server() end) and
-- lazy_teardown(function() srv:stop() end); in an it: finally(function() srv:stop() end).
-- A server nobody stops still dies: its object's finalizer stops it, and the server
-- exits on its own when this Lua process goes away (--parent).
local helper = {}

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

helper.shell_quote = shell_quote
helper.exists = exists

-- A test program: $ENV_NAME, else the build tree's spec/NAME.
function helper.binary(env_name, name)
  local env = os.getenv(env_name)
  if env and env ~= "" then return env end
  local build = os.getenv("HS_BUILD_DIR")
  if build and build ~= "" and exists(build .. "/spec/" .. name) then return build .. "/spec/" .. name end
  return "build/spec/" .. name
end

-- The server binary: $HS_TESTSERVER, else the build tree's.
function helper.server_binary() return helper.binary("HS_TESTSERVER", "hs_testserver") end

local Server = {}
Server.__index = Server

-- Is the server process still running?
function Server:alive()
  if self.stopped then return false end
  return os.execute("kill -0 " .. self.pid .. " 2>/dev/null") == true
end

-- Kills the server and waits for it to exit. Idempotent.
function Server:stop()
  if self.stopped then return true end
  self.stopped = true
  os.execute("kill " .. self.pid .. " 2>/dev/null")
  -- The shell exec'd the server, so closing the pipe waits for the server itself.
  self.pipe:close()
  return true
end

-- The base URL of port `i` (1 = first), without a trailing slash.
function Server:base(i)
  local port = self.ports[i or 1]
  assert(port, "no such port index: " .. tostring(i))
  return "http://127.0.0.1:" .. port
end

Server.__gc = function(self) self:stop() end
Server.__close = function(self) self:stop() end

-- Starts a server. opts: ports (how many listening ports, default 1), verbose (log
-- requests to stderr), binary (path). Returns a server object:
--   srv.port, srv.ports, srv.pid
--   srv:url(path [, i])  or  srv.url(path [, i])   -> "http://127.0.0.1:<port i><path>"
--   srv:base([i]), srv:stop(), srv:alive()
function helper.start_server(opts)
  opts = opts or {}
  local bin = opts.binary or helper.server_binary()
  if not exists(bin) then
    error("test server not found at " .. bin .. " (build hs_testserver or set HS_TESTSERVER)", 2)
  end
  local args = { "--ports", tostring(opts.ports or 1) }
  if opts.verbose then args[#args + 1] = "--verbose" end
  -- $$ is the shell's pid, which exec hands to the server; $PPID is this Lua process,
  -- which the server watches so it never outlives the test run.
  local cmd = "echo PID $$; exec " .. shell_quote(bin) .. " " .. table.concat(args, " ")
    .. " --parent $PPID"
  local pipe = assert(io.popen(cmd, "r"))
  local pid = tonumber((pipe:read("l") or ""):match("^PID (%d+)$"))
  -- The server prints its ports only once it listens: no polling, no sleeps.
  local line = pipe:read("l")
  if not pid or not line or not line:match("^PORT %d") then
    if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
    pipe:close()
    error("test server " .. bin .. " did not start (got " .. tostring(line) .. ")", 2)
  end
  local ports = {}
  for p in line:gmatch("%d+") do ports[#ports + 1] = tonumber(p) end
  local srv = setmetatable({ pid = pid, pipe = pipe, port = ports[1], ports = ports,
                             stopped = false }, Server)
  -- A field, not a method, so both srv.url(path) and srv:url(path) work.
  srv.url = function(a, b, c)
    if type(a) == "table" then a, b = b, c end
    return srv:base(b) .. (a or "/")
  end
  return srv
end

-- Runs fn(srv) with a fresh server, stopping it whatever happens; returns fn's results.
function helper.with_server(opts, fn)
  if type(opts) == "function" then opts, fn = nil, opts end
  local srv = helper.start_server(opts)
  local res = table.pack(xpcall(fn, debug.traceback, srv))
  srv:stop()
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end

-- For a describe block: starts a server in lazy_setup, stops it in lazy_teardown, and
-- returns a stand-in that forwards to it (srv:url, srv.port, ... work inside tests).
-- busted puts lazy_setup and friends in the spec file's environment, not in _G: find
-- them through the calling function's _ENV.
local function busted_fn(name, level)
  local info = debug.getinfo(level + 1, "f")
  local i = 1
  while info and info.func do
    local up, val = debug.getupvalue(info.func, i)
    if not up then break end
    if up == "_ENV" and type(val) == "table" and val[name] then return val[name] end
    i = i + 1
  end
  return rawget(_G, name)
end

function helper.use_server(opts)
  local box = {}
  local setup, teardown = busted_fn("lazy_setup", 2), busted_fn("lazy_teardown", 2)
  assert(setup and teardown, "helper.use_server must be called inside a describe")
  setup(function() box.srv = helper.start_server(opts) end)
  teardown(function()
    if box.srv then box.srv:stop() end
    box.srv = nil
  end)
  local proxy
  proxy = setmetatable({}, {
    __index = function(_, k)
      local srv = assert(box.srv, "the test server is not running (outside a test?)")
      local v = srv[k]
      if type(v) == "function" and Server[k] == v then
        return function(self, ...)   -- proxy:stop() and proxy.stop() alike
          if rawequal(self, proxy) then return v(srv, ...) end
          return v(srv, self, ...)
        end
      end
      return v
    end,
  })
  return proxy
end

-- The findings of res with this id (a list, maybe empty).
function helper.findings_with(res, id)
  local out = {}
  for _, f in ipairs(res.findings) do if f.id == id then out[#out + 1] = f end end
  return out
end

-- Every finding of res, one a line, for assertion messages.
function helper.findings_text(res)
  local t = {}
  for _, f in ipairs(res.findings) do t[#t + 1] = f.id .. " (" .. f.severity .. "): " .. f.message end
  return #t > 0 and table.concat(t, "\n  ") or "none"
end

-- Percent-encodes everything but unreserved characters and ':' '/' (which the
-- server's URL language reads literally anyway).
function helper.encode(s)
  return (tostring(s):gsub("[^%w%-%._~:/]", function(ch)
    return string.format("%%%02X", ch:byte())
  end))
end

-- Builds "?k=v&k=v". params: a list of { key, value } pairs (order and repeats kept,
-- e.g. several h=), and/or string keys (sorted, so URLs are stable). Values may be
-- strings, numbers or booleans (true -> 1). Returns "" when there is nothing.
function helper.qs(params)
  local parts = {}
  local function add(k, v)
    if v == true then v = 1 elseif v == false then v = 0 end
    parts[#parts + 1] = helper.encode(k) .. "=" .. helper.encode(v)
  end
  for _, kv in ipairs(params or {}) do add(kv[1], kv[2]) end
  local keys = {}
  for k in pairs(params or {}) do
    if type(k) == "string" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = params[k]
    if type(v) == "table" then          -- h = { "A:1", "B:2" }: a repeated parameter
      for _, item in ipairs(v) do add(k, item) end
    else
      add(k, v)
    end
  end
  return #parts > 0 and ("?" .. table.concat(parts, "&")) or ""
end

-- The value of one interim= parameter: a 1xx with its headers, joined by LF (the
-- separator that survives any re-encoding). headers: { "Name: value", ... } or
-- { { "Name", "value" }, ... }. Example:
--   helper.qs{ interim = { helper.interim(103, { "Link: </s.css>; rel=preload" }) } }
function helper.interim(code, headers, reason)
  local lines = { tostring(code) .. (reason and (" " .. reason) or "") }
  for _, h in ipairs(headers or {}) do
    if type(h) == "table" then
      lines[#lines + 1] = h[1] .. ":" .. h[2]
    else
      lines[#lines + 1] = (h:gsub("^([^:]+):%s*", "%1:"))
    end
  end
  return table.concat(lines, "\n")
end

return helper
