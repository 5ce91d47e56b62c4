-- The spec helper and the test server's process contract. HTTP behaviour of the server
-- is exercised by every other spec through the library; here only the helper, the
-- command-line flags, and (when the curl program exists) a smoke test.
local helper = require "helper"

local function gone(pid)
  return os.execute("kill -0 " .. pid .. " 2>/dev/null") ~= true
end

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

describe("spec helper", function()
  it("starts a server on an ephemeral loopback port", function()
    local srv = helper.start_server()
    finally(function() srv:stop() end)
    assert.is_number(srv.port)
    assert.is_true(srv.port > 0 and srv.port < 65536)
    assert.are.same({ srv.port }, srv.ports)
    assert.is_number(srv.pid)
    assert.is_true(srv:alive())
  end)

  it("builds URLs, called with . or :", function()
    local srv = helper.start_server { ports = 2 }
    finally(function() srv:stop() end)
    local base = "http://127.0.0.1:" .. srv.port
    assert.are.equal(base .. "/status/200", srv.url("/status/200"))
    assert.are.equal(base .. "/status/200", srv:url("/status/200"))
    assert.are.equal(base .. "/", srv:url())
    assert.are.equal("http://127.0.0.1:" .. srv.ports[2] .. "/echo", srv:url("/echo", 2))
    assert.are.equal("http://127.0.0.1:" .. srv.ports[2] .. "/echo", srv.url("/echo", 2))
    assert.are.equal(base, srv:base())
    assert.has_error(function() srv:url("/x", 3) end)
  end)

  it("listens on several ports at once, all distinct", function()
    local srv = helper.start_server { ports = 3 }
    finally(function() srv:stop() end)
    assert.are.equal(3, #srv.ports)
    assert.are_not.equal(srv.ports[1], srv.ports[2])
    assert.are_not.equal(srv.ports[2], srv.ports[3])
    assert.are_not.equal(srv.ports[1], srv.ports[3])
  end)

  it("runs servers side by side", function()
    local a, b = helper.start_server(), helper.start_server()
    finally(function() a:stop(); b:stop() end)
    assert.are_not.equal(a.port, b.port)
    assert.are_not.equal(a.pid, b.pid)
  end)

  it("stops the process, and stop is idempotent", function()
    local srv = helper.start_server()
    local pid = srv.pid
    assert.is_true(srv:stop())
    -- stop waited for the exit: the process is gone now, not soon
    assert.is_true(gone(pid))
    assert.is_false(srv:alive())
    assert.is_true(srv:stop())
    assert.is_true(srv:stop())
  end)

  it("stops a server nobody stopped once it is collected", function()
    local pid = helper.start_server().pid
    collectgarbage("collect")
    collectgarbage("collect")
    assert.is_true(gone(pid))
  end)

  it("with_server stops the server on success and on error", function()
    local pid
    local port, extra = helper.with_server(function(srv)
      pid = srv.pid
      assert.is_true(srv:alive())
      return srv.port, "x"
    end)
    assert.is_number(port)
    assert.are.equal("x", extra)
    assert.is_true(gone(pid))

    local ok, err = pcall(helper.with_server, { ports = 2 }, function(srv)
      pid = srv.pid
      assert.are.equal(2, #srv.ports)
      error("boom")
    end)
    assert.is_false(ok)
    assert.matches("boom", err)
    assert.is_true(gone(pid))
  end)

  it("says clearly when the binary is missing", function()
    local ok, err = pcall(helper.start_server, { binary = "/nonexistent/hs_testserver" })
    assert.is_false(ok)
    assert.matches("not found", err)
  end)

  it("encodes query strings for the URL language", function()
    assert.are.equal("", helper.qs {})
    assert.are.equal("?h=A:1&h=B:2", helper.qs { { "h", "A:1" }, { "h", "B:2" } })
    assert.are.equal("?code=307&loc=relative", helper.qs { loc = "relative", code = 307 })
    assert.are.equal("?h=X:1&h=Y:2&nolen=1", helper.qs { h = { "X:1", "Y:2" }, nolen = true })
    assert.are.equal("?body=a%20b%26c%3Dd%2B%25", helper.qs { body = "a b&c=d+%" })
    assert.are.equal("?url=http://h:1/p%3Fq%3D1", helper.qs { url = "http://h:1/p?q=1" })
    assert.are.equal("103\nLink:</s.css>; rel=preload\nX-A:1",
      helper.interim(103, { "Link: </s.css>; rel=preload", { "X-A", "1" } }))
    assert.are.equal("103 Hints", helper.interim(103, {}, "Hints"))
    assert.are.equal("?interim=103%0ALink:%3C/s.css%3E", helper.qs { interim = { helper.interim(103, { "Link: </s.css>" }) } })
  end)

  describe("use_server", function()
    local srv = helper.use_server { ports = 2 }
    local seen

    it("starts one server for the block", function()
      assert.is_number(srv.port)
      assert.are.equal(2, #srv.ports)
      assert.are.equal("http://127.0.0.1:" .. srv.port .. "/x", srv:url("/x"))
      assert.are.equal("http://127.0.0.1:" .. srv.ports[2] .. "/x", srv:url("/x", 2))
      assert.is_true(srv:alive())
      seen = srv.pid
    end)

    it("keeps it across the block's tests", function()
      assert.are.equal(seen, srv.pid)
    end)
  end)
end)

describe("test server flags", function()
  local bin = helper.server_binary()

  it("rejects unknown flags with status 2", function()
    local ok, how, code = os.execute(sh_quote(bin) .. " --bogus 2>/dev/null")
    assert.is_nil(ok)
    assert.are.equal("exit", how)
    assert.are.equal(2, code)
  end)

  it("exits at once when stdin is at EOF with --exit-on-stdin-eof", function()
    assert.is_true(os.execute(sh_quote(bin) .. " --exit-on-stdin-eof </dev/null >/dev/null"))
  end)

  it("exits when --parent is not its parent", function()
    assert.is_true(os.execute(sh_quote(bin) .. " --parent 1 >/dev/null"))
  end)

  it("writes --pidfile before it prints PORT, and removes it on exit", function()
    local pidfile = os.tmpname()
    local pipe = assert(io.popen("exec " .. sh_quote(bin) .. " --pidfile " .. sh_quote(pidfile)
      .. " --parent $PPID", "r"))
    local line = pipe:read("l")
    assert.matches("^PORT %d+$", line)
    local f = assert(io.open(pidfile))
    local pid = f:read("n")
    f:close()
    assert.is_number(pid)
    os.execute("kill " .. math.tointeger(pid))
    pipe:close()
    assert.is_true(gone(math.tointeger(pid)))
    assert.is_nil(io.open(pidfile))
  end)
end)

describe("test server smoke (with the curl program)", function()
  local srv = helper.use_server()
  local has_curl = os.execute("command -v curl >/dev/null 2>&1") == true

  local function curl(args)
    -- Not with the sanitizer runtime the ASan run preloads for our programs: the curl
    -- program deadlocks in setlocale at start-up under it.
    local p = io.popen("LD_PRELOAD= curl -s " .. args .. " 2>/dev/null")
    local out = p:read("a")
    p:close()
    return out
  end

  it("answers with the status, headers and body the URL asks for", function()
    if not has_curl then return pending("curl not installed") end
    local out = curl("-i " .. sh_quote(srv:url("/status/418" .. helper.qs { { "h", "X-A:1" }, { "h", "X-A:2" } })))
    assert.matches("^HTTP/1.1 418 I'm a teapot\r\n", out)
    assert.matches("\r\nX%-A: 1\r\nX%-A: 2\r\n", out)
    assert.matches("\r\n\r\n418 I'm a teapot\n$", out)
  end)

  it("counts hits per key and reports stats as JSON", function()
    if not has_curl then return pending("curl not installed") end
    local key = "smoke" .. srv.port
    local codes = curl("-w '%{http_code} ' " .. string.rep("-o /dev/null " .. sh_quote(srv:url("/count/" .. key .. "?fail=2")) .. " ", 3))
    assert.are.equal("503 503 200 ", codes)
    assert.are.equal("3", curl(sh_quote(srv:url("/hits/" .. key))))
    assert.matches('^{"connections":%d+,"max_connections":%d+,', curl(sh_quote(srv:url("/stats"))))
  end)
end)
