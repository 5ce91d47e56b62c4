-- Spec helper: starts and stops the loopback test server (spec/support/testserver.c).
-- The server binds an ephemeral port on 127.0.0.1 and prints "PORT n" only once it
-- listens, so reading that first line is the whole wait: no sleeps.
local H = {}

local function server_binary()
  return os.getenv("HS_TESTSERVER") or "build/spec/hs_testserver"
end

function H.start_server(opts)
  opts = opts or {}
  local pidfile = os.tmpname()
  local args = { "exec", server_binary(), "--pidfile", pidfile }
  if opts.ports then args[#args + 1] = "--ports"; args[#args + 1] = tostring(opts.ports) end
  local pipe = assert(io.popen(table.concat(args, " "), "r"))
  local line = pipe:read("l")
  local ports = {}
  for p in (line or ""):gmatch("%d+") do ports[#ports + 1] = tonumber(p) end
  if not line or not line:match("^PORT") or #ports == 0 then
    pipe:close()
    error("the test server did not start: " .. tostring(line))
  end
  local f = io.open(pidfile)
  local pid = f and f:read("n")
  if f then f:close() end
  local srv = { port = ports[1], ports = ports, pid = pid }
  function srv.url(path) return "http://127.0.0.1:" .. ports[1] .. (path or "/") end
  function srv:stop()
    if not self.pid then return end
    os.execute("kill " .. math.tointeger(self.pid) .. " 2>/dev/null")
    pipe:close() -- waits for the server to exit
    os.remove(pidfile)
    self.pid = nil
  end
  return srv
end

return H
