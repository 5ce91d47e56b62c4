-- Edges found in review: budgets on redirects, what a cancelled wait keeps, host backoff
-- without retrying, queue_timeout behind other requests, trailers per try, re-entrancy.
local hs = require "httpstatus"
local helper = require "helper"
local cjson = require "cjson"
local enc = helper.encode

describe("engine edges", function()
  local srv, B = helper.use_server(), nil -- started and stopped around this describe
  lazy_setup(function() B = "http://127.0.0.1:" .. srv.port end)

  it("a Retry-After on a redirect longer than the budget is not waited", function()
    local res = hs.get(B .. "/status/301?h=Retry-After:30&h=Location:/status/200", { timeout = 1 })
    assert.are.equal("retry_budget", res.error.kind)
    assert.are.equal(30, res.error.retry_after)
    assert.are.equal(301, res.status)
    assert.are.equal(1, #res.hops)
    assert.is_true(res.timing.total < 1)
  end)

  it("a request cancelled while it waits keeps the response it had", function()
    local c = hs.client {}
    local h = c:add(B .. "/status/301?h=Retry-After:5&h=Location:/status/200")
    -- poll until the 301 has come and the 5 s wait began
    for _ = 1, 100 do
      c:poll(0.05)
      local t = c:next_timeout()
      if t and t > 1 then break end
    end
    assert.is_true(h:cancel())
    c:poll(0)
    local res = h:result()
    assert.are.equal("cancelled", res.error.kind)
    assert.are.equal(301, res.status)
    assert.are.equal(1, #res.hops)
    assert.are.equal(1, #res.attempts)
    c:close()
  end)

  it("a 503 with Retry-After pauses the origin even when that request is not retried", function()
    local c = hs.client { concurrency = 4, per_host = 1, retry = false }
    hs.get(B .. "/log/reset")
    local first = c:add(B .. "/status/503?h=Retry-After:1&tag=p0")
    local later = c:add(B .. "/status/200?tag=p1")
    c:run()
    c:close()
    assert.are.equal(503, first:result().status)
    assert.are.equal(1, #first:result().attempts)
    local t0, t1
    for line in hs.get(B .. "/log").body:gmatch("[^\n]+") do
      local e = cjson.decode(line)
      if e.path:find("tag=p0", 1, true) then t0 = e.t_ms end
      if e.path:find("tag=p1", 1, true) then t1 = e.t_ms end
    end
    assert.is_true(t1 - t0 >= 950, "the next request came after " .. (t1 - t0) .. " ms")
    assert.is_true(later:result().attempts[1].held >= 0.5)
  end)

  it("queue_timeout ends a request queued behind others, not only the first in line", function()
    local c = hs.client { concurrency = 1 }
    c:add(B .. "/status/200?stall_ms=1500")
    c:add(B .. "/status/200?stall_ms=1500")
    local h = c:add { url = B .. "/status/200", queue_timeout = 0.3 }
    local t0 = os.time()
    while not h:done() do c:poll(0.1) end
    assert.are.equal("timeout", h:result().error.kind)
    assert.is_nil(h:result().status)
    assert.is_true(os.time() - t0 <= 2)
    c:close()
  end)

  it("trailers are the last response's, not every try's", function()
    local k = "tr" .. os.time() .. math.random(1e6)
    local res = hs.get(B .. "/count/" .. k .. "?fail=1&code=503&h=Retry-After:0&chunked=1&trailer=X-T:first")
    assert.are.equal(200, res.status)
    assert.is_nil(res.trailers:get("X-T"))
  end)

  it("run_all with a bad item raises, cancels what it added, and leaves nothing behind", function()
    local c = hs.client {}
    local ok, err = pcall(c.run_all, c, { B .. "/status/200?stall_ms=200", B .. "/status/201",
                                         { url = B .. "/status/202", no_such_option = 1 } })
    assert.is_false(ok)
    assert.matches("no_such_option", err)
    c:run() -- the cancelled ones end here
    assert.are.equal(0, c:pending())
    assert.are.same({}, c:run_all {})
    local r = c:run_all { B .. "/status/204" }
    assert.are.equal(1, #r)
    assert.are.equal(204, r[1].status)
    c:close()
  end)

  it("counts a kept finished request as pending, not its 1xx", function()
    local c = hs.client { on_interim = function() local t = os.clock() while os.clock() - t < 0.003 do end end }
    local done = 0
    c:add(B .. "/status/200?interim=103&interim=103&interim=103", function() done = done + 1 end)
    local most = 0
    while done == 0 do
      local pending = c:poll(0)
      most = math.max(most, pending)
      assert.is_true(pending <= 1)
    end
    assert.are.equal(1, most)
    c:close()
  end)

  it("run_all and request{client} refuse before adding anything", function()
    local c = hs.client {}
    local inner_err
    c:add(B .. "/status/200", function()
      local ok, e = pcall(c.run_all, c, { B .. "/status/201" })
      inner_err = not ok and e
    end)
    c:run()
    assert.matches("inside a callback", inner_err)
    assert.are.equal(0, c:pending())
    assert.error_matches(function() hs.request { url = B .. "/status/200", client = c } end, "coroutine")
    assert.are.equal(0, c:pending())
    c:close()
  end)
end)
