-- Spec support for https: certificates made at run time with the `openssl` command, and
-- hs_tlsrelay (spec/support/tlsrelay.c) terminating TLS in front of the plain test server.
--
--   local tls = require "support.tls"
--   local srv = helper.start_server()
--   local relay = tls.start(srv.port)          -- a fresh CA and a 30-day server certificate
--   hs.request{ url = relay:url("/status/200"), ca_file = relay.ca_file }
--   relay:stop(); srv:stop()
--
-- tls.start(backend_port [, opts]) -> relay with .port, .ca_file, .cert_days, .cn, .ca_cn,
-- .pid, :url(path), :base(), :stop(). opts: days (server certificate validity, default 30),
-- cn (its CN), ca (a CA from tls.new_ca(), to share one between relays; else the relay makes
-- and owns one). The certificate is for 127.0.0.1 and localhost (subjectAltName).
-- The relay, like the test server, exits on its own when this Lua process goes away.
local helper = require "helper"
local tls = {}

local shell_quote, exists = helper.shell_quote, helper.exists

-- The relay binary: $HS_TLSRELAY, else the build tree's.
function tls.relay_binary() return helper.binary("HS_TLSRELAY", "hs_tlsrelay") end

-- Runs a shell command; raises with its output when it fails. The sanitizer runtime
-- preloaded for our programs is not for openssl or mktemp: leave it out.
local function run(cmd)
  local p = assert(io.popen("LD_PRELOAD= " .. cmd .. " 2>&1", "r"))
  local out = p:read("a")
  local ok, how, code = p:close()
  if not ok then
    error(("command failed (%s %s): %s\n%s"):format(how, tostring(code), cmd, out), 3)
  end
  return out
end

local function mkdtemp()
  local dir = run("mktemp -d " .. shell_quote((os.getenv("TMPDIR") or "/tmp") .. "/hs-tls.XXXXXX"))
  dir = dir:gsub("%s+$", "")
  assert(dir ~= "" and exists(dir), "mktemp -d failed")
  return dir
end

local EC = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

local CA = {}
CA.__index = CA

-- Removes the CA's files. Idempotent.
function CA:stop()
  if self.stopped then return end
  self.stopped = true
  os.execute("rm -rf " .. shell_quote(self.dir))
end
CA.__gc = CA.stop

-- A certificate authority in its own temp dir: .cert (PEM, the file to pass as ca_file),
-- .key, .cn, :stop(). opts.cn (default "httpstatus test CA"), opts.days (default 3650).
function tls.new_ca(opts)
  opts = opts or {}
  local dir = mkdtemp()
  local ca = setmetatable({ dir = dir, cert = dir .. "/ca.pem", key = dir .. "/ca.key",
                            cn = opts.cn or "httpstatus test CA", n = 0 }, CA)
  run(("openssl req -x509 %s -keyout %s -out %s -days %d -subj %s"
       .. " -addext 'basicConstraints=critical,CA:TRUE'"
       .. " -addext 'keyUsage=critical,keyCertSign,cRLSign'")
      :format(EC, shell_quote(ca.key), shell_quote(ca.cert), opts.days or 3650,
              shell_quote("/CN=" .. ca.cn)))
  return ca
end

-- Issues a server certificate for 127.0.0.1 and localhost, valid `days` from now, into
-- dir. Returns the certificate and key paths.
function CA:issue(dir, cn, days)
  self.n = self.n + 1
  local base = dir .. "/server" .. self.n
  local ext = base .. ".ext"
  local f = assert(io.open(ext, "w"))
  f:write("subjectAltName=IP:127.0.0.1,DNS:localhost\n",
          "basicConstraints=CA:FALSE\n",
          "keyUsage=critical,digitalSignature,keyEncipherment\n",
          "extendedKeyUsage=serverAuth\n")
  f:close()
  run(("openssl req -new %s -keyout %s -out %s -subj %s")
      :format(EC, shell_quote(base .. ".key"), shell_quote(base .. ".csr"), shell_quote("/CN=" .. cn)))
  run(("openssl x509 -req -in %s -CA %s -CAkey %s -CAcreateserial -CAserial %s -out %s -days %d -extfile %s")
      :format(shell_quote(base .. ".csr"), shell_quote(self.cert), shell_quote(self.key),
              shell_quote(self.dir .. "/ca.srl"), shell_quote(base .. ".pem"), days, shell_quote(ext)))
  return base .. ".pem", base .. ".key"
end

local Relay = {}
Relay.__index = Relay

-- Kills the relay, waits for it, removes its files (and its CA if it made it). Idempotent.
function Relay:stop()
  if self.stopped then return true end
  self.stopped = true
  if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
  -- The shell exec'd the relay, so closing the pipe waits for the relay itself.
  if self.pipe then self.pipe:close() end
  os.execute("rm -rf " .. shell_quote(self.dir))
  if self.own_ca then self.own_ca:stop() end
  return true
end
Relay.__gc = Relay.stop
Relay.__close = Relay.stop

function Relay:base() return "https://127.0.0.1:" .. self.port end
function Relay:url(path) return self:base() .. (path or "/") end

function tls.start(backend_port, opts)
  opts = opts or {}
  assert(math.type(backend_port) == "integer", "tls.start: backend port expected")
  local bin = opts.binary or tls.relay_binary()
  if not exists(bin) then
    error("TLS relay not found at " .. bin .. " (build hs_tlsrelay or set HS_TLSRELAY)", 2)
  end
  local own_ca = not opts.ca and tls.new_ca() or nil
  local ca = opts.ca or own_ca
  local days = opts.days or 30
  local cn = opts.cn or "httpstatus test server"
  local relay = setmetatable({ dir = mkdtemp(), own_ca = own_ca, ca_file = ca.cert, ca_cn = ca.cn,
                               cn = cn, cert_days = days, stopped = false }, Relay)
  local ok, err = pcall(function()
    local cert, key = ca:issue(relay.dir, cn, days)
    -- $$ is the shell's pid, which exec hands to the relay; $PPID is this Lua process,
    -- which the relay watches so it never outlives the test run.
    local cmd = ("echo PID $$; exec %s --cert %s --key %s --backend %d --pidfile %s --parent $PPID")
      :format(shell_quote(bin), shell_quote(cert), shell_quote(key), backend_port,
              shell_quote(relay.dir .. "/relay.pid"))
    relay.pipe = assert(io.popen(cmd, "r"))
    relay.pid = tonumber((relay.pipe:read("l") or ""):match("^PID (%d+)$"))
    -- The relay prints its port only once it listens: no polling, no sleeps.
    local line = relay.pipe:read("l")
    relay.port = tonumber(line and line:match("^PORT (%d+)$"))
    if not relay.pid or not relay.port then
      error("TLS relay " .. bin .. " did not start (got " .. tostring(line) .. ")")
    end
  end)
  if not ok then
    relay:stop()
    error(err, 2)
  end
  return relay
end

return tls
