-- https: res.tls (certificate subject, issuer, expiry, days left, version, cipher, verified),
-- verification on and off, ca_file, and the https -> http downgrade rules. Everything runs
-- through the real libcurl against hs_tlsrelay (TLS in front of the plain test server),
-- with certificates that support/tls.lua makes with the openssl command at run time.
local hs = require "httpstatus"
local helper = require "helper"
local tls = require "support.tls"

local with_id, findings_text = helper.findings_with, helper.findings_text

local function error_text(res)
  return res.error and (res.error.kind .. ": " .. tostring(res.error.message)) or "no error"
end

describe("https", function()
  local srv, relay
  lazy_setup(function()
    srv = helper.start_server()
    relay = tls.start(srv.port, { days = 30, cn = "hs-relay.test" })
  end)
  lazy_teardown(function()
    if relay then relay:stop() end
    if srv then srv:stop() end
  end)

  local function get(path, opts)
    opts = opts or {}
    opts.url = relay:url(path)
    if opts.retry == nil then opts.retry = false end
    if opts.timeout == nil then opts.timeout = 10 end
    return hs.request(opts)
  end

  describe("res.tls", function()
    it("is there for a reused connection too, and in the JSON", function()
      local c = hs.client { concurrency = 1, ca_file = relay.ca_file, retry = false }
      local r = c:run_all { relay:url("/status/200"), relay:url("/status/204") }
      c:close()
      assert.is_true(r[2].timing.reused, "the second request reused the connection")
      assert.is_table(r[2].tls)
      assert.are.equal(r[1].tls.subject, r[2].tls.subject)
      assert.are.equal(r[1].tls.not_after, r[2].tls.not_after)
      assert.is_true(r[2].tls.verified)
      local j = require("cjson").decode(r[2]:to_json())
      assert.are.equal(r[1].tls.subject, j.tls.subject)
      assert.is_true(j.tls.verified)
    end)

    it("describes the certificate and the connection, verified with ca_file", function()
      local res = get("/status/200", { ca_file = relay.ca_file })
      assert.is_nil(res.error, error_text(res))
      assert.are.equal(200, res.status)
      assert.is_true(res.ok)
      local t = res.tls
      assert.is_table(t)
      assert.is_truthy(t.subject:find("hs-relay.test", 1, true), t.subject)
      assert.is_truthy(t.issuer:find(relay.ca_cn, 1, true), t.issuer)
      assert.is_falsy(t.issuer:find("hs-relay.test", 1, true))
      assert.are.equal("number", type(t.not_after))
      -- issued just now for 30 days: 29 full days and some hours left (30 on a slow clock tick)
      assert.are.equal("integer", math.type(t.days_left))
      assert.is_true(t.days_left == relay.cert_days - 1 or t.days_left == relay.cert_days,
                     "days_left " .. tostring(t.days_left))
      local expect = os.time() + relay.cert_days * 86400
      assert.is_true(math.abs(t.not_after - expect) < 300, "not_after " .. tostring(t.not_after))
      assert.is_true(t.verified)
      assert.is_string(t.version)
      assert.is_truthy(t.version:match("^TLSv1%.[23]$"), t.version)
      assert.is_string(t.cipher)
      assert.is_truthy(t.cipher:match("^[%w_%-]+$"), t.cipher)
      assert.are.same({}, with_id(res, "tls-not-verified"))
    end)

    it("is nil for plain http", function()
      local res = hs.request{ url = srv:url("/status/200"), retry = false }
      assert.are.equal(200, res.status)
      assert.is_nil(res.tls)
    end)

    it("leaves tostring and explain working on an https result", function()
      local res = get("/status/200", { ca_file = relay.ca_file })
      assert.is_string(tostring(res))
      assert.is_string(hs.explain(res))
    end)
  end)

  describe("verification", function()
    it("fails with error kind tls when the certificate is not trusted (no ca_file)", function()
      -- Our CA is in no system store, so verification fails in the handshake.
      local res = get("/status/200")
      assert.is_table(res.error)
      assert.are.equal("tls", res.error.kind, error_text(res))
      assert.is_nil(res.status)
      assert.is_false(res.ok)
      assert.is_string(res.error.message)
      assert.is_true(#res.error.message > 0)
    end)

    it("fails with error kind tls when ca_file is another CA", function()
      local other = tls.new_ca({ cn = "some other CA" })
      finally(function() other:stop() end)
      local res = get("/status/200", { ca_file = other.cert })
      assert.are.equal("tls", res.error and res.error.kind, error_text(res))
    end)

    it("works with verify = false, reporting verified = false and tls-not-verified", function()
      local res = get("/status/200", { verify = false })
      assert.is_nil(res.error, error_text(res))
      assert.are.equal(200, res.status)
      assert.is_table(res.tls)
      assert.is_false(res.tls.verified)
      assert.is_truthy(res.tls.subject:find("hs-relay.test", 1, true))
      assert.are.equal("number", type(res.tls.not_after))
      local f = with_id(res, "tls-not-verified")
      assert.are.equal(1, #f, findings_text(res))
      assert.are.equal("warning", f[1].severity)
    end)

    it("is set again on a pooled handle: verify off, on, off on one client", function()
      -- One handle serves every request (concurrency 1); its verify options must follow
      -- each request's, and its debug output must come back for https after plain http.
      local c = hs.client { concurrency = 1, retry = false, timeout = 10 }
      local function one(url, opts)
        opts = opts or {}
        opts.url = url
        local h = c:add(opts)
        c:run()
        return h:result()
      end
      local plain = "http://127.0.0.1:" .. srv.port .. "/status/200"
      assert.are.equal(200, one(plain).status) -- the handle starts without debug output
      local first = one(relay:url("/status/200"), { verify = false })
      assert.are.equal(200, first.status, error_text(first))
      assert.is_string(first.tls.version)
      assert.is_string(first.hops[1].request_headers:get("Host"))
      local strict = one(relay:url("/status/200"))
      assert.are.equal("tls", strict.error and strict.error.kind, error_text(strict))
      local r = one(relay:url("/status/204"), { verify = false })
      assert.are.equal(204, r.status, error_text(r))
      assert.is_false(r.tls.verified)
      assert.are.equal(200, one(plain).status)
      local again = one(relay:url("/status/200"), { verify = false })
      assert.are.equal(200, again.status, error_text(again))
      assert.is_string(again.tls.version)
      assert.is_string(again.hops[1].request_headers:get("Host"))
      local last = one(plain)
      assert.are.equal("127.0.0.1:" .. srv.port, last.hops[1].request_headers:get("Host"))
      c:close()
    end)

    it("verify = false with ca_file still says verified = false", function()
      local res = get("/status/200", { verify = false, ca_file = relay.ca_file })
      assert.are.equal(200, res.status)
      assert.is_false(res.tls.verified)
      assert.are.equal(1, #with_id(res, "tls-not-verified"))
    end)
  end)

  describe("an expired certificate", function()
    local old
    lazy_setup(function() old = tls.start(srv.port, { days = -1, cn = "expired.test" }) end)
    lazy_teardown(function() if old then old:stop() end end)

    it("fails verification with error kind tls, even with the right ca_file", function()
      local res = hs.request{ url = old:url("/status/200"), ca_file = old.ca_file, retry = false }
      assert.are.equal("tls", res.error and res.error.kind, error_text(res))
      assert.is_truthy(res.error.message:lower():find("expired", 1, true), res.error.message)
    end)

    it("has negative days_left when not verified", function()
      local res = hs.request{ url = old:url("/status/200"), verify = false, retry = false }
      assert.are.equal(200, res.status)
      -- expired a day ago (and maybe a second): -1 or -2 whole days, rounded down
      assert.is_true(res.tls.days_left == -1 or res.tls.days_left == -2,
                     "days_left " .. tostring(res.tls.days_left))
      assert.is_true(res.tls.not_after < os.time())
      assert.is_false(res.tls.verified)
    end)
  end)

  describe("redirects from https to http", function()
    local function down_path()
      return "/to" .. helper.qs{ url = srv:url("/status/200") }
    end

    it("are refused by default: downgrade_refused, the 302 kept, one hop, a finding", function()
      hs.request{ url = srv:url("/log/reset"), retry = false }
      local res = get(down_path(), { ca_file = relay.ca_file })
      assert.is_table(res.error)
      assert.are.equal("downgrade_refused", res.error.kind, error_text(res))
      assert.are.equal(302, res.status)
      assert.is_false(res.ok)
      assert.are.equal(1, #res.hops)
      assert.are.equal(srv:url("/status/200"), res.hops[1].location)
      assert.is_table(res.tls)
      assert.is_true(res.tls.verified)
      local f = with_id(res, "https-downgrade")
      assert.are.equal(1, #f, findings_text(res))
      assert.are.equal(1, f[1].hop)
      -- nothing went to the http target: the server saw the /to (through the relay) only
      local log = hs.request{ url = srv:url("/log"), retry = false }
      assert.is_truthy(log.body:find('"path":"/to', 1, true), log.body)
      assert.is_falsy(log.body:find('"path":"/status/200', 1, true), log.body)
    end)

    it("are followed with allow_downgrade = true, and the finding stays", function()
      local res = get(down_path(), { ca_file = relay.ca_file, allow_downgrade = true })
      assert.is_nil(res.error, error_text(res))
      assert.are.equal(200, res.status)
      assert.are.equal(2, #res.hops)
      assert.are.equal(302, res.hops[1].status)
      assert.are.equal(srv:url("/status/200"), res.hops[2].url)
      assert.are.equal(srv:url("/status/200"), res.url)
      -- the https hop's certificate is still reported
      assert.is_table(res.tls)
      assert.is_truthy(res.tls.subject:find("hs-relay.test", 1, true))
      local f = with_id(res, "https-downgrade")
      assert.are.equal(1, #f, findings_text(res))
      assert.are.equal(1, f[1].hop)
    end)

    it("stay quiet when the redirect stays on https", function()
      local res = get("/redirect/1", { ca_file = relay.ca_file })
      assert.is_nil(res.error, error_text(res))
      assert.are.equal(200, res.status)
      assert.are.equal(2, #res.hops)
      assert.is_truthy(res.url:match("^https://"), res.url)
      assert.are.same({}, with_id(res, "https-downgrade"))
    end)
  end)

  describe("across https hops", function()
    local ca, short, long
    lazy_setup(function()
      ca = tls.new_ca()
      long = tls.start(srv.port, { ca = ca, days = 60, cn = "long.test" })
      short = tls.start(srv.port, { ca = ca, days = 10, cn = "short.test" })
    end)
    lazy_teardown(function()
      if short then short:stop() end
      if long then long:stop() end
      if ca then ca:stop() end
    end)

    local function chain(first, second)
      return hs.request{
        url = first:url("/to" .. helper.qs{ url = second:url("/status/200") }),
        ca_file = ca.cert, retry = false, timeout = 10,
      }
    end

    it("res.tls reports the earliest expiry, whichever hop it is on", function()
      for _, order in ipairs({ { long, short }, { short, long } }) do
        local res = chain(order[1], order[2])
        assert.is_nil(res.error, error_text(res))
        assert.are.equal(200, res.status)
        assert.are.equal(2, #res.hops)
        assert.is_truthy(res.tls.days_left == 9 or res.tls.days_left == 10,
                         "days_left " .. tostring(res.tls.days_left))
        assert.is_truthy(res.tls.subject:find("short.test", 1, true), res.tls.subject)
        assert.is_true(res.tls.verified)
        assert.are.same({}, with_id(res, "https-downgrade"))
      end
    end)
  end)
end)
