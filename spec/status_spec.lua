-- The status registry through the Lua API: hs.describe, hs.class, hs.codes.
local hs = require "httpstatus"

-- The seed list with the current reason phrase of every code.
local reasons <const> = {
  [100] = "Continue", [101] = "Switching Protocols", [102] = "Processing",
  [103] = "Early Hints",
  [200] = "OK", [201] = "Created", [202] = "Accepted",
  [203] = "Non-Authoritative Information", [204] = "No Content", [205] = "Reset Content",
  [206] = "Partial Content", [207] = "Multi-Status", [208] = "Already Reported",
  [226] = "IM Used",
  [300] = "Multiple Choices", [301] = "Moved Permanently", [302] = "Found",
  [303] = "See Other", [304] = "Not Modified", [305] = "Use Proxy", [306] = "(Unused)",
  [307] = "Temporary Redirect", [308] = "Permanent Redirect",
  [400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required",
  [403] = "Forbidden", [404] = "Not Found", [405] = "Method Not Allowed",
  [406] = "Not Acceptable", [407] = "Proxy Authentication Required",
  [408] = "Request Timeout", [409] = "Conflict", [410] = "Gone",
  [411] = "Length Required", [412] = "Precondition Failed", [413] = "Content Too Large",
  [414] = "URI Too Long", [415] = "Unsupported Media Type",
  [416] = "Range Not Satisfiable", [417] = "Expectation Failed", [418] = "I'm a teapot",
  [421] = "Misdirected Request", [422] = "Unprocessable Content", [423] = "Locked",
  [424] = "Failed Dependency", [425] = "Too Early", [426] = "Upgrade Required",
  [428] = "Precondition Required", [429] = "Too Many Requests",
  [431] = "Request Header Fields Too Large", [451] = "Unavailable For Legal Reasons",
  [500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
  [503] = "Service Unavailable", [504] = "Gateway Timeout",
  [505] = "HTTP Version Not Supported", [506] = "Variant Also Negotiates",
  [507] = "Insufficient Storage", [508] = "Loop Detected", [510] = "Not Extended",
  [511] = "Network Authentication Required",
}

local seed <const> = {}
for code in pairs(reasons) do seed[#seed + 1] = code end
table.sort(seed)

local flags <const> = {
  deprecated = { 305, 306, 510 },
  experimental = { 402, 425 },
  webdav = { 102, 207, 208, 423, 424, 507, 508 },
  cacheable = { 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 451, 501 },
  retryable = { 408, 425, 429, 502, 503, 504 },
}

local classes <const> = {
  "informational", "success", "redirection", "client_error", "server_error",
}

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

describe("status registry", function()
  describe("describe() of a known code", function()
    it("has the current reason and the class of every seed code", function()
      assert.are.equal(63, #seed)
      for _, code in ipairs(seed) do
        local d = hs.describe(code)
        assert.is_table(d, "describe(" .. code .. ")")
        assert.are.equal(code, d.code)
        assert.are.equal(reasons[code], d.reason, "reason of " .. code)
        assert.are.equal(classes[code // 100], d.class, "class of " .. code)
        assert.is_true(d.known, "known of " .. code)
      end
    end)

    it("gives the code as an integer", function()
      assert.are.equal("integer", math.type(hs.describe(200).code))
      assert.are.equal("integer", math.type(hs.describe(200.0).code))
      for _, code in ipairs(seed) do
        assert.are.equal("integer", math.type(hs.describe(code).code))
      end
    end)

    it("has a non-empty description, advice and spec for every known code", function()
      for _, code in ipairs(seed) do
        local d = hs.describe(code)
        for _, field in ipairs { "description", "advice", "spec" } do
          assert.is_string(d[field], field .. " of " .. code)
          assert.is_true(#d[field] > 0, field .. " of " .. code .. " is empty")
        end
        assert.truthy(d.spec:match("^RFC %d+"), "spec of " .. code .. ": " .. d.spec)
      end
    end)

    it("has every flag as a boolean", function()
      for _, code in ipairs(seed) do
        local d = hs.describe(code)
        for name in pairs(flags) do
          assert.is_boolean(d[name], name .. " of " .. code)
        end
      end
    end)

    it("matches the API example for 429", function()
      local d = hs.describe(429)
      assert.are.equal(429, d.code)
      assert.are.equal("Too Many Requests", d.reason)
      assert.are.equal("client_error", d.class)
      assert.is_true(d.known)
      assert.is_true(d.retryable)
      assert.is_false(d.cacheable)
      assert.is_false(d.deprecated)
      assert.is_false(d.experimental)
      assert.is_false(d.webdav)
      assert.are.same({}, d.aliases)
      assert.are.equal("RFC 6585 §4", d.spec)
    end)

    it("cites the defining document and section", function()
      local specs = {
        [100] = "RFC 9110 §15.2.1", [101] = "RFC 9110 §15.2.2",
        [102] = "RFC 2518 §10.1", [103] = "RFC 8297",
        [200] = "RFC 9110 §15.3.1", [206] = "RFC 9110 §15.3.7",
        [207] = "RFC 4918 §11.1", [208] = "RFC 5842 §7.1", [226] = "RFC 3229 §10.4.1",
        [300] = "RFC 9110 §15.4.1", [308] = "RFC 9110 §15.4.9",
        [400] = "RFC 9110 §15.5.1", [404] = "RFC 9110 §15.5.5",
        [413] = "RFC 9110 §15.5.14", [418] = "RFC 9110 §15.5.19",
        [421] = "RFC 9110 §15.5.20", [422] = "RFC 9110 §15.5.21",
        [423] = "RFC 4918 §11.3", [424] = "RFC 4918 §11.4", [425] = "RFC 8470 §5.2",
        [426] = "RFC 9110 §15.5.22", [428] = "RFC 6585 §3", [429] = "RFC 6585 §4",
        [431] = "RFC 6585 §5", [451] = "RFC 7725 §3",
        [500] = "RFC 9110 §15.6.1", [505] = "RFC 9110 §15.6.6",
        [506] = "RFC 2295 §8.1", [507] = "RFC 4918 §11.5", [508] = "RFC 5842 §7.2",
        [510] = "RFC 2774 §7", [511] = "RFC 6585 §6",
      }
      for code, spec in pairs(specs) do
        assert.are.equal(spec, hs.describe(code).spec, "spec of " .. code)
      end
    end)

    it("mentions 418's reserved status", function()
      assert.truthy(hs.describe(418).description:find("Unused", 1, true))
    end)
  end)

  describe("flags", function()
    for name, list in pairs(flags) do
      it("sets " .. name .. " exactly on " .. table.concat(list, ", "), function()
        local on = set_of(list)
        for code = 100, 599 do
          local d = hs.describe(code)
          assert.are.equal(on[code] == true, d[name], name .. " of " .. code)
        end
      end)
    end

    it("does not mark 422 as WebDAV", function()
      assert.is_false(hs.describe(422).webdav)
    end)
  end)

  describe("aliases", function()
    it("keeps older reason phrases in order", function()
      assert.are.same({ "Payload Too Large", "Request Entity Too Large" },
                      hs.describe(413).aliases)
      assert.are.same({ "Request-URI Too Long" }, hs.describe(414).aliases)
      assert.are.same({ "Requested Range Not Satisfiable" }, hs.describe(416).aliases)
      assert.are.same({ "Unprocessable Entity" }, hs.describe(422).aliases)
      assert.are.same({ "Moved Temporarily" }, hs.describe(302).aliases)
      assert.are.same({ "Switch Proxy" }, hs.describe(306).aliases)
    end)

    it("is always a table of strings, never the current reason", function()
      for code = 100, 599 do
        local d = hs.describe(code)
        assert.is_table(d.aliases, "aliases of " .. code)
        for _, a in ipairs(d.aliases) do
          assert.is_string(a)
          assert.are_not.equal(d.reason, a)
        end
      end
      assert.are.same({}, hs.describe(200).aliases)
    end)
  end)

  describe("describe() of an unknown code", function()
    local cases = {
      { 104, "informational", 100 }, { 199, "informational", 100 },
      { 209, "success", 200 }, { 299, "success", 200 },
      { 399, "redirection", 300 },
      { 419, "client_error", 400 }, { 420, "client_error", 400 },
      { 499, "client_error", 400 },
      { 509, "server_error", 500 }, { 599, "server_error", 500 },
    }
    for _, case in ipairs(cases) do
      local code, class, treat_as = case[1], case[2], case[3]
      it(("treats %d as %d"):format(code, treat_as), function()
        local d = hs.describe(code)
        assert.is_table(d)
        assert.are.equal(code, d.code)
        assert.are.equal("integer", math.type(d.code))
        assert.are.equal(class, d.class)
        assert.is_false(d.known)
        assert.are.equal(treat_as, d.treat_as)
        assert.are.equal("integer", math.type(d.treat_as))
        assert.is_nil(d.reason)
        assert.is_nil(d.description)
        assert.is_nil(d.spec)
        for name in pairs(flags) do assert.is_false(d[name], name) end
        assert.are.same({}, d.aliases)
      end)
    end

    it("knows exactly the seed codes", function()
      local known = set_of(seed)
      for code = 100, 599 do
        assert.are.equal(known[code] == true, hs.describe(code).known, "known of " .. code)
      end
    end)
  end)

  describe("invalid codes", function()
    local cases = { 99, 600, 0, -1, 1000, 404.5, 99.0, 600.0, math.huge, -math.huge,
                    math.maxinteger, math.mininteger }
    for _, code in ipairs(cases) do
      it("describe(" .. tostring(code) .. ") returns nil and a message", function()
        local d, err = hs.describe(code)
        assert.is_nil(d)
        assert.is_string(err)
        assert.truthy(err:find("invalid status code", 1, true), err)
        assert.truthy(err:find("(must be 100-599)", 1, true), err)
      end)

      it("class(" .. tostring(code) .. ") returns nil and a message", function()
        local c, err = hs.class(code)
        assert.is_nil(c)
        assert.is_string(err)
        assert.truthy(err:find("invalid status code", 1, true), err)
      end)
    end

    it("words the message as the API shows", function()
      assert.are.equal(2, select("#", hs.describe(99)))
      local d, err = hs.describe(99)
      assert.is_nil(d)
      assert.are.equal("invalid status code 99 (must be 100-599)", err)
      d, err = hs.describe(600)
      assert.are.equal("invalid status code 600 (must be 100-599)", err)
      d, err = hs.describe(-1)
      assert.are.equal("invalid status code -1 (must be 100-599)", err)
      d, err = hs.describe(404.5)
      assert.are.equal("invalid status code 404.5 (must be 100-599)", err)
    end)

    it("accepts a float with an integral value", function()
      assert.are.equal(404, hs.describe(404.0).code)
      assert.are.equal("client_error", hs.class(404.0))
    end)
  end)

  describe("type errors", function()
    local bad = {
      { "a string", "x" }, { "a numeric string", "404" }, { "nil", nil },
      { "a table", {} }, { "a boolean", true }, { "a function", print },
    }
    for _, case in ipairs(bad) do
      local what, value = case[1], case[2]
      it("describe() raises on " .. what, function()
        local ok, err = pcall(hs.describe, value)
        assert.is_false(ok)
        assert.is_string(err)
        assert.truthy(err:find("bad argument #1", 1, true), err)
      end)

      it("class() raises on " .. what, function()
        local ok, err = pcall(hs.class, value)
        assert.is_false(ok)
        assert.truthy(tostring(err):find("bad argument #1", 1, true), tostring(err))
      end)
    end

    it("raises on a missing argument", function()
      local ok, err = pcall(hs.describe)
      assert.is_false(ok)
      assert.truthy(err:find("bad argument #1", 1, true), err)
    end)

    it("raises through a plain call too", function()
      assert.has_error(function() hs.describe("x") end)
      assert.has_error(function() hs.describe(nil) end)
      assert.has_error(function() hs.describe({}) end)
    end)
  end)

  describe("class()", function()
    it("classes every valid code by its first digit", function()
      for code = 100, 599 do
        assert.are.equal(classes[code // 100], hs.class(code), "class of " .. code)
      end
    end)

    it("matches the API examples", function()
      assert.are.equal("server_error", hs.class(503))
      assert.are.equal("client_error", hs.class(499))
      assert.are.equal("informational", hs.class(100))
      assert.are.equal("success", hs.class(226))
      assert.are.equal("redirection", hs.class(308))
    end)
  end)

  describe("codes()", function()
    it("lists every known code as integers, ascending", function()
      local codes = hs.codes()
      assert.is_table(codes)
      assert.are.same(seed, codes)
      for i, code in ipairs(codes) do
        assert.are.equal("integer", math.type(code))
        if i > 1 then assert.is_true(codes[i - 1] < code) end
      end
    end)

    it("returns a fresh table each call", function()
      local a = hs.codes()
      a[1] = nil
      assert.are.equal(100, hs.codes()[1])
    end)

    it("agrees with describe()", function()
      for _, code in ipairs(hs.codes()) do
        assert.is_true(hs.describe(code).known)
      end
    end)
  end)
end)
