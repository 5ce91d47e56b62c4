-- Health checks: require("httpstatus.check").run and `httpstatus check FILE`. Every
-- expectation passes and fails against the real test server; states, defaults, ignore and
-- skip; each output format parsed or checked for structure; the command's exit codes.
require "httpstatus"   -- registers the compiled-in Lua modules (httpstatus.check among them)
local check = require "httpstatus.check"
local helper = require "helper"
local cjson = require "cjson"
local tls = require "support.tls"

local enc = helper.encode
local CLI = os.getenv("HS_CLI") or "build/httpstatus"

local seq = 0
local function key(prefix)
  seq = seq + 1
  return (prefix or "k") .. os.time() .. "x" .. seq
end

-- One check, run alone: its outcome.
local function run1(c, opts)
  local out = check.run({ c }, opts)
  assert.are.equal(1, #out)
  return out[1]
end

local function text(o) return table.concat(o.failures, "; ") end

local function assert_up(o)
  assert.are.equal("up", o.state, o.name .. ": " .. text(o) .. " " .. table.concat(o.degraded, ", "))
  assert.is_true(o.passed)
end

-- Down, with a failure containing `says` (plain text).
local function assert_down(o, says)
  assert.are.equal("down", o.state, o.name .. " should be down")
  assert.is_false(o.passed)
  if says then
    assert.is_truthy(text(o):find(says, 1, true), "failures: " .. text(o) .. "\nexpected to contain: " .. says)
  end
end

-- The error run() raises, as text.
local function run_error(list)
  local ok, err = pcall(check.run, list)
  assert.is_false(ok, "run should have raised")
  return tostring(err)
end

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(content)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
  return path
end

-- Runs the built command: exit code, stdout, stderr.
local function cli(args, base)
  local out, err = os.tmpname(), os.tmpname()
  local q = {}
  for i, a in ipairs(args) do q[i] = sh_quote(a) end
  local cmd = string.format("HS_BASE_URL=%s %s %s >%s 2>%s", sh_quote(base or ""), sh_quote(CLI),
    table.concat(q, " "), sh_quote(out), sh_quote(err))
  local _, how, code = os.execute(cmd)
  local stdout, stderr = slurp(out), slurp(err)
  os.remove(out)
  os.remove(err)
  assert.are.equal("exit", how, "the command was killed: " .. cmd)
  return code, stdout, stderr
end

describe("httpstatus.check", function()
  local srv = helper.use_server()

  describe("expectations", function()
    it("status: one code, or a list", function()
      assert_up(run1 { name = "ok", url = srv:url("/status/200"), expect = { status = 200 } })
      assert_down(run1 { name = "500", url = srv:url("/status/500"), retry = false, expect = { status = 200 } },
        "status 500, expected 200")
      assert_up(run1 { name = "moved", url = srv:url("/redirect/1?code=308"), follow = false,
                       expect = { status = { 301, 308 } } })
      assert_down(run1 { name = "found", url = srv:url("/redirect/1?code=302"), follow = false,
                         expect = { status = { 301, 308 } } }, "status 302, expected one of 301, 308")
    end)

    it("class", function()
      assert_up(run1 { name = "404", url = srv:url("/status/404"), expect = { class = "client_error" } })
      assert_down(run1 { name = "404", url = srv:url("/status/404"), expect = { class = "success" } },
        "status 404 is client_error, expected success")
    end)

    it("with no status or class, expects class success", function()
      assert_up(run1 { name = "204", url = srv:url("/status/204") })
      assert_down(run1 { name = "404", url = srv:url("/status/404") }, "expected success")
      assert_down(run1 { name = "301", url = srv:url("/redirect/1?code=301"), follow = false }, "is redirection")
    end)

    it("max_ms, against timing.total", function()
      local o = run1 { name = "slow", url = srv:url("/status/200?stall_ms=150"), expect = { max_ms = 50 } }
      assert_down(o, "expected at most 50 ms")
      assert.is_true(o.ms >= 150, tostring(o.ms))
      assert_up(run1 { name = "fast enough", url = srv:url("/status/200?stall_ms=20"), expect = { max_ms = 5000 } })
    end)

    it("body: a plain substring", function()
      local url = srv:url("/status/200?body=" .. enc("hello world (v1.2)"))
      assert_up(run1 { name = "b", url = url, expect = { body = "world (v1.2)" } })
      assert_down(run1 { name = "b", url = url, expect = { body = "goodbye" } }, 'body does not contain "goodbye"')
      -- plain: pattern characters are literal
      assert_down(run1 { name = "b", url = url, expect = { body = "w.rld" } }, "body does not contain")
    end)

    it("body_match: a Lua pattern", function()
      local url = srv:url("/status/200?body=" .. enc("hello world 42"))
      assert_up(run1 { name = "m", url = url, expect = { body_match = "^hello%s+w.-%d+$" } })
      assert_down(run1 { name = "m", url = url, expect = { body_match = "^world" } }, 'body does not match "^world"')
    end)

    it("header: name (any case) -> substring of any value, the value case-sensitive", function()
      local url = srv:url("/status/200" .. helper.qs { h = { "X-Api:Version-2", "X-Multi:one", "X-Multi:two" } })
      assert_up(run1 { name = "h", url = url, expect = { header = { ["x-api"] = "Version", ["X-MULTI"] = "two" } } })
      assert_down(run1 { name = "h", url = url, expect = { header = { ["X-Api"] = "version" } } },
        'header X-Api is "Version-2", expected one containing "version"')
      assert_down(run1 { name = "h", url = url, expect = { header = { ["X-Missing"] = "x" } } },
        "header X-Missing missing")
    end)

    it("json: a JSONPath subset -> value", function()
      local c = { name = "j", url = srv:url("/echo"), method = "POST", body = "abc" }
      c.expect = { json = { ["$.method"] = "POST", ["$.body_len"] = 3, ["$.chunked"] = false,
                            ["$.headers[0][0]"] = "Host", ["$['path']"] = "/echo", ["$.headers[-1][0]"] = "Content-Type",
                            ["$.trailers"] = {} } }
      assert_up(run1(c))
      c.expect = { json = { ["$.method"] = "GET" } }
      assert_down(run1(c), 'json $.method is "POST", expected "GET"')
      c.expect = { json = { ["$.nope.deeper"] = 1 } }
      assert_down(run1(c), "json $.nope.deeper missing")
      c.expect = { json = { ["$.headers[99]"] = 1 } }
      assert_down(run1(c), "json $.headers[99] missing")
      assert_down(run1 { name = "text", url = srv:url("/status/200"), expect = { json = { ["$.a"] = 1 } } },
        "body is not JSON")
    end)

    it("location: of the last response that sent one, raw or resolved", function()
      local moved = srv:url("/redirect/1?code=301&final=/v2/docs")
      assert_up(run1 { name = "l", url = moved, follow = false, expect = { status = 301, location = "/v2/docs" } })
      assert_up(run1 { name = "l", url = moved, follow = false,
                       expect = { status = 301, location = srv:url("/v2/docs") } })
      assert_down(run1 { name = "l", url = moved, follow = false, expect = { status = 301, location = "/v3/docs" } },
        'Location "/v2/docs", expected "/v3/docs"')
      -- followed: the last redirect's target
      assert_up(run1 { name = "l", url = srv:url("/redirect/2"), expect = { location = "/status/200" } })
      assert_down(run1 { name = "l", url = srv:url("/status/200"), expect = { location = "/x" } }, "no Location")
    end)

    it("redirects: at most N", function()
      assert_up(run1 { name = "r", url = srv:url("/redirect/2"), expect = { redirects = 2 } })
      assert_up(run1 { name = "r", url = srv:url("/status/200"), expect = { redirects = 0 } })
      assert_down(run1 { name = "r", url = srv:url("/redirect/2"), expect = { redirects = 1 } },
        "2 redirects, expected at most 1")
    end)

    it("https_only and cert_days fail on plain http", function()
      assert_down(run1 { name = "t", url = srv:url("/status/200"), expect = { https_only = true } },
        "hop 1 is not https")
      assert_down(run1 { name = "t", url = srv:url("/status/200"), expect = { cert_days = 1 } },
        "no TLS certificate")
    end)

    describe("over https", function()
      local relay
      lazy_setup(function() relay = tls.start(srv.port, { days = 30 }) end)
      lazy_teardown(function() if relay then relay:stop() end end)

      it("https_only: every hop https", function()
        local o = run1 { name = "s", url = relay:url("/redirect/1"), ca_file = relay.ca_file,
                         expect = { https_only = true } }
        assert_up(o)
        assert.are.equal(1, o.redirects)
        local down = srv:url("/status/200")
        assert_down(run1 { name = "s", url = relay:url("/to?url=" .. enc(down)), ca_file = relay.ca_file,
                           allow_downgrade = true, expect = { https_only = true } }, "hop 2 is not https")
      end)

      it("cert_days: the certificate valid at least N more days", function()
        local o = run1 { name = "c", url = relay:url("/status/200"), ca_file = relay.ca_file,
                         expect = { cert_days = 7 } }
        assert_up(o)
        assert.is_true(o.cert_days_left >= 29, tostring(o.cert_days_left))
        assert_down(run1 { name = "c", url = relay:url("/status/200"), ca_file = relay.ca_file,
                           expect = { cert_days = 60 } }, "expected at least 60")
      end)
    end)

    it("max_severity: no finding above it", function()
      -- a 405 without Allow: a warning finding (missing-allow)
      local url = srv:url("/status/405")
      assert_down(run1 { name = "s", url = url, method = "DELETE", expect = { status = 405, max_severity = "info" } },
        "findings above info: warning missing-allow")
      local o = run1 { name = "s", url = url, method = "DELETE", expect = { status = 405, max_severity = "warning" } }
      assert.are.equal("degraded", o.state)
    end)

    it("fn: ok, message; raising makes the check down", function()
      local url = srv:url("/status/200?body=ok")
      local seen = 0
      assert_up(run1 { name = "f", url = url, expect = { fn = function(res)
        seen = seen + 1
        return res.body == "ok", "body not ok"
      end } })
      assert.are.equal(1, seen)
      assert_down(run1 { name = "f", url = url, expect = { fn = function() return false, "no good" end } }, "no good")
      assert_down(run1 { name = "f", url = url, expect = { fn = function() end } }, "fn returned nil")
      local o = run1 { name = "f", url = url, expect = { fn = function() error("kaboom") end } }
      assert_down(o, "fn raised")
      assert.is_truthy(text(o):find("kaboom", 1, true))
      assert.is_true(o.raised)
    end)

    it("any error makes the check down, whatever it expected", function()
      local o = run1 { name = "refused", url = "http://127.0.0.1:1/", retry = false, expect = { class = "server_error" } }
      assert_down(o, "connect:")
      assert.are.equal("connect", o.error.kind)
      assert.is_nil(o.status)
      assert_down(run1 { name = "bad url", url = "ht tp://nope" }, "url:")
    end)
  end)

  describe("defaults", function()
    it("deep-merges: tables key by key, lists and values replace", function()
      local m = check.deep_merge({ a = { b = 1, c = { d = 2 } }, l = { 1, 2, 3 }, r = { attempts = 2 }, x = 1 },
                                 { a = { c = { e = 3 } }, l = { 9 }, r = false })
      assert.are.same({ a = { b = 1, c = { d = 2, e = 3 } }, l = { 9 }, r = false, x = 1 }, m)
    end)

    it("are merged into every check; the check's own values win", function()
      local out = check.run {
        defaults = { headers = { ["X-Team"] = "core" }, retry = { attempts = 1 },
                     expect = { status = 200, json = { ["$.method"] = "GET" } } },
        { name = "merged", url = srv:url("/echo"), headers = { ["X-Own"] = "yes" },
          expect = { json = { ["$.path"] = "/echo" }, fn = function(res)
            local b = cjson.decode(res.body)
            local names = {}
            for _, h in ipairs(b.headers) do names[h[1]] = h[2] end
            return names["X-Team"] == "core" and names["X-Own"] == "yes", "headers not merged: " .. res.body
          end } },
        { name = "inherits status", url = srv:url("/status/201?echo=1") },
        { name = "overrides", url = srv:url("/status/202?echo=1"), expect = { status = 202 } },
        { name = "request form", request = { url = srv:url("/echo"), method = "POST", body = "{}" },
          expect = { json = { ["$.method"] = "POST" } } },
      }
      assert_up(out[1])
      assert_down(out[2], "status 201, expected 200")
      assert_up(out[3])
      assert_up(out[4])
      assert.are.equal(1, #out[1].result.attempts)
    end)

    it("a defaults table must be a table, and a check may not give an option twice", function()
      assert.matches("'defaults' must be a table", run_error { defaults = 5 })
      local err = run_error { { name = "twice", url = srv:url("/"), request = { url = srv:url("/") } } }
      assert.is_truthy(err:find('check #1 "twice"', 1, true), err)
      assert.is_truthy(err:find("'url'", 1, true), err)
    end)
  end)

  describe("states", function()
    it("up, degraded after retries, down; degraded counts as passed", function()
      local k = key("deg")
      local out, summary = check.run {
        { name = "up", url = srv:url("/status/200") },
        { name = "retried", url = srv:url("/count/" .. k .. "?fail=1&code=503"),
          retry = { base = 0.01, jitter = false }, host_backoff = false },
        { name = "down", url = srv:url("/status/500"), retry = false },
      }
      assert_up(out[1])
      assert.are.equal("degraded", out[2].state, text(out[2]))
      assert.is_true(out[2].passed)
      assert.are.equal(1, out[2].retries)
      assert.are.equal("after 1 retry", out[2].degraded[1])
      assert_down(out[3], "status 500")
      assert.are.same({ total = 3, up = 1, degraded = 1, down = 1, skipped = 0, passed = 2, failed = 1 },
        { total = summary.total, up = summary.up, degraded = summary.degraded, down = summary.down,
          skipped = summary.skipped, passed = summary.passed, failed = summary.failed })
    end)

    it("degraded by a warning finding; ignore leaves it out of degraded and max_severity", function()
      local url = srv:url("/status/405")
      local o = run1 { name = "w", url = url, method = "DELETE", expect = { status = 405 } }
      assert.are.equal("degraded", o.state)
      assert.are.equal("warning missing-allow", o.degraded[1])
      o = run1 { name = "w", url = url, method = "DELETE", ignore = { "missing-allow" },
                 expect = { status = 405, max_severity = "info" } }
      assert_up(o)
      local ignored
      for _, f in ipairs(o.findings) do if f.id == "missing-allow" then ignored = f.ignored end end
      assert.is_true(ignored)
    end)

    it("skip: true or a reason; a skipped check sends nothing", function()
      local k = key("skip")
      local out, summary = check.run {
        { name = "a", url = srv:url("/status/200?key=" .. k), skip = true },
        { name = "b", url = srv:url("/status/200?key=" .. k), skip = "not deployed yet" },
        { name = "c", skip = "no url needed when skipped" },
      }
      for _, o in ipairs(out) do assert.are.equal("skipped", o.state) end
      assert.is_nil(out[1].skip_reason)
      assert.are.equal("not deployed yet", out[2].skip_reason)
      assert.are.equal(3, summary.skipped)
      local hits = require("httpstatus").get(srv:url("/hits/" .. k))
      assert.are.equal("0", (hits.body:gsub("%s+$", "")))
    end)

    it("runs checks concurrently, up to the concurrency given", function()
      local k = key("conc")
      local list = {}
      for i = 1, 6 do list[i] = { name = "c" .. i, url = srv:url("/status/200?stall_ms=300&key=" .. k) } end
      local t0 = os.time()
      local out = check.run(list, { concurrency = 3 })
      for _, o in ipairs(out) do assert_up(o) end
      assert.is_true(os.time() - t0 <= 3)
      local ks = cjson.decode(require("httpstatus").get(srv:url("/keys/" .. k)).body)
      assert.are.equal(6, ks.hits)
      assert.are.equal(3, ks.max_in_flight)
    end)
    it("max_ms and ms leave out the time queued behind other checks", function()
      local list = {}
      for i = 1, 3 do
        list[i] = { name = "q" .. i, url = srv:url("/status/200?stall_ms=150"), expect = { max_ms = 290 } }
      end
      local out = check.run(list, { concurrency = 1 })
      for _, o in ipairs(out) do
        assert_up(o)
        assert.is_true(o.ms >= 150 and o.ms < 290, tostring(o.ms))
      end
      -- the result says the same: total from the first try, the wait for a slot in queue
      assert.is_true(out[3].result.timing.total < 0.29)
      assert.is_true(out[3].result.timing.queue >= 0.25, "queued " .. out[3].result.timing.queue)
    end)
  end)

  describe("a bad check raises, naming the check and the option", function()
    local url
    before_each(function() url = srv:url("/") end)
    local cases = {
      { { name = "typo", timout = 5 }, 'check #1 "typo": unknown option \'timout\'' },
      { { name = "t", timeout = "5" }, "'timeout'" },
      { { name = "t", retry = { attemps = 2 } }, "retry.attemps" },
      { { name = "e", expect = { stauts = 200 } }, "unknown expectation 'expect.stauts'" },
      { { name = "e", expect = { status = "200" } }, "'expect.status'" },
      { { name = "e", expect = { class = "fine" } }, "'expect.class'" },
      { { name = "e", expect = { json = { ["a.b"] = 1 } } }, "bad JSONPath" },
      { { name = "e", expect = { body_match = "(" } }, "'expect.body_match'" },
      { { name = "e", expect = { max_severity = "fatal" } }, "'expect.max_severity'" },
      { { name = "e", expect = { fn = "x" } }, "'expect.fn'" },
      { { name = "i", ignore = { "no-such-finding" } }, "unknown finding id" },
      { { name = "c", concurrency = 4 }, "'concurrency' belongs to the client" },
      { { name = "s", skip = 1 }, "'skip'" },
    }
    for _, case in ipairs(cases) do
      it(case[2], function()
        local c = case[1]
        c.url = c.url or url
        local err = run_error { c }
        assert.is_truthy(err:find(case[2], 1, true), err)
      end)
    end

    it("a missing url, a non-table check, a duplicate name, a stray key", function()
      assert.matches("check #1 \"n\": missing option 'url'", run_error { { name = "n" } })
      assert.matches("check #2: a table expected", run_error { { name = "a", url = url }, "b" })
      assert.matches("already used by check #1", run_error { { name = "a", url = url }, { name = "a", url = url } })
      assert.matches("unknown key \"default\"", run_error { default = {} })
    end)
  end)

  describe("formats", function()
    local outcomes
    local weird = 'we"ird <name> & \\back\nline'
    lazy_setup(function()
      outcomes = check.run {
        { name = "up", url = srv:url("/status/200") },
        { name = weird, url = srv:url("/status/503?body=" .. enc("<b>&</b>")), retry = false,
          expect = { status = 200, body = "<ok & \"fine\">" } },
        { name = "skipped # one", skip = "later" },
        { name = "degraded", url = srv:url("/status/405"), method = "DELETE", expect = { status = 405 } },
      }
    end)

    it("table: a header, one line per check, a summary", function()
      local t = check.format(outcomes, "table")
      local lines = {}
      for l in t:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.are.equal(6, #lines)
      assert.matches("^STATE%s+NAME%s+STATUS%s+TIME%s+RETRIES%s+REDIRECTS%s+REASON$", lines[1])
      assert.matches("^up%s+up%s+200%s+%d+ ms%s+0%s+0$", lines[2])
      assert.matches("^down%s+we\"ird <name> & \\back line%s+503 .*status 503, expected 200", lines[3])
      assert.matches("^skipped%s+skipped # one%s+%-%s+%-%s+%-%s+%-%s+later$", lines[4])
      assert.matches("^degraded .* warning missing%-allow$", lines[5])
      assert.matches("^1 up, 1 degraded, 1 down, 1 skipped %(4 checks", lines[6])
    end)

    it("json: schema 1, checks, summary", function()
      local doc = cjson.decode(check.format(outcomes, "json"))
      assert.are.equal(1, doc.schema)
      assert.are.equal(4, #doc.checks)
      assert.are.same({ total = 4, up = 1, degraded = 1, down = 1, skipped = 1, passed = 2, failed = 1 },
        { total = doc.summary.total, up = doc.summary.up, degraded = doc.summary.degraded, down = doc.summary.down,
          skipped = doc.summary.skipped, passed = doc.summary.passed, failed = doc.summary.failed })
      local c = doc.checks[2]
      assert.are.equal(weird, c.name)
      assert.are.equal("down", c.state)
      assert.are.equal(503, c.status)
      assert.is_number(c.ms)
      assert.are.equal(2, #c.failures)
      assert.is_table(c.findings)
      assert.are.equal("up", doc.checks[1].state)
      assert.are.equal("table", type(doc.checks[1].failures))
      assert.matches('"failures":%[%]', check.format({ outcomes[1] }, "json"))   -- an array, even empty
      assert.are.equal("skipped", doc.checks[3].state)
      assert.are.equal("later", doc.checks[3].skip_reason)
      assert.are.equal("degraded", doc.checks[4].state)
      assert.are.equal("missing-allow", doc.checks[4].findings[1].id)
    end)

    it("junit: a testsuite with counts, a testcase per check, a failure for down, escaped", function()
      local x = check.format(outcomes, "junit")
      assert.matches('^<%?xml version="1.0" encoding="UTF%-8"%?>', x)
      assert.matches('<testsuite [^>]*tests="4" failures="1" errors="0" skipped="1"', x)
      local n = 0
      for _ in x:gmatch("<testcase ") do n = n + 1 end
      assert.are.equal(4, n)
      local n_fail = 0
      for _ in x:gmatch("<failure ") do n_fail = n_fail + 1 end
      assert.are.equal(1, n_fail)
      assert.is_truthy(x:find('name="we&quot;ird &lt;name&gt; &amp; \\back&#10;line"', 1, true), x)
      assert.is_truthy(x:find('<failure message="status 503, expected 200; body does not contain', 1, true), x)
      assert.is_truthy(x:find('<skipped message="later"/>', 1, true))
      assert.is_nil(x:find("<b>", 1, true))
      -- well-formed XML (lua-expat, when installed)
      local ok, lxp = pcall(require, "lxp")
      if ok then
        local cases, failures, stack = 0, 0, {}
        local p = lxp.new {
          StartElement = function(_, name, attrs)
            stack[#stack + 1] = name
            if name == "testcase" then
              cases = cases + 1
              if cases == 2 then assert.are.equal(weird, attrs.name) end
            end
            if name == "failure" then
              failures = failures + 1
              assert.is_truthy(attrs.message:find('does not contain "<ok &', 1, true), attrs.message)
            end
          end,
          EndElement = function() stack[#stack] = nil end,
        }
        assert(p:parse(x))
        assert(p:parse())
        p:close()
        assert.are.equal(4, cases)
        assert.are.equal(1, failures)
      end
    end)

    it("tap: version 13, a plan, ok / not ok, # SKIP", function()
      local t = check.format(outcomes, "tap")
      local lines = {}
      for l in t:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.are.equal("TAP version 13", lines[1])
      assert.are.equal("1..4", lines[2])
      local tests = {}
      for _, l in ipairs(lines) do
        if l:match("^ok ") or l:match("^not ok ") then tests[#tests + 1] = l end
      end
      assert.are.equal(4, #tests)
      assert.are.equal("ok 1 - up", tests[1])
      assert.matches("^not ok 2 %- we\"ird <name> & \\\\back line$", tests[2])
      assert.are.equal("ok 3 - skipped \\# one # SKIP later", tests[3])
      assert.are.equal("ok 4 - degraded", tests[4])
      assert.is_truthy(t:find("\n  ---\n  state: down\n", 1, true))
    end)

    it("prometheus: HELP and TYPE, one sample per check, escaped labels", function()
      local t = check.format(outcomes, "prometheus")
      local typed, samples = {}, {}
      for l in t:gmatch("[^\n]+") do
        local fam = l:match("^# TYPE ([%w_]+) gauge$")
        if fam then
          typed[fam] = true
        elseif not l:match("^# HELP [%w_]+ .+") then
          local name, labels, value = l:match('^([%w_]+){(.-)} (%S+)$')
          assert(name, "not a sample line: " .. l)
          assert(typed[name], "sample before its TYPE: " .. l)
          assert(tonumber(value), l)
          samples[#samples + 1] = { name = name, labels = labels, value = tonumber(value) }
        end
      end
      local esc = 'name="we\\"ird <name> & \\\\back\\nline"'
      local function find(name, labels)
        for _, s in ipairs(samples) do if s.name == name and s.labels == labels then return s.value end end
      end
      assert.are.equal(1, find("httpstatus_check_up", 'name="up"'))
      assert.are.equal(0, find("httpstatus_check_up", esc))
      assert.are.equal(503, find("httpstatus_check_status_code", esc))
      assert.is_true(find("httpstatus_check_duration_seconds", 'name="up"') >= 0)
      assert.are.equal(1, find("httpstatus_check_state", 'name="degraded",state="degraded"'))
      assert.are.equal(0, find("httpstatus_check_state", 'name="degraded",state="up"'))
      assert.are.equal(1, find("httpstatus_check_state", esc .. ',state="down"'))
      assert.are.equal(1, find("httpstatus_check_state", 'name="skipped # one",state="skipped"'))
      assert.is_nil(find("httpstatus_check_up", 'name="skipped # one"'))
    end)
  end)

  describe("the command", function()
    local files = {}
    local function file(content)
      local p = write_file(content)
      files[#files + 1] = p
      return p
    end
    lazy_teardown(function() for _, p in ipairs(files) do os.remove(p) end end)

    local PASS = [[
      local base = os.getenv("HS_BASE_URL")
      return { { name = "health", url = base .. "/status/200?body=ok", expect = { body = "ok" } } }]]

    it("exits 0 when no check is down", function()
      local rc, out = cli({ "check", file(PASS) }, srv:base())
      assert.are.equal(0, rc, out)
      assert.matches("\nup%s+health%s+200", out)
    end)

    it("exits 1 when a check is down", function()
      local rc, out = cli({ "check", file([[
        return { { name = "broken", url = os.getenv("HS_BASE_URL") .. "/status/500", retry = false } }]]) }, srv:base())
      assert.are.equal(1, rc)
      assert.matches("down%s+broken%s+500", out)
    end)

    it("--fail-on degraded: exits 1 on a degraded check, 0 without it", function()
      local f = file([[
        return { { name = "w", url = os.getenv("HS_BASE_URL") .. "/status/405", method = "DELETE",
                   expect = { status = 405 } } }]])
      assert.are.equal(0, (cli({ "check", f }, srv:base())))
      assert.are.equal(1, (cli({ "check", f, "--fail-on", "degraded" }, srv:base())))
    end)

    it("exits 2 on a usage or file error, with a message", function()
      local function two(args, says)
        local rc, out, err = cli(args, srv:base())
        assert.are.equal(2, rc, "args: " .. table.concat(args, " ") .. "\n" .. err)
        assert.is_truthy(err:find(says, 1, true), err)
        assert.are.equal("", out)
      end
      two({ "check" }, "a check file is needed")
      two({ "check", file(PASS), "--bogus" }, "unknown option '--bogus'")
      two({ "check", file(PASS), "--format", "xml" }, "unknown format 'xml'")
      two({ "check", file(PASS), "--concurrency", "0" }, "--concurrency")
      two({ "check", "/nonexistent/checks.lua" }, "/nonexistent/checks.lua")
      two({ "check", file("return 42") }, "expected a list of checks")
      two({ "check", file("return {") }, "expected")
      two({ "check", file("error('broken file')") }, "broken file")
      two({ "check", file([[return { { name = "typo", url = "http://127.0.0.1:1/", timout = 5 } }]]) },
        [[check #1 "typo": unknown option 'timout']])
      two({ "check", file(PASS), "--out", "/nonexistent/dir/out.txt" }, "cannot write")
    end)

    it("--format and --out: the report goes to the file", function()
      local out_path = os.tmpname()
      files[#files + 1] = out_path
      local rc, out = cli({ "check", "--format=json", file(PASS), "--out", out_path, "--concurrency", "2" }, srv:base())
      assert.are.equal(0, rc)
      assert.are.equal("", out)
      local doc = cjson.decode(slurp(out_path))
      assert.are.equal(1, doc.schema)
      assert.are.equal("health", doc.checks[1].name)
      assert.are.equal("up", doc.checks[1].state)
      for _, fmt in ipairs { "junit", "tap", "prometheus", "table" } do
        local frc, fout = cli({ "check", file(PASS), "--format", fmt }, srv:base())
        assert.are.equal(0, frc)
        assert.is_true(#fout > 0)
      end
    end)

    it("does not print secrets unless --show-secrets", function()
      local f = file([[
        local base = os.getenv("HS_BASE_URL"):gsub("^http://", "http://user:pw-hunter2@")
        return {
          { url = base .. "/status/500", retry = false },
          { name = "cookie", url = os.getenv("HS_BASE_URL") .. "/status/200?h=Set-Cookie:session=tok-%68unter3",
            expect = { header = { ["Set-Cookie"] = "other" } } },
        }]])
      for _, fmt in ipairs { "table", "json", "junit", "tap", "prometheus" } do
        local rc, out = cli({ "check", f, "--format", fmt }, srv:base())
        assert.are.equal(1, rc)
        assert.is_nil(out:find("hunter", 1, true), fmt .. ": " .. out)
      end
      local rc, out = cli({ "check", f, "--format", "json" }, srv:base())
      assert.are.equal(1, rc)
      assert.is_truthy(out:find("user:(hidden)@", 1, true), out)
      assert.is_truthy(out:find("Set-Cookie is (hidden)", 1, true), out)
      rc, out = cli({ "check", f, "--format", "json", "--show-secrets" }, srv:base())
      assert.are.equal(1, rc)
      assert.is_truthy(out:find("pw-hunter2", 1, true), out)
      assert.is_truthy(out:find("tok-hunter3", 1, true), out)
    end)

    it("runs the bundled example", function()
      local src = os.getenv("HS_SOURCE_DIR") or "."
      local rc, out, err = cli({ "check", src .. "/examples/checks.lua", "--format", "tap" }, srv:base())
      assert.are.equal(0, rc, out .. err)
      assert.is_nil(out:find("not ok", 1, true), out)
    end)
  end)
end)
