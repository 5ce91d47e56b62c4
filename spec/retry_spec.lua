-- Retries: Retry-After, backoff, budgets, methods, error kinds, host-wide backoff.
local hs = require "httpstatus"
local helper = require "helper"
local cjson = require "cjson"

local enc = helper.encode

local function ids(res)
  local t = {}
  for _, f in ipairs(res.findings) do t[f.id] = true end
  return t
end

describe("retries", function()
  local srv, B = helper.use_server(), nil -- started and stopped around this describe
  local n = 0
  local function key() n = n + 1; return "k" .. n .. "_" .. os.time() end
  lazy_setup(function() B = "http://127.0.0.1:" .. srv.port end)

  it("retries 429 and 503 by default, three tries in all, honouring Retry-After", function()
    local res = hs.get(B .. "/count/" .. key() .. "?fail=2&code=503&h=Retry-After:0")
    assert.are.equal(200, res.status)
    assert.are.equal(3, #res.attempts)
    assert.are.same({ 503, 503, 200 }, { res.attempts[1].status, res.attempts[2].status, res.attempts[3].status })
    assert.are.equal("retry-after", res.attempts[1].cause)
    assert.is_true(res.attempts[1].wait >= 0)
    assert.is_nil(res.attempts[3].wait)
    assert.are.equal(3, res.hops[1].tries)
    assert.matches("2 retries", tostring(res))

    res = hs.get(B .. "/count/" .. key() .. "?fail=5&code=429&h=Retry-After:0")
    assert.are.equal(429, res.status)
    assert.are.equal(3, #res.attempts)
    assert.is_nil(res.error)
  end)

  it("makes one try with retry = false, and honours attempts", function()
    local res = hs.get(B .. "/count/" .. key() .. "?fail=1&code=503&h=Retry-After:0", { retry = false })
    assert.are.equal(503, res.status)
    assert.are.equal(1, #res.attempts)
    res = hs.get(B .. "/count/" .. key() .. "?fail=4&code=503&h=Retry-After:0", { retry = { attempts = 5 } })
    assert.are.equal(200, res.status)
    assert.are.equal(5, #res.attempts)
  end)

  it("never sleeps past max_wait or the time left: retry_budget keeps the response", function()
    local res = hs.get(B .. "/status/503?h=Retry-After:60")
    assert.are.equal("retry_budget", res.error.kind)
    assert.are.equal(503, res.status)
    assert.are.equal(60, res.error.retry_after)
    assert.are.equal(1, #res.attempts)
    assert.is_true(res.timing.total < 5)
    res = hs.get(B .. "/status/503?h=Retry-After:5", { timeout = 2, retry = { max_wait = 100 } })
    assert.are.equal("retry_budget", res.error.kind)
    assert.are.equal(5, res.error.retry_after)
  end)

  it("waits exactly as asked in the HTTP-date form, read against the response's Date", function()
    -- The server's clock is moved 1000 s back; the Retry-After date is 1 s after its Date.
    local date = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() - 1000 + 1)
    local res = hs.get(B .. "/count/" .. key() .. "?fail=1&code=503&date_offset=-1000&h=Retry-After:" .. enc(date),
      { retry = { jitter = false } })
    assert.are.equal(200, res.status)
    assert.are.equal("retry-after", res.attempts[1].cause)
    assert.is_true(res.attempts[1].wait >= 0 and res.attempts[1].wait <= 2.5)
  end)

  it("backs off when there is no Retry-After, with the formula", function()
    local res = hs.get(B .. "/count/" .. key() .. "?fail=2&code=503",
      { retry = { base = 0.05, factor = 3, jitter = false } })
    assert.are.equal(200, res.status)
    assert.are.equal("backoff", res.attempts[1].cause)
    assert.are.equal(0.05, res.attempts[1].wait)
    assert.is_true(math.abs(res.attempts[2].wait - 0.15) < 1e-9)
    assert.is_true(res.attempts[3].started >= 0.2)
    assert.is_true(ids(res)["missing-retry-after"])
  end)

  it("falls back to backoff on an invalid Retry-After, with a finding", function()
    local res = hs.get(B .. "/count/" .. key() .. "?fail=1&code=503&h=Retry-After:soon",
      { retry = { base = 0.01 } })
    assert.are.equal(200, res.status)
    assert.are.equal("backoff", res.attempts[1].cause)
    -- the 503 that carried it was retried; its finding survives the 200
    assert.is_true(ids(res)["retry-after-invalid"])
    local msg
    for _, f in ipairs(res.findings) do if f.id == "retry-after-invalid" then msg = f.message end end
    assert.matches('"soon" on try 1', msg)
  end)

  it("reports an invalid Retry-After on the final response", function()
    local res = hs.get(B .. "/status/503?h=Retry-After:soon", { retry = false })
    assert.is_true(ids(res)["retry-after-invalid"])
  end)

  it("repeats only idempotent methods unless told otherwise", function()
    local res = hs.post(B .. "/count/" .. key() .. "?fail=1&code=503&h=Retry-After:0", "x")
    assert.are.equal(503, res.status)
    assert.are.equal(1, #res.attempts)
    res = hs.post(B .. "/count/" .. key() .. "?fail=1&code=503&h=Retry-After:0", "x",
      { headers = { ["Idempotency-Key"] = "abc" } })
    assert.are.equal(200, res.status)
    assert.are.equal(2, #res.attempts)
    res = hs.post(B .. "/count/" .. key() .. "?fail=1&code=503&h=Retry-After:0", "x", { retry = { methods = "all" } })
    assert.are.equal(200, res.status)
    for _, m in ipairs { "PUT", "DELETE", "OPTIONS" } do
      res = hs.request { url = B .. "/count/" .. key() .. "?fail=1&code=503&h=Retry-After:0", method = m }
      assert.are.equal(2, #res.attempts, m)
    end
  end)

  it("retries error kinds named in `on`: connect for any method, reset only for idempotent ones", function()
    local closed = helper.start_server()
    local url = "http://127.0.0.1:" .. closed.port .. "/"
    closed:stop()
    local res = hs.post(url, "x", { retry = { on = { "connect" }, base = 0.01 } })
    assert.are.equal("connect", res.error.kind)
    assert.are.equal(3, #res.attempts)
    assert.are.equal("connect", res.attempts[1].error)
    res = hs.post(B .. "/status/200?reset=headers", "x", { retry = { on = { "reset" }, base = 0.01 } })
    assert.are.equal("reset", res.error.kind)
    assert.are.equal(1, #res.attempts)
    res = hs.get(B .. "/status/200?reset=headers", { retry = { on = { "reset" }, base = 0.01 } })
    assert.are.equal(3, #res.attempts)
    -- errors are not retried unless named
    res = hs.get(B .. "/status/200?reset=headers")
    assert.are.equal(1, #res.attempts)
  end)

  it("repeats the hop that failed, not the whole chain", function()
    local k = key()
    local res = hs.get(B .. "/redirect/1?final=" .. enc("/count/" .. k .. "?fail=1&code=503&h=Retry-After:0"))
    assert.are.equal(200, res.status)
    assert.are.equal(2, #res.hops)
    assert.are.same({ 1, 2, 2 }, { res.attempts[1].hop, res.attempts[2].hop, res.attempts[3].hop })
    assert.are.same({ 302, 503, 200 }, { res.attempts[1].status, res.attempts[2].status, res.attempts[3].status })
    assert.are.same({ 1, 2 }, { res.hops[1].tries, res.hops[2].tries })
  end)

  it("never blocks other requests: 200 requests each told Retry-After: 1 finish together", function()
    local client = hs.client { concurrency = 64, per_host = 64, host_backoff = false }
    local list, tag = {}, key()
    for i = 1, 200 do list[i] = B .. "/count/" .. tag .. "_" .. i .. "?fail=1&code=503&h=Retry-After:1" end
    local t0 = os.time()
    local results = client:run_all(list)
    local elapsed = os.time() - t0
    client:close()
    assert.is_true(elapsed < 10, "took " .. elapsed .. " s")
    for i, res in ipairs(results) do
      assert.are.equal(200, res.status, "request " .. i)
      assert.are.equal(2, #res.attempts)
      assert.is_true(res.attempts[1].wait >= 1, "request " .. i .. " waited " .. res.attempts[1].wait)
    end
  end)

  it("pauses queued requests to an origin that sent Retry-After, not to other origins", function()
    local other = "other.test:" .. srv.port
    local client = hs.client { concurrency = 8, per_host = 1, resolve = { other .. ":127.0.0.1" } }
    hs.get(B .. "/log/reset")
    local k = key()
    local first = client:add(B .. "/count/" .. k .. "?fail=1&code=503&h=Retry-After:1&tag=a0")
    local a, b = {}, {}
    for i = 1, 3 do a[i] = client:add(B .. "/status/200?stall_ms=20&tag=a" .. i) end
    for i = 1, 6 do b[i] = client:add("http://" .. other .. "/status/200?stall_ms=100&tag=b" .. i) end
    client:run()
    client:close()
    assert.are.equal(200, first:result().status)
    local log = hs.get(B .. "/log").body
    local t503, a_times, b_times = nil, {}, {}
    for line in log:gmatch("[^\n]+") do
      local e = cjson.decode(line)
      local tag = e.path:match("tag=(%w+)")
      if tag == "a0" and not t503 then t503 = e.t_ms
      elseif tag and tag:sub(1, 1) == "a" then a_times[#a_times + 1] = e.t_ms
      elseif tag and tag:sub(1, 1) == "b" then b_times[#b_times + 1] = e.t_ms end
    end
    assert.is_number(t503)
    -- no request to the paused origin during the pause ...
    for _, t in ipairs(a_times) do assert.is_true(t >= t503 + 950, "a request came " .. (t - t503) .. " ms after the 503") end
    -- ... while the other origin went on
    local during = 0
    for _, t in ipairs(b_times) do if t > t503 and t < t503 + 950 then during = during + 1 end end
    assert.is_true(during >= 1)
    assert.is_true(a[1]:result().attempts[1].held >= 0.5)
    assert.are.equal("host-backoff", a[1]:result().attempts[1].held_cause)
  end)
end)
