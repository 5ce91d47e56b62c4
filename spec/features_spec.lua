-- hs.features(), hs.rules(), hs.explain(): what the library knows about itself.
local hs = require "httpstatus"
local helper = require "helper"

describe("hs.features", function()
  it("reports what the linked libcurl supports", function()
    local f = hs.features()
    assert.matches("^%d+%.%d+%.%d+", f.version)
    for _, k in ipairs { "ssl", "http2", "http3", "async_dns", "ipv6" } do assert.is_boolean(f[k], k) end
    assert.are.equal(hs.version, f.httpstatus)
  end)
end)

describe("hs.rules", function()
  it("lists every rule once, with id, severity, summary and spec", function()
    local seen = {}
    local rules = hs.rules()
    assert.is_true(#rules >= 30)
    for _, r in ipairs(rules) do
      assert.matches("^[a-z0-9]+[a-z0-9%-]*$", r.id)
      assert.is_nil(seen[r.id], "duplicate " .. r.id)
      seen[r.id] = true
      assert.is_true(r.severity == "info" or r.severity == "warning" or r.severity == "error")
      assert.is_true(#r.summary > 0 and #r.spec > 0)
    end
  end)
end)

describe("hs.explain", function()
  local srv
  lazy_setup(function() srv = helper.start_server() end)
  lazy_teardown(function() srv:stop() end)

  it("explains a code: meaning and what to do", function()
    local text = hs.explain(429)
    assert.matches("429 Too Many Requests", text)
    assert.matches("What to do", text)
    assert.matches("treats it as 400", hs.explain(499))
    local none, err = hs.explain(99)
    assert.is_nil(none)
    assert.matches("invalid status code", err)
  end)

  it("reports a result: hops, 1xx, tries, timing, findings; secrets hidden", function()
    local base = "http://127.0.0.1:" .. srv.port
    local res = hs.get(base .. "/redirect/1?final=/status/200%3Finterim%3D103", { headers = { Authorization = "Bearer secret" } })
    local text = hs.explain(res)
    assert.matches("hop 1: GET", text)
    assert.matches("hop 2: GET", text)
    assert.matches("interim 103", text)
    assert.matches("timing:", text)
    assert.is_nil(text:find("secret", 1, true))
    assert.is_nil(res:to_json():find("Bearer secret", 1, true))
    assert.is_not_nil(res:to_json(true):find("Bearer secret", 1, true))
    assert.error_matches(function() hs.explain("x") end, "bad argument #1 to 'explain'")
  end)
end)
