-- One request, fully explained: redirects hop by hop, 1xx, timing, error kinds.
-- Everything runs against the real test server on 127.0.0.1 through the real libcurl.
local hs = require "httpstatus"
local helper = require "helper"
local cjson = require "cjson"

local enc = helper.encode

describe("hs.request", function()
  local srv, B
  lazy_setup(function()
    srv = helper.start_server()
    B = "http://127.0.0.1:" .. srv.port
  end)
  lazy_teardown(function() if srv then srv:stop() end end)

  local function echo_of(res) return cjson.decode(res.body) end
  local function echo_header(e, name)
    for _, h in ipairs(e.headers) do if h[1]:lower() == name:lower() then return h[2] end end
  end

  describe("a plain exchange", function()
    it("returns the whole result", function()
      local res = hs.get(B .. "/status/200?body=hello&h=X-Dup:a&h=x-dup:b")
      assert.are.equal(200, res.status)
      assert.are.equal("integer", math.type(res.status))
      assert.are.equal("OK", res.reason)
      assert.are.equal("OK", res.reason_phrase)
      assert.are.equal("success", res.class)
      assert.is_true(res.ok)
      assert.are.equal("hello", res.body)
      assert.are.equal("GET", res.method)
      assert.are.equal("1.1", res.http_version)
      assert.are.equal("127.0.0.1", res.remote_ip)
      assert.are.equal(srv.port, res.remote_port)
      assert.are.equal(1, #res.hops)
      assert.are.equal(1, #res.attempts)
      assert.is_nil(res.error)
      assert.is_number(res.started_at)
      assert.is_true(math.abs(res.started_at - os.time()) < 60)
    end)

    it("keeps headers in wire order and case, never joined", function()
      local res = hs.get(B .. "/status/200?h=X-Dup:a&h=x-dup:b&h=X-One:1")
      assert.are.equal("a", res.headers:get("x-DUP"))
      assert.are.same({ "a", "b" }, res.headers:get_all("X-Dup"))
      assert.are.equal("a", res:header("x-dup"))
      local seen = {}
      for name, value in res.headers:each() do
        if name:lower():match("^x%-") then seen[#seen + 1] = name .. "=" .. value end
      end
      assert.are.same({ "X-Dup=a", "x-dup=b", "X-One=1" }, seen)
      assert.is_nil(res.headers:get("nope"))
      assert.are.same({}, res.headers:get_all("nope"))
    end)

    it("records what went on the wire, libcurl's own headers included", function()
      local res = hs.get(B .. "/echo", { headers = { { "X-A", "1" }, { "X-A", "2" } } })
      local sent = res.hops[1].request_headers
      assert.are.same({ "1", "2" }, sent:get_all("X-A"))
      assert.is_not_nil(sent:get("Host"))
      assert.matches("^httpstatus/", sent:get("User-Agent"))
    end)

    -- A plain http GET's head is written by us from libcurl's inputs (libcurl is
    -- not asked for its info lines); anything else is what libcurl showed. Either
    -- way it must be exactly what arrived: same names, case, order and values.
    local function sent_list(headers)
      local out = {}
      for name, value in headers:each() do out[#out + 1] = name .. ": " .. value end
      return out
    end
    local function received_list(e)
      local out = {}
      for _, h in ipairs(e.headers) do out[#out + 1] = h[1] .. ": " .. h[2] end
      return out
    end
    local shapes = {
      { "a plain GET", "/echo", {} },
      { "a GET with headers", "/echo?x=1", { headers = { { "X-A", "1" }, { "x-b", "two words" }, { "X-A", "2" } } } },
      { "a secret header", "/echo", { headers = { Authorization = "Bearer t", Cookie = "c=1" } } },
      { "a user agent", "/echo", { user_agent = "probe/1.0" } },
      { "no user agent", "/echo", { user_agent = "" } },
      { "the user's Accept", "/echo", { headers = { Accept = "application/json" } } },
      { "the user's Host", "/echo", { headers = { Host = "example.test" } } },
      { "an empty header", "/echo", { headers = { { "X-Empty", "" } } } },
      { "a value with colons", "/echo", { headers = { { "X-Colon", "urn:a:" } } } },
      { "a value of blanks", "/echo", { headers = { { "X-Blank", "  " }, { "X-After", "1" } } } },
      { "a path libcurl rewrites", "/a/../echo", {} },
      { "a host libcurl rewrites", function() return "http://127.000.1:" .. srv.port .. "/echo" end, {} },
      { "HEAD", "/echo", { method = "HEAD" } },
      { "POST", "/echo", { method = "POST", body = "b=1" } },
      { "DELETE", "/echo", { method = "DELETE" } },
      { "HTTP/1.0", "/echo", { http_version = "1.0" } },
    }
    for _, shape in ipairs(shapes) do
      it("records the request head exactly as the server received it: " .. shape[1], function()
        local opts = {}
        for k, v in pairs(shape[3]) do opts[k] = v end
        local where = type(shape[2]) == "function" and shape[2]() or B .. shape[2]
        opts.url = where .. (opts.method == "HEAD" and "?echo=1" or "")
        local res = hs.request(opts)
        assert.are.equal(200, res.status)
        local sent = sent_list(res.hops[1].request_headers)
        if opts.method == "HEAD" then
          -- no body to compare with: libcurl's own lines, then ours
          assert.are.same({ "Host", "Accept", "User-Agent" },
                          { sent[1]:match("^[^:]+"), sent[2]:match("^[^:]+"), sent[3]:match("^[^:]+") })
        else
          assert.are.same(received_list(echo_of(res)), sent)
        end
      end)
    end

    it("shows libcurl's own head when a proxy from the environment is used", function()
      -- A child process, so that http_proxy is set for it alone; the test server
      -- answers a proxy request too, and echoes what it received.
      local code = [[
        local hs = require "httpstatus"
        local res = hs.get(os.getenv("T_URL"))
        for name, value in res.hops[1].request_headers:each() do io.write(name, ": ", value, "\n") end
        io.write("--\n", res.body)
      ]]
      local cmd = string.format("http_proxy=%s T_URL=%s LUA_CPATH='%s' lua5.4 -e '%s'", B, B .. "/echo",
                                package.cpath, code:gsub("'", "'\\''"))
      local p = assert(io.popen(cmd))
      local out = p:read("a")
      p:close()
      local sent_text, body = out:match("^(.-)%-%-\n(.*)$")
      assert.is_not_nil(body, out)
      local sent = {}
      for line in sent_text:gmatch("[^\n]+") do sent[#sent + 1] = line end
      local received = received_list(cjson.decode(body))
      assert.are.same(received, sent)
      local proxy_line = false
      for _, l in ipairs(sent) do proxy_line = proxy_line or l:match("^Proxy%-Connection") ~= nil end
      assert.is_true(proxy_line)
    end)

    it("records no request head when nothing was sent", function()
      local other = helper.start_server()
      local dead = other.port
      other:stop() -- nothing listens there now: the connect fails
      local res = hs.get("http://127.0.0.1:" .. dead .. "/x", { retry = false })
      assert.are.equal("connect", res.error.kind)
      assert.are.same({}, sent_list(res.hops[1].request_headers))
    end)

    it("records the request head of every redirect hop as the server received it", function()
      local two <close> = helper.start_server { ports = 2 }
      local res = hs.get(two:url("/to" .. helper.qs { url = two:url("/echo", 2) }),
                         { headers = { Authorization = "Bearer t", ["X-Keep"] = "k" } })
      assert.are.equal(200, res.status)
      assert.are.equal(2, #res.hops)
      local last = sent_list(res.hops[#res.hops].request_headers)
      assert.are.same(received_list(echo_of(res)), last)
      assert.is_nil(res.hops[#res.hops].request_headers:get("Authorization")) -- another origin
    end)

    it("builds a table field once and keeps fields set on the result", function()
      local res = hs.get(B .. "/status/200")
      assert.are.equal(res.status, res.status)
      assert.is_true(rawequal(res.hops, res.hops))
      assert.is_true(rawequal(res.headers, res.headers))
      res.note = "mine"
      assert.are.equal("mine", res.note)
      assert.are.equal(200, res.status)
      assert.has_error(function() res.status = 500 end, "the result's field 'status' is read-only")
      assert.are.equal(200, res.status)
    end)

    it("follows 10 redirects by default, not 11", function()
      assert.are.equal(200, hs.get(B .. "/redirect/10").status)
      local res = hs.get(B .. "/redirect/11")
      assert.are.equal("too_many_redirects", res.error.kind)
      assert.are.equal(11, #res.hops)
    end)

    it("has a one-line tostring and a JSON form with schema 1", function()
      local res = hs.get(B .. "/redirect/2")
      assert.matches("^200 OK GET http://127%.0%.0%.1:%d+/status/200 %(2 redirects, %d+ ms%)$", tostring(res))
      local j = cjson.decode(res:to_json())
      assert.are.equal(1, j.schema)
      assert.are.equal(200, j.status)
      assert.are.equal(3, #j.hops)
      assert.are.equal(302, j.hops[1].status)
    end)

    it("keeps a status outside 100-599, classed server_error, with a finding", function()
      local res = hs.get(B .. "/status/999")
      assert.are.equal(999, res.status)
      assert.are.equal("server_error", res.class)
      assert.is_false(res.ok)
      local ids = {}
      for _, f in ipairs(res.findings) do ids[f.id] = true end
      assert.is_true(ids["status-out-of-range"])
    end)
  end)

  it("skips the findings rules with findings = false, and changes nothing else", function()
    local with = hs.get(B .. "/status/999")
    local without = hs.get(B .. "/status/999", { findings = false })
    assert.is_true(#with.findings > 0)
    assert.are.equal(0, #without.findings)
    assert.are.equal(with.status, without.status)
  end)

  describe("redirects", function()
    it("301 and 302 turn POST into GET and drop the body and its Content-* headers", function()
      for _, code in ipairs { 301, 302 } do
        local res = hs.post(B .. "/redirect/1?code=" .. code .. "&final=/echo", "payload",
          { headers = { ["Content-Type"] = "text/plain", ["Content-Language"] = "en", ["X-Keep"] = "k" } })
        assert.are.equal(200, res.status)
        assert.are.same({ "POST", "GET" }, { res.hops[1].method, res.hops[2].method })
        local e = echo_of(res)
        assert.are.equal("GET", e.method)
        assert.are.equal("", e.body)
        assert.is_nil(echo_header(e, "Content-Type"))
        assert.is_nil(echo_header(e, "Content-Language"))
        assert.is_nil(echo_header(e, "Content-Length"))
        assert.are.equal("k", echo_header(e, "X-Keep"))
      end
    end)

    it("301 and 302 keep methods other than POST", function()
      local res = hs.request { url = B .. "/redirect/1?code=301&final=/echo", method = "PUT", body = "x" }
      assert.are.equal("PUT", echo_of(res).method)
      assert.are.equal("x", echo_of(res).body)
    end)

    it("303 turns anything but HEAD into GET", function()
      local res = hs.request { url = B .. "/redirect/1?code=303&final=/echo", method = "DELETE" }
      assert.are.equal("GET", echo_of(res).method)
      res = hs.head(B .. "/redirect/1?code=303&final=/status/200")
      assert.are.same({ "HEAD", "HEAD" }, { res.hops[1].method, res.hops[2].method })
      assert.are.equal(200, res.status)
    end)

    it("307 and 308 keep method and body byte for byte", function()
      local body = "a\0b\r\n\255" .. string.rep("z", 1000)
      for _, code in ipairs { 307, 308 } do
        local res = hs.post(B .. "/redirect/1?code=" .. code .. "&final=/echo", body)
        local e = echo_of(res)
        assert.are.equal("POST", e.method)
        assert.are.equal(#body, e.body_len)
        assert.are.same({ "POST", "POST" }, { res.hops[1].method, res.hops[2].method })
      end
    end)

    it("does not follow 300, 304, 305 and 306, with a finding", function()
      for _, code in ipairs { 300, 304, 305, 306 } do
        local res = hs.get(B .. "/status/" .. code .. "?h=Location:/status/200")
        assert.are.equal(code, res.status)
        assert.are.equal(1, #res.hops)
        assert.is_nil(res.error)
        local found = false
        for _, f in ipairs(res.findings) do found = found or f.id == "redirect-not-followed" end
        assert.is_true(found, "finding for " .. code)
      end
    end)

    it("resolves relative and absolute Locations with curl_url", function()
      local res = hs.get(B .. "/status/302?h=Location:" .. enc("../status/200?x=1"))
      assert.are.equal(B .. "/status/200?x=1", res.hops[1].location_url)
      assert.are.equal("../status/200?x=1", res.hops[1].location)
      assert.are.equal(200, res.status)
      res = hs.get(B .. "/status/302?h=Location:" .. enc(B .. "/status/204"))
      assert.are.equal(204, res.status)
    end)

    it("keeps a Location's fragment in the record, not on the wire", function()
      local res = hs.get(B .. "/status/302?h=Location:" .. enc("/echo#part"))
      assert.are.equal(B .. "/echo#part", res.hops[1].location_url)
      assert.are.equal("/echo", echo_of(res).path)
    end)

    it("ends at a 3xx without a usable Location, with a finding", function()
      local res = hs.get(B .. "/status/302")
      assert.are.equal(302, res.status)
      assert.are.equal(1, #res.hops)
      assert.is_nil(res.error)
      local found = false
      for _, f in ipairs(res.findings) do found = found or f.id == "redirect-without-location" end
      assert.is_true(found)
    end)

    it("detects loops on normalised URLs", function()
      local res = hs.get(B .. "/loop")
      assert.are.equal("redirect_loop", res.error.kind)
      assert.are.equal(302, res.status)
    end)

    it("counts redirects, not hops, against max_redirects", function()
      local res = hs.get(B .. "/redirect/3", { max_redirects = 3 })
      assert.is_nil(res.error)
      assert.are.equal(4, #res.hops)
      res = hs.get(B .. "/redirect/3", { max_redirects = 2 })
      assert.are.equal("too_many_redirects", res.error.kind)
      assert.are.equal(302, res.status)
      assert.are.equal(3, #res.hops)
    end)

    it("does not follow when follow = false, but resolves the Location", function()
      local res = hs.get(B .. "/redirect/2", { follow = false })
      assert.are.equal(302, res.status)
      assert.are.equal(1, #res.hops)
      assert.is_nil(res.error)
      assert.are.equal(B .. "/redirect/1", res.hops[1].location_url)
    end)

    it("refuses other schemes without fetching anything", function()
      for _, target in ipairs { "ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/", "dict://127.0.0.1/x" } do
        local res = hs.get(B .. "/to?url=" .. enc(target))
        assert.are.equal("scheme_refused", res.error.kind, target)
        assert.are.equal(302, res.status)
        assert.are.equal(1, #res.hops)
        assert.are.equal(1, #res.attempts)
      end
    end)

    it("strips credentials and strip_on_redirect headers on another origin, for the rest of the chain", function()
      local other = "http://other.test:" .. srv.port
      local back = B .. "/echo"
      local target = other .. "/to?url=" .. enc(back)
      local res = hs.get(B .. "/to?url=" .. enc(target), {
        resolve = { "other.test:" .. srv.port .. ":127.0.0.1" },
        strip_on_redirect = { "X-Api-Key" },
        headers = { Authorization = "Bearer t", Cookie = "a=b", ["Proxy-Authorization"] = "p",
                    ["X-Api-Key"] = "k", ["X-Other"] = "o" },
      })
      assert.are.equal(3, #res.hops)
      assert.are.equal("Bearer t", res.hops[1].request_headers:get("Authorization"))
      for i = 2, 3 do
        local sent = res.hops[i].request_headers
        assert.is_nil(sent:get("Authorization"), "hop " .. i)
        assert.is_nil(sent:get("Cookie"), "hop " .. i)
        assert.is_nil(sent:get("Proxy-Authorization"), "hop " .. i)
        assert.is_nil(sent:get("X-Api-Key"), "hop " .. i)
        assert.are.equal("o", sent:get("X-Other"))
      end
      assert.is_nil(echo_header(echo_of(res), "Authorization"))
    end)

    it("keeps credentials on the same origin, default port or not", function()
      local res = hs.get(B .. "/to?url=" .. enc(B .. "/echo"), { headers = { Authorization = "Bearer t" } })
      assert.are.equal("Bearer t", echo_header(echo_of(res), "Authorization"))
    end)

    it("waits for a Retry-After on a followed 3xx before the next hop", function()
      local res = hs.get(B .. "/status/303?h=Retry-After:1&h=Location:/status/200")
      assert.are.equal(200, res.status)
      assert.is_true(res.attempts[1].wait >= 1)
      assert.are.equal("retry-after", res.attempts[1].cause)
      assert.is_true(res.attempts[2].started >= 1)
    end)
  end)

  describe("1xx interim responses", function()
    it("records every 1xx in order, and parses 103 Link headers", function()
      local link = '</a.css>; rel=preload; as=style, </b.js>; rel="preload"; as=script; title="x, y"'
      local url = B .. "/status/200?interim=102&interim=103|Link:" .. enc(link) .. "|Link:" .. enc("</c.woff2>; rel=preload; as=font; crossorigin")
      local seen = {}
      local res = hs.get(url, { on_interim = function(i) seen[#seen + 1] = i.status end })
      assert.are.equal(200, res.status)
      assert.are.same({ 102, 103 }, seen)
      assert.are.equal(2, #res.interim)
      local early = res.interim[2]
      assert.are.equal(103, early.status)
      assert.are.equal(1, early.hop)
      assert.is_number(early.at)
      assert.are.equal(3, #early.links)
      assert.are.same({ href = "/a.css", rel = "preload", as = "style" }, early.links[1])
      assert.are.equal("x, y", early.links[2].title)
      assert.are.equal("font", early.links[3].as)
      assert.is_true(early.links[3].crossorigin)
      assert.are.equal(2, #early.headers:get_all("Link"))
      assert.are.equal(2, #res.hops[1].interim)
    end)

    it("never takes a 1xx for the final response", function()
      local res = hs.get(B .. "/status/404?interim=103|Link:" .. enc("</x>; rel=preload") .. "&interim=103")
      assert.are.equal(404, res.status)
      assert.are.equal(2, #res.interim)
    end)

    it("reports a final 101 as such", function()
      local res = hs.get(B .. "/status/101?h=Upgrade:websocket&h=Connection:Upgrade")
      assert.are.equal(101, res.status)
      assert.are.equal("informational", res.class)
      assert.are.equal(0, #res.interim)
      assert.is_nil(res.error)
    end)

    it("records 1xx across a redirect chain with their hop", function()
      local res = hs.get(B .. "/status/302?interim=103&h=Location:" .. enc("/status/200?interim=103"))
      assert.are.equal(2, #res.interim)
      assert.are.same({ 1, 2 }, { res.interim[1].hop, res.interim[2].hop })
    end)

    it("a failing on_interim does not stop the request", function()
      local calls = 0
      local res = hs.get(B .. "/status/200?interim=103", { on_interim = function() calls = calls + 1; error("boom") end })
      assert.are.equal(1, calls)
      assert.are.equal(200, res.status)
      assert.matches("boom", res.callback_error)
    end)
  end)

  describe("Expect: 100-continue", function()
    it("records the 100 when the server sends it", function()
      local res = hs.post(B .. "/echo", "body", { expect_continue = "always" })
      assert.are.equal(200, res.status)
      assert.is_true(res.attempts[1].expect_continue)
      assert.is_true(res.attempts[1].got_100)
      assert.is_true(res.attempts[1].expect_wait < 0.9, "waited " .. res.attempts[1].expect_wait)
      assert.are.equal(100, res.interim[1].status)
      assert.are.equal("body", echo_of(res).body)
    end)

    it("sends the body anyway when the server never answers the Expect", function()
      local res = hs.post(B .. "/echo?expect=ignore", "body", { expect_continue = "always" })
      assert.are.equal(200, res.status)
      assert.is_false(res.attempts[1].got_100)
      -- libcurl waited its second for a 100 that never came, then sent the body
      assert.is_true(res.attempts[1].expect_wait >= 0.9, "waited " .. res.attempts[1].expect_wait)
      assert.are.equal(0, #res.interim)
      assert.are.equal("body", echo_of(res).body)
    end)

    it("repeats once without Expect after a 417", function()
      local res = hs.post(B .. "/echo?expect=417", "body", { expect_continue = "always" })
      assert.are.equal(200, res.status)
      assert.are.equal(2, #res.attempts)
      assert.are.equal(417, res.attempts[1].status)
      assert.are.equal("expect-417", res.attempts[1].cause)
      assert.is_nil(res.hops[1].request_headers:get("Expect"))
    end)

    it("sends no Expect for small bodies on auto, and none with off", function()
      local res = hs.post(B .. "/echo", "small")
      assert.is_nil(echo_header(echo_of(res), "Expect"))
      res = hs.post(B .. "/echo", string.rep("x", 1024 * 1024), { expect_continue = "off", max_body = 4 * 1024 * 1024 })
      assert.is_nil(echo_header(echo_of(res), "Expect"))
      res = hs.post(B .. "/echo", string.rep("x", 1024 * 1024), { max_body = 4 * 1024 * 1024 })
      assert.are.equal("100-continue", echo_header(echo_of(res), "Expect"))
    end)
  end)

  describe("timing", function()
    it("gives durations of phases, nil for those that did not happen", function()
      local res = hs.get(B .. "/status/200")
      local t = res.timing
      for _, k in ipairs { "connect", "wait", "receive", "total" } do assert.is_number(t[k], k) end
      assert.is_nil(t.tls)
      assert.is_true(t.total >= t.wait)
      local a = res.attempts[1].timing
      assert.is_number(a.total)
      assert.is_nil(a.tls)
    end)

    it("marks a reused connection and gives it no connect phase", function()
      local c = hs.client { concurrency = 1 }
      local r = c:run_all { B .. "/status/200", B .. "/status/200" }
      c:close()
      assert.is_number(r[1].timing.connect)
      assert.is_true(r[2].timing.reused)
      assert.is_nil(r[2].timing.connect)
      assert.is_nil(r[2].timing.dns)
    end)

    it("covers every hop and try in the total", function()
      local res = hs.get(B .. "/status/303?h=Retry-After:1&h=Location:/status/200")
      assert.is_true(res.timing.total >= 1)
    end)
  end)

  describe("errors are data, each kind distinct", function()
    local function kind(url, opts) return hs.get(url, opts).error.kind end

    it("url, connect, dns, scheme_refused", function()
      assert.are.equal("url", kind("http://exa mple.com/"))
      assert.are.equal("url", kind("not a url"))
      assert.are.equal("scheme_refused", kind("ftp://127.0.0.1/"))
      local port = srv.port
      srv:stop()
      assert.are.equal("connect", kind("http://127.0.0.1:" .. port .. "/"))
      srv = helper.start_server()
      B = "http://127.0.0.1:" .. srv.port
      assert.are.equal("dns", kind("http://no-such-host.invalid/"))
    end)

    it("timeout covers the whole request", function()
      local res = hs.get(B .. "/status/200?stall_ms=5000", { timeout = 0.3 })
      assert.are.equal("timeout", res.error.kind)
      assert.is_true(res.timing.total < 3)
    end)

    it("reset, incomplete_body, protocol, headers_too_large, body_too_large", function()
      assert.are.equal("reset", kind(B .. "/status/200?reset=headers"))
      assert.are.equal("reset", kind(B .. "/status/200?reset=body&bytes=100000"))
      assert.are.equal("incomplete_body", kind(B .. "/status/200?close=body&bytes=100000"))
      assert.are.equal("protocol", kind(B .. "/status/200?garbage=1"))
      assert.are.equal("headers_too_large", kind(B .. "/status/200?big_headers=400"))
      local res = hs.get(B .. "/status/200?bytes=200000", { max_body = 1000 })
      assert.are.equal("body_too_large", res.error.kind)
      assert.are.equal(1000, #res.body)
      assert.are.equal(200, res.status)
    end)

    it("keeps the last response when the chain stops with an error", function()
      local res = hs.get(B .. "/redirect/3", { max_redirects = 1 })
      assert.are.equal(302, res.status)
      assert.is_not_nil(res.headers:get("Location"))
      assert.is_false(res.ok)
    end)
  end)

  describe("programmer errors raise, naming the argument", function()
    it("missing url", function()
      assert.has_error(function() hs.request {} end, "bad argument #1 to 'request' (missing option 'url')")
    end)
    it("wrong types", function()
      assert.error_matches(function() hs.request { url = 42 } end, "option 'url'")
      assert.error_matches(function() hs.request { url = B, timeout = "soon" } end, "timeout")
      assert.error_matches(function() hs.request { url = B, headers = 1 } end, "headers")
      assert.error_matches(function() hs.get(nil) end, "bad argument #1 to 'get'")
      assert.error_matches(function() hs.request "x" end, "table expected")
    end)
    it("unknown option names", function()
      assert.error_matches(function() hs.request { url = B, timout = 1 } end, "unknown option 'timout'")
      assert.error_matches(function() hs.request { url = B, retry = { attempt = 2 } } end, "unknown option 'retry.attempt'")
    end)
  end)
end)
