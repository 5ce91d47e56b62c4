-- The findings engine: every rule fires on the exchange it describes, names its evidence,
-- and stays silent on a correct one. Everything runs against the real test server on
-- 127.0.0.1 through the real libcurl (plus `openssl s_server` for the https cases).
local hs = require "httpstatus"
local helper = require "helper"

local enc = helper.encode

-- path .. "?" .. k=v&..., values encoded; pairs as { k, v } to keep order and repeats.
local function q(path, params)
  local parts = {}
  for _, kv in ipairs(params or {}) do parts[#parts + 1] = kv[1] .. "=" .. enc(kv[2]) end
  return #parts > 0 and (path .. "?" .. table.concat(parts, "&")) or path
end

local SEVERITIES = { info = true, warning = true, error = true }
local RULES = {}
for _, r in ipairs(hs.rules()) do RULES[r.id] = r end

local with_id, describe_findings = helper.findings_with, helper.findings_text

-- Every finding is well formed and carries its rule's severity.
local function check_shape(res)
  for _, f in ipairs(res.findings) do
    local rule = RULES[f.id]
    assert(rule, "finding with an unknown rule id: " .. tostring(f.id))
    assert.are.equal(rule.severity, f.severity)
    assert.is_string(f.message)
    assert.is_true(#f.message > 0)
    assert(f.hop == nil or (math.type(f.hop) == "integer" and f.hop >= 1 and f.hop <= #res.hops),
           "finding hop out of range: " .. tostring(f.hop))
  end
end

describe("findings", function()
  local srv, B, B2
  lazy_setup(function()
    srv = helper.start_server({ ports = 2 })
    B = "http://127.0.0.1:" .. srv.ports[1]
    B2 = "http://127.0.0.1:" .. srv.ports[2]
  end)
  lazy_teardown(function() if srv then srv:stop() end end)

  -- One request; retries off unless a case asks, so 429/503 answer at once.
  local function run(case)
    local opts = {}
    for k, v in pairs(case.opts or {}) do opts[k] = v end
    if opts.retry == nil then opts.retry = false end
    if opts.timeout == nil then opts.timeout = 10 end
    local url = case.url
    if type(url) == "function" then url = url() end
    opts.url = url:match("^https?:") and url or B .. url
    local res = hs.request(opts)
    check_shape(res)
    return res
  end

  -- Per rule: exchanges that trigger it (with words the message must contain) and
  -- correct exchanges that leave it silent.
  local CASES = {
    -- 1xx ---------------------------------------------------------------------------------
    ["interim-to-http10"] = {
      fires = { { url = q("/status/200", { { "interim", "100" } }), opts = { http_version = "1.0" },
                  says = { "100", "HTTP/1.0" } } },
      silent = { { url = "/status/200", opts = { http_version = "1.0" } },
                 { url = q("/status/200", { { "interim", "100" } }) } },
    },
    ["early-hints-without-link"] = {
      fires = { { url = q("/status/200", { { "interim", "103" } }), says = { "103", "Link" } } },
      silent = { { url = q("/status/200", { { "interim", "103\nLink:</style.css>; rel=preload; as=style" } }) } },
    },
    ["missing-upgrade"] = {
      fires = { { url = "/status/426", says = { "426", "Upgrade" } },
                { url = "/status/101", says = { "101", "Upgrade" } } },
      silent = { { url = q("/status/426", { { "h", "Upgrade:TLS/1.2, HTTP/1.1" } }) },
                 { url = q("/status/101", { { "h", "Upgrade:websocket" }, { "h", "Connection:Upgrade" } }),
                   opts = { headers = { { "Upgrade", "websocket" }, { "Connection", "Upgrade" } } } } },
    },
    ["unrequested-upgrade"] = {
      fires = { { url = q("/status/101", { { "h", "Upgrade:websocket" }, { "h", "Connection:Upgrade" } }),
                  says = { "101", "websocket", "no Upgrade" } } },
      silent = { { url = q("/status/101", { { "h", "Upgrade:websocket" }, { "h", "Connection:Upgrade" } }),
                   opts = { headers = { { "Upgrade", "websocket" }, { "Connection", "Upgrade" } } } } },
    },
    -- 2xx ---------------------------------------------------------------------------------
    ["created-without-location"] = {
      fires = { { url = "/status/201", opts = { method = "POST", body = "{}" }, says = { "201", "Location", "POST" } } },
      silent = { { url = q("/status/201", { { "h", "Location:/items/7" } }), opts = { method = "POST", body = "{}" } } },
    },
    ["accepted-for-processing"] = {
      fires = { { url = "/status/202", says = { "202", "no Location or Retry-After" } },
                { url = q("/status/202", { { "h", "Location:/queue/7" }, { "h", "Retry-After:10" } }),
                  says = { "/queue/7", "Retry-After: 10" } } },
      silent = { { url = "/status/200" } },
    },
    ["body-not-allowed"] = {
      fires = { { url = q("/status/204", { { "body", "hello" } }), says = { "204", "Content-Length: 5" } },
                { url = q("/status/205", { { "body", "hello" } }), says = { "205", "5 bytes" } } },
      silent = { { url = "/status/204" }, { url = q("/status/204", { { "h", "Content-Length:0" } }) },
                 { url = q("/status/205", { { "body", "" } }) },
                 { url = q("/status/304", { { "h", "Content-Length:1234" } }), opts = { headers = { ["If-None-Match"] = '"v1"' } } } },
    },
    ["missing-content-range"] = {
      fires = { { url = q("/status/206", { { "body", "abcdefg" } }), opts = { headers = { Range = "bytes=0-6" } },
                  says = { "206", "Content-Range" } } },
      silent = { { url = q("/status/206", { { "body", "abcdefg" }, { "h", "Content-Range:bytes 0-6/100" } }),
                   opts = { headers = { Range = "bytes=0-6" } } },
                 { url = q("/status/206", { { "h", "Content-Type:multipart/byteranges; boundary=x" } }),
                   opts = { headers = { Range = "bytes=0-1,5-6" } } } },
    },
    ["partial-content-without-range"] = {
      fires = { { url = q("/status/206", { { "body", "abcdefg" }, { "h", "Content-Range:bytes 0-6/100" } }),
                  says = { "206", "no Range", "bytes 0-6/100" } } },
      silent = { { url = q("/status/206", { { "body", "abcdefg" }, { "h", "Content-Range:bytes 0-6/100" } }),
                   opts = { headers = { Range = "bytes=0-6" } } } },
    },
    ["content-length-mismatch"] = {
      fires = { { url = q("/status/200", { { "len", "100" }, { "body", "short" }, { "close", "after" } }),
                  says = { "Content-Length: 100", "5 bytes" } } },
      silent = { { url = q("/status/200", { { "body", "hello" } }) },
                 { url = q("/status/200", { { "len", "100" } }), opts = { method = "HEAD" } },
                 { url = q("/status/200", { { "chunked", "1" } }) } },
    },
    -- 3xx ---------------------------------------------------------------------------------
    ["redirect-without-location"] = {
      fires = { { url = "/status/302", says = { "302", "Location" } },
                { url = q("/status/301", { { "h", "Location:http://[::1" } }), says = { "301", "http://[::1" } } },
      silent = { { url = "/redirect/1" }, { url = "/redirect/1", opts = { follow = false } } },
    },
    ["redirect-not-followed"] = {
      fires = { { url = "/status/300", says = { "300" } },
                { url = q("/status/305", { { "h", "Location:/elsewhere" } }), says = { "305" } } },
      silent = { { url = "/redirect/2" } },
    },
    ["method-changed-to-get"] = {
      fires = { { url = q("/redirect/1", { { "code", "302" } }), opts = { method = "POST", body = "a=1" },
                  says = { "302", "POST", "GET", "307" } },
                { url = q("/redirect/1", { { "code", "301" } }), opts = { method = "POST", body = "a=1" },
                  says = { "301", "308" } } },
      silent = { { url = q("/redirect/1", { { "code", "307" } }), opts = { method = "POST", body = "a=1" } },
                 { url = q("/redirect/1", { { "code", "303" } }), opts = { method = "POST", body = "a=1" } },
                 { url = q("/redirect/1", { { "code", "302" } }) } },
    },
    ["permanent-redirect"] = {
      fires = { { url = q("/redirect/1", { { "code", "301" } }), says = { "301", "/status/200" } },
                { url = q("/redirect/1", { { "code", "308" } }), opts = { follow = false }, says = { "308", "/status/200" } } },
      silent = { { url = q("/redirect/1", { { "code", "302" } }) }, { url = q("/redirect/1", { { "code", "307" } }) } },
    },
    ["cross-origin-redirect"] = {
      fires = { { url = function() return q("/to", { { "url", B2 .. "/status/200" } }) end,
                  opts = { headers = { Authorization = "Bearer secret-token" } },
                  says = { "another origin", "Authorization" }, says_not = { "secret-token" } } },
      silent = { { url = q("/redirect/1", { { "loc", "absolute" } }), opts = { headers = { Authorization = "Bearer x" } } } },
    },
    ["long-redirect-chain"] = {
      fires = { { url = "/redirect/6", says = { "6 redirects", "7 hops" } } },
      silent = { { url = "/redirect/5" } },
    },
    ["multiple-choices"] = {
      fires = { { url = q("/status/300", { { "h", "Link:</a>; rel=alternate, </b>; rel=alternate" }, { "h", "Location:/a" } }),
                  says = { "/a, /b", "prefers" } },
                { url = "/status/300", says = { "no choice" } } },
      silent = { { url = "/status/200" } },
    },
    ["not-modified-unconditional"] = {
      fires = { { url = "/status/304", says = { "304", "not conditional" } } },
      silent = { { url = "/status/304", opts = { headers = { ["If-None-Match"] = '"v1"' } } },
                 { url = "/status/304", opts = { headers = { ["If-Modified-Since"] = "Sun, 06 Nov 1994 08:49:37 GMT" } } } },
    },
    -- 4xx ---------------------------------------------------------------------------------
    ["missing-www-authenticate"] = {
      fires = { { url = "/status/401", says = { "401", "WWW-Authenticate" } } },
      silent = { { url = q("/status/401", { { "h", 'WWW-Authenticate:Basic realm="api"' } }) } },
    },
    ["missing-proxy-authenticate"] = {
      fires = { { url = "/status/407", says = { "407", "Proxy-Authenticate" } } },
      silent = { { url = q("/status/407", { { "h", 'Proxy-Authenticate:Basic realm="proxy"' } }) } },
    },
    ["auth-challenge"] = {
      fires = { { url = q("/status/401", { { "h", 'WWW-Authenticate:Basic realm="api", Bearer error="invalid_token"' } }),
                  opts = { headers = { Authorization = "Basic dXNlcjpwYXNz" } },
                  says = { "Basic", 'realm "api"', "Bearer", "Authorization sent was not accepted" },
                  says_not = { "dXNlcjpwYXNz" } },
                { url = q("/status/407", { { "h", 'Proxy-Authenticate:Negotiate' } }), says = { "407", "Negotiate" } } },
      silent = { { url = "/status/401" }, { url = "/status/200" } },
    },
    ["missing-allow"] = {
      fires = { { url = "/status/405", opts = { method = "DELETE" }, says = { "405", "Allow" } } },
      silent = { { url = q("/status/405", { { "h", "Allow:GET, HEAD" } }), opts = { method = "DELETE" } } },
    },
    ["allowed-methods"] = {
      fires = { { url = q("/status/405", { { "h", "Allow:GET, HEAD" } }), opts = { method = "DELETE" },
                  says = { "DELETE", "Allow: GET, HEAD" } } },
      silent = { { url = "/status/405", opts = { method = "DELETE" } }, { url = "/status/200" } },
    },
    ["content-too-large"] = {
      fires = { { url = "/status/413", opts = { method = "POST", body = "12345" }, says = { "413", "5 bytes", "not temporary" } },
                { url = q("/status/413", { { "h", "Retry-After:60" } }), opts = { method = "POST", body = "12345" },
                  says = { "Retry-After: 60", "temporary" } } },
      silent = { { url = "/status/200", opts = { method = "POST", body = "12345" } } },
    },
    ["range-not-satisfiable-without-content-range"] = {
      fires = { { url = "/status/416", opts = { headers = { Range = "bytes=500-" } }, says = { "416", "Content-Range", "bytes=500-" } } },
      silent = { { url = q("/status/416", { { "h", "Content-Range:bytes */100" } }), opts = { headers = { Range = "bytes=500-" } } } },
    },
    ["unavailable-for-legal-reasons"] = {
      fires = { { url = q("/status/451", { { "h", 'Link:<https://authority.example/>; rel="blocked-by"' } }),
                  says = { "451", "https://authority.example/", "blocked-by" } },
                { url = "/status/451", says = { "no Link" } } },
      silent = { { url = "/status/200" } },
    },
    -- 5xx ---------------------------------------------------------------------------------
    ["missing-retry-after"] = {
      fires = { { url = "/status/503", says = { "503", "Retry-After" } },
                { url = "/status/429", says = { "429" } } },
      silent = { { url = q("/status/503", { { "h", "Retry-After:120" } }) },
                 { url = q("/status/429", { { "h", "Retry-After:{date+60}" } }) } },
    },
    ["get-not-implemented"] = {
      fires = { { url = "/status/501", says = { "501", "GET" } },
                { url = "/status/501", opts = { method = "HEAD" }, says = { "HEAD" } } },
      silent = { { url = "/status/501", opts = { method = "PATCH", body = "x" } } },
    },
    ["http-version-not-supported"] = {
      fires = { { url = "/status/505", opts = { http_version = "1.1" }, says = { "505", "HTTP/1.1" } } },
      silent = { { url = "/status/200" } },
    },
    ["loop-detected"] = {
      fires = { { url = "/status/508", says = { "508" } } },
      silent = { { url = "/status/507" } },
    },
    -- any class ---------------------------------------------------------------------------
    ["status-out-of-range"] = {
      fires = { { url = "/status/999", says = { "999" } } },
      silent = { { url = "/status/599" } },
    },
    ["unknown-status"] = {
      fires = { { url = "/status/499", says = { "499", "400 Bad Request" } },
                { url = "/status/599", says = { "599", "500" } },
                { url = "/status/299", says = { "299", "200 OK" } } },
      silent = { { url = "/status/404" }, { url = "/status/418" } },
    },
    ["deprecated-status"] = {
      fires = { { url = "/status/305", says = { "305", "deprecated" } }, { url = "/status/306", says = { "306" } },
                { url = "/status/510", says = { "510" } } },
      silent = { { url = q("/redirect/1", { { "code", "307" } }) } },
    },
    ["experimental-status"] = {
      fires = { { url = "/status/425", says = { "425" } }, { url = "/status/402", says = { "402" } } },
      silent = { { url = "/status/403" } },
    },
    ["nonstandard-reason-phrase"] = {
      fires = { { url = q("/status/404", { { "reason", "Gone Fishing" } }), says = { "Gone Fishing", "Not Found" } },
                { url = q("/status/200", { { "interim", "100 Carry On" } }), says = { "Carry On", "Continue" } } },
      silent = { { url = q("/status/413", { { "reason", "Request Entity Too Large" } }) },
                 { url = q("/status/302", { { "reason", "Moved Temporarily" }, { "h", "Location:/status/200" } }) },
                 { url = q("/status/200", { { "noreason", "1" } }) },
                 { url = q("/status/200", { { "reason", "ok" } }) } },
    },
    ["missing-date"] = {
      fires = { { url = q("/status/200", { { "nodate", "1" } }), says = { "200", "Date" } } },
      silent = { { url = "/status/200" }, { url = q("/status/500", { { "nodate", "1" } }) } },
    },
    ["retry-after-invalid"] = {
      fires = { { url = q("/status/503", { { "h", "Retry-After:soon" } }), says = { '"soon"' } } },
      silent = { { url = q("/status/503", { { "h", "Retry-After:120" } }) },
                 { url = q("/status/503", { { "h", "Retry-After:{date+30}" } }) } },
    },
    ["retry-after-past"] = {
      fires = { { url = q("/status/503", { { "h", "Retry-After:{date-100}" } }), says = { "in the past" } } },
      silent = { { url = q("/status/503", { { "h", "Retry-After:{date+100}" } }) },
                 { url = q("/status/503", { { "h", "Retry-After:0" } }) } },
    },
    ["retry-after-given"] = {
      fires = { { url = q("/status/503", { { "h", "Retry-After:120" } }), says = { "503", "Retry-After: 120", "120 s" } },
                { url = q("/status/429", { { "h", "Retry-After:120" } }), opts = { retry = { attempts = 2, max_wait = 5 } },
                  says = { "retry budget" } },
                -- The 503 was retried away; its attempt still says what was waited.
                { url = q("/count/ra-given", { { "fail", "1" }, { "code", "503" }, { "h", "Retry-After:0" } }),
                  opts = { retry = { attempts = 2, jitter = false } }, says = { "try 1", "503", "waited 0 s" } } },
      silent = { { url = "/status/503" }, { url = "/status/200" },
                 { url = q("/count/ra-silent", { { "fail", "1" }, { "code", "503" } }),
                   opts = { retry = { attempts = 2, base = 0.01, jitter = false } } } },
    },
    ["heuristic-caching"] = {
      fires = { { url = "/status/404", says = { "404", "Cache-Control" } },
                { url = q("/redirect/1", { { "code", "301" } }), says = { "301" } } },
      silent = { { url = q("/status/404", { { "h", "Cache-Control:no-store" } }) },
                 { url = q("/status/410", { { "h", "Cache-Control:max-age=3600" } }) },
                 { url = q("/status/404", { { "h", "Expires:{date+60}" } }) },
                 { url = "/status/200" } },
    },
    ["duplicate-content-length"] = {
      fires = { { url = q("/status/200", { { "h", "Content-Length:3" }, { "h", "Content-Length:7" } }), says = { "3, 7" } },
                { url = q("/status/200", { { "h", "Content-Length:7, 9" } }), says = { "7, 9" } } },
      silent = { { url = q("/status/200", { { "h", "Content-Length:7" }, { "h", "Content-Length:7" } }) },
                 { url = q("/status/200", { { "h", "Content-Length:7, 7" } }) } },
    },
    ["content-length-with-transfer-encoding"] = {
      fires = { { url = q("/status/200", { { "chunked", "1" }, { "h", "Content-Length:3" } }),
                  says = { "Content-Length: 3", "chunked" } } },
      silent = { { url = q("/status/200", { { "chunked", "1" } }) } },
    },
    ["tls-not-verified"] = {
      -- Port 1 refuses at once: the finding is about the request, not the server.
      fires = { { url = "https://127.0.0.1:1/", opts = { verify = false, connect_timeout = 2 }, says = { "verify" } } },
      silent = { { url = "https://127.0.0.1:1/", opts = { connect_timeout = 2 } },
                 { url = "/status/200", opts = { verify = false } } },
    },
    -- https-downgrade needs an https server: see the block with openssl below.
  }

  local function check_fires(id, case)
    local res = run(case)
    local found = with_id(res, id)
    assert(#found > 0, id .. " did not fire on " .. res.hops[1].url .. "; findings: " .. describe_findings(res))
    local text = {}
    for _, f in ipairs(found) do text[#text + 1] = f.message end
    text = table.concat(text, "\n")
    for _, word in ipairs(case.says or {}) do
      assert(text:find(word, 1, true), id .. ": message does not name " .. word .. ": " .. text)
    end
    for _, word in ipairs(case.says_not or {}) do
      assert(not text:find(word, 1, true), id .. ": message shows " .. word .. ": " .. text)
    end
    return res, found
  end

  local function check_silent(id, case)
    local res = run(case)
    local found = with_id(res, id)
    assert(#found == 0, id .. " fired on a correct exchange (" .. tostring(res.hops[1] and res.hops[1].url)
           .. "): " .. describe_findings(res))
  end

  local ids = {}
  for id in pairs(CASES) do ids[#ids + 1] = id end
  table.sort(ids)
  for _, id in ipairs(ids) do
    describe(id, function()
      for n, case in ipairs(CASES[id].fires) do
        it("fires (" .. n .. ")", function() check_fires(id, case) end)
      end
      for n, case in ipairs(CASES[id].silent) do
        it("is silent on a correct exchange (" .. n .. ")", function() check_silent(id, case) end)
      end
    end)
  end

  describe("details", function()
    it("names the hop a finding concerns", function()
      local res = run({ url = q("/redirect/1", { { "code", "301" }, { "final", "/status/404" } }) })
      assert.are.equal(404, res.status)
      assert.are.equal(1, with_id(res, "permanent-redirect")[1].hop)
      for _, f in ipairs(with_id(res, "heuristic-caching")) do assert.is_true(f.hop == 1 or f.hop == 2) end
      assert.are.equal(2, #with_id(res, "heuristic-caching"))
    end)

    it("gives a whole-chain finding no hop", function()
      local res = run({ url = "/redirect/6" })
      assert.is_nil(with_id(res, "long-redirect-chain")[1].hop)
    end)

    it("says whether a Retry-After on a redirect was waited for", function()
      local res = run({ url = q("/redirect/1", { { "h", "Retry-After:0" } }) })
      assert.are.equal(200, res.status)
      res = run({ url = q("/redirect/1", { { "h", "Retry-After:1" } }) })
      local f = with_id(res, "retry-after-given")[1]
      assert.is_truthy(f and f.message:find("waited", 1, true), describe_findings(res))
      assert.are.equal(1, f.hop)
    end)
  end)

  describe("a correct, ordinary exchange", function()
    local function no_warnings(res)
      for _, f in ipairs(res.findings) do
        assert(f.severity == "info", "unexpected " .. f.severity .. ": " .. f.id .. ": " .. f.message)
      end
    end

    it("a plain 200 yields no finding at all", function()
      local res = run({ url = "/status/200" })
      assert.are.equal(200, res.status)
      assert.are.same({}, res.findings, describe_findings(res))
    end)

    it("a 200 shaped like nginx's yields no finding", function()
      local res = run({ url = q("/status/200", {
        { "h", "Server:nginx/1.24.0" }, { "h", "Content-Type:text/html" },
        { "h", "Last-Modified:{date-86400}" }, { "h", "Connection:keep-alive" },
        { "h", 'ETag:"6650a1b2-267"' }, { "h", "Accept-Ranges:bytes" }, { "body", "<!DOCTYPE html>\n" } }) })
      assert.are.same({}, res.findings, describe_findings(res))
    end)

    it("a 200 shaped like Python's http.server (HTTP/1.0) yields no finding", function()
      local res = run({ url = q("/status/200", {
        { "version", "HTTP/1.0" }, { "h", "Server:SimpleHTTP/0.6 Python/3.11.2" }, { "notype", "1" },
        { "h", "Content-type:text/html; charset=utf-8" }, { "h", "Last-Modified:{date-60}" },
        { "body", "<html></html>\n" } }) })
      assert.are.equal("1.0", res.http_version)
      assert.are.same({}, res.findings, describe_findings(res))
    end)

    it("a HEAD, a POST, a 100-continue upload, a 103 with Link yield no finding", function()
      for _, case in ipairs({
        { url = "/status/200", opts = { method = "HEAD" } },
        { url = "/echo", opts = { method = "POST", body = "a=1" } },
        { url = "/echo", opts = { method = "PUT", body = string.rep("x", 4096), expect_continue = "always" } },
        { url = q("/status/200", { { "interim", "103\nLink:</app.js>; rel=preload; as=script" } }) },
      }) do
        local res = run(case)
        assert.are.equal(200, res.status)
        assert.are.same({}, res.findings, describe_findings(res))
      end
    end)

    it("an ordinary redirect, a conditional 304, a 404 with no-store: no warning or error", function()
      for _, case in ipairs({
        { url = "/redirect/2" },
        { url = q("/redirect/1", { { "code", "303" } }), opts = { method = "POST", body = "a=1" } },
        { url = "/status/304", opts = { headers = { ["If-None-Match"] = '"v1"' } } },
        { url = q("/status/404", { { "h", "Cache-Control:no-store" } }) },
      }) do
        no_warnings(run(case))
      end
    end)
  end)

  describe("https", function()
    local tls, dir, pipe, pid
    local has_openssl = os.execute("command -v openssl >/dev/null 2>&1")

    lazy_setup(function()
      if not has_openssl then return end
      dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p " .. dir))
      assert(os.execute("cd " .. dir .. " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
        .. " -nodes -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -days 2"
        .. " -keyout key.pem -out cert.pem >/dev/null 2>&1"))
      -- s_server -HTTP serves files that hold a whole response, head and all.
      local f = assert(io.open(dir .. "/down", "wb"))
      f:write("HTTP/1.0 302 Found\r\nDate: " .. os.date("!%a, %d %b %Y %H:%M:%S GMT") .. "\r\nLocation: "
              .. B .. "/status/200\r\nContent-Length: 0\r\n\r\n")
      f:close()
      f = assert(io.open(dir .. "/up", "wb"))
      f:write("HTTP/1.0 302 Found\r\nDate: " .. os.date("!%a, %d %b %Y %H:%M:%S GMT")
              .. "\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n")
      f:close()
      f = assert(io.open(dir .. "/ok", "wb"))
      f:write("HTTP/1.0 200 OK\r\nDate: " .. os.date("!%a, %d %b %Y %H:%M:%S GMT")
              .. "\r\nContent-Length: 3\r\n\r\nok\n")
      f:close()
      pipe = assert(io.popen("cd " .. dir .. " && echo $$ && exec openssl s_server -accept 127.0.0.1:0"
        .. " -cert cert.pem -key key.pem -HTTP 2>&1", "r"))
      pid = pipe:read("n")
      for line in pipe:lines() do
        local port = line:match("^ACCEPT .*:(%d+)$")
        if port then tls = "https://127.0.0.1:" .. port; break end
      end
      assert(tls, "openssl s_server did not start")
    end)

    lazy_teardown(function()
      if pid then os.execute("kill " .. math.tointeger(pid) .. " 2>/dev/null") end
      if pipe then pipe:close() end
      if dir then os.execute("rm -rf " .. dir) end
    end)

    local function tls_run(path, opts)
      opts = opts or {}
      opts.ca_file = dir .. "/cert.pem"
      return run({ url = tls .. path, opts = opts })
    end

    it("https-downgrade fires when a redirect leaves https, refused or followed", function()
      if not has_openssl then pending("openssl is not installed") return end
      local res = tls_run("/down")
      assert.are.equal("downgrade_refused", res.error and res.error.kind)
      local f = with_id(res, "https-downgrade")
      assert.are.equal(1, #f, describe_findings(res))
      assert.is_truthy(f[1].message:find("refused", 1, true))
      assert.is_truthy(f[1].message:find(B .. "/status/200", 1, true))
      res = tls_run("/down", { allow_downgrade = true })
      assert.are.equal(200, res.status)
      f = with_id(res, "https-downgrade")
      assert.are.equal(1, #f, describe_findings(res))
      assert.is_truthy(f[1].message:find("allow_downgrade", 1, true))
    end)

    it("https-downgrade is silent on a redirect that stays on https", function()
      if not has_openssl then pending("openssl is not installed") return end
      local res = tls_run("/up")
      assert.are.equal(200, res.status)
      assert.are.same({}, with_id(res, "https-downgrade"))
    end)

    it("tls-not-verified fires with verify = false, and a verified exchange is silent", function()
      if not has_openssl then pending("openssl is not installed") return end
      local res = run({ url = tls .. "/ok", opts = { verify = false } })
      assert.are.equal(200, res.status)
      assert.are.equal(1, #with_id(res, "tls-not-verified"))
      res = tls_run("/ok")
      assert.are.equal(200, res.status)
      assert.are.same({}, res.findings, describe_findings(res))
    end)
  end)

  describe("hs.rules()", function()
    it("lists every rule with id, severity, summary and spec", function()
      local rules = hs.rules()
      assert.is_true(#rules >= 30)
      local seen = {}
      for _, r in ipairs(rules) do
        assert.is_string(r.id)
        assert(r.id:match("^[a-z][a-z0-9%-]*[a-z0-9]$") and not r.id:find("--", 1, true),
               "not kebab-case: " .. r.id)
        assert(not seen[r.id], "duplicate rule id " .. r.id)
        seen[r.id] = true
        assert(SEVERITIES[r.severity], r.id .. ": bad severity " .. tostring(r.severity))
        assert.is_string(r.summary)
        assert.is_true(#r.summary > 0)
        assert.is_string(r.spec)
        assert(r.spec:match("RFC %d+"), r.id .. ": spec names no RFC: " .. r.spec)
      end
    end)

    it("keeps the ids that shipped first", function()
      for _, id in ipairs({ "status-out-of-range", "redirect-without-location", "redirect-not-followed",
                            "https-downgrade", "tls-not-verified", "retry-after-invalid", "missing-retry-after" }) do
        assert(RULES[id], "rule " .. id .. " is gone")
      end
    end)

    it("has a spec that triggers each rule and one that shows it silent", function()
      for id in pairs(RULES) do
        if id ~= "https-downgrade" then
          assert(CASES[id], "no cases for rule " .. id)
          assert(#CASES[id].fires > 0 and #CASES[id].silent > 0, "rule " .. id .. " lacks a case")
        end
      end
      for id in pairs(CASES) do assert(RULES[id], "cases for a rule that does not exist: " .. id) end
    end)

    it("has a row in docs/findings.md for each rule, with its severity", function()
      local f = assert(io.open((os.getenv("HS_SOURCE_DIR") or ".") .. "/docs/findings.md"))
      local doc = f:read("a")
      f:close()
      for id, r in pairs(RULES) do
        local sev = doc:match("\n| `" .. id:gsub("%-", "%%-") .. "` | (%a+) |")
        assert(sev, "docs/findings.md has no row for " .. id)
        assert.are.equal(r.severity, sev)
      end
    end)
  end)
end)
