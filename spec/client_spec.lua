-- The many-request client: caps, ordering, cancel, callbacks, re-entrancy, GC, await.
local hs = require "httpstatus"
local helper = require "helper"
local cjson = require "cjson"

describe("hs.client", function()
  local srv, B = helper.use_server(), nil -- started and stopped around this describe
  lazy_setup(function() B = "http://127.0.0.1:" .. srv.port end)

  it("never has more than per_host connections to the server at once", function()
    hs.get(B .. "/stats/reset")
    local c = hs.client { concurrency = 32, per_host = 3 }
    local list = {}
    for i = 1, 30 do list[i] = B .. "/status/200?stall_ms=30&i=" .. i end
    local results = c:run_all(list)
    for _, r in ipairs(results) do assert.are.equal(200, r.status) end
    -- Read on one of the client's own connections: a new one would count too. The
    -- reset's connection stopped counting at the reset.
    local stats = cjson.decode(c:run_all({ B .. "/stats" })[1].body)
    c:close()
    assert.is_true(stats.max_in_flight <= 3, "max in flight " .. stats.max_in_flight)
    assert.is_true(stats.max_in_flight >= 2)
    assert.is_true(stats.max_connections <= 3, "max connections " .. stats.max_connections)
    assert.is_true(stats.max_connections >= 2)
  end)

  it("puts plain and other URLs of one origin in one queue (one per_host cap)", function()
    -- Plain URLs find their origin without curl_url; the others (dot segments, an
    -- uppercase host, the default port written out) go through it: same origin key.
    hs.get(B .. "/stats/reset")
    local c = hs.client { concurrency = 8, per_host = 1 }
    local port = tostring(srv.port)
    local results = c:run_all {
      B .. "/status/200?stall_ms=40&i=1",
      "http://127.0.0.1:" .. port .. "/a/../status/200?stall_ms=40&i=2",
      "HTTP://127.0.0.1:" .. port .. "/status/200?stall_ms=40&i=3",
      B .. "/status/200?stall_ms=40&i=4#frag",
    }
    c:close()
    for _, r in ipairs(results) do assert.are.equal(200, r.status) end
    local stats = cjson.decode(hs.get(B .. "/stats").body)
    assert.are.equal(1, stats.max_in_flight)
    -- Our queue, not only libcurl's connection limit, held them: each waited in it for
    -- the one before (a 40 ms stall at least; a queue of its own would start at once).
    for i = 2, 4 do assert.is_true(results[i].timing.queue >= 0.035, i .. ": " .. results[i].timing.queue) end
  end)

  it("holds what concurrency does not let run in its own queue, across origins", function()
    -- per_host is far above concurrency: only our concurrency cap can hold requests back
    -- (libcurl's connection limits would let them start and wait inside libcurl).
    local c = hs.client { concurrency = 2, per_host = 50 }
    local list = {}
    for i = 1, 6 do list[i] = B .. "/status/200?stall_ms=100&i=" .. i end
    local results = c:run_all(list)
    c:close()
    for i = 3, 6 do
      assert.are.equal(200, results[i].status)
      assert.is_true(results[i].timing.queue >= 0.09, i .. ": queued " .. results[i].timing.queue)
    end
  end)

  it("starts a request's timeout at its first try, not while it waits in the queue", function()
    local c = hs.client { concurrency = 1 }
    local first = c:add(B .. "/status/200?stall_ms=600")
    local second = c:add { url = B .. "/status/200", timeout = 0.3 }
    c:run()
    c:close()
    assert.are.equal(200, first:result().status)
    local r = second:result()
    assert.are.equal(200, r.status, r.error and r.error.message)
    assert.is_true(r.timing.queue >= 0.5, "queued " .. r.timing.queue)
  end)

  it("lets others run while a request waits to retry, and says when it needs a poll", function()
    -- One slot: a request told Retry-After: 2 gives it up while it waits, and
    -- next_timeout says when that wait ends (not 0, not nil).
    local c = hs.client { concurrency = 1, host_backoff = false }
    local waiting = c:add(B .. "/count/" .. "wait" .. os.time() .. math.random(1e9) .. "?fail=1&code=503&h=Retry-After:2")
    for _ = 1, 500 do
      if c:pending() == 1 and c:next_timeout() and c:next_timeout() > 1 then break end
      c:poll(0.01)
    end
    local t = c:next_timeout()
    assert.is_true(t > 1 and t <= 3.1, "next_timeout " .. tostring(t)) -- 2 s, give or take the Date second
    local other = c:add(B .. "/status/204")
    while not other:done() do c:poll(0.05) end
    assert.is_false(waiting:done()) -- the other finished inside the 2 s wait
    assert.is_true(other:result().timing.queue < 0.5, "queued " .. other:result().timing.queue)
    c:run()
    assert.are.equal(200, waiting:result().status)
    c:close()
  end)

  it("defaults to 64 requests in flight, per_host the same", function()
    hs.get(B .. "/stats/reset")
    local c = hs.client {}
    local list = {}
    for i = 1, 100 do list[i] = B .. "/status/200?stall_ms=500&i=" .. i end
    c:run_all(list)
    c:close()
    local stats = cjson.decode(hs.get(B .. "/stats").body)
    assert.are.equal(64, stats.max_in_flight)
  end)

  it("never has more than concurrency requests in flight", function()
    hs.get(B .. "/stats/reset")
    local c = hs.client { concurrency = 5, per_host = 50 }
    local list = {}
    for i = 1, 40 do list[i] = B .. "/status/200?stall_ms=30&i=" .. i end
    c:run_all(list)
    c:close()
    local stats = cjson.decode(hs.get(B .. "/stats").body)
    assert.is_true(stats.max_in_flight <= 5)
  end)

  it("returns run_all results in input order, with per-request options", function()
    local c = hs.client { timeout = 5 }
    local r = c:run_all { B .. "/status/200?stall_ms=50", { url = B .. "/status/404", method = "HEAD" }, B .. "/status/204" }
    c:close()
    assert.are.same({ 200, 404, 204 }, { r[1].status, r[2].status, r[3].status })
    assert.are.equal("HEAD", r[2].method)
  end)

  it("uses the client's options as defaults, overridable per request", function()
    local c = hs.client { headers = { ["X-Default"] = "d" }, retry = false }
    local r = c:run_all { B .. "/echo", { url = B .. "/echo", headers = { ["X-Default"] = "o" } },
                          B .. "/status/503?h=Retry-After:0" }
    c:close()
    assert.are.equal("d", r[1].hops[1].request_headers:get("X-Default"))
    assert.are.equal("o", r[2].hops[1].request_headers:get("X-Default"))
    assert.are.equal(1, #r[3].attempts)
  end)

  it("calls each callback once, only from poll/run, never from add", function()
    local c = hs.client {}
    local calls = 0
    local h = c:add(B .. "/status/200", function(res, handle)
      calls = calls + 1
      assert.are.equal(200, res.status)
    end)
    assert.are.equal(0, calls)
    assert.is_false(h:done())
    c:run()
    assert.are.equal(1, calls)
    assert.is_true(h:done())
    assert.are.equal(200, h:result().status)
    c:poll(0)
    assert.are.equal(1, calls)
    c:close()
  end)

  it("poll(0) returns at once and reports what is pending", function()
    local c = hs.client {}
    c:add(B .. "/status/200?stall_ms=3000")
    -- Wall time, in whole seconds (os.clock would not see a poll blocked in poll(2)):
    -- a poll(0) that waited for the 3 s answer could not stay within one second tick.
    local t0 = os.time()
    local pending = c:poll(0)
    assert.is_true(os.time() - t0 <= 1)
    assert.are.equal(1, pending)
    assert.is_number(c:next_timeout())
    c:run()
    assert.are.equal(0, c:poll(0))
    assert.is_nil(c:next_timeout())
    c:close()
  end)

  it("poll(0) runs callbacks only for its time slice and keeps the rest for the next poll", function()
    local c = hs.client { concurrency = 8 }
    local total, done = 12, 0
    local function slow_callback() -- 3 ms of CPU: longer than a poll(0)'s slice
      done = done + 1
      local t = os.clock()
      while os.clock() - t < 0.003 do end
    end
    for i = 1, total do c:add(B .. "/status/200?i=" .. i, slow_callback) end
    local most, polls, kept = 0, 0, 0
    while done < total do
      local before = done
      local pending = c:poll(0)
      polls = polls + 1
      most = math.max(most, done - before)
      assert.are.equal(total - done, pending) -- what waits is counted, none is lost
      if c.core:kept() > 0 then -- results kept for the next poll: the host is told to poll now
        kept = kept + 1
        assert.are.equal(0, c:next_timeout())
      end
      assert.is_true(polls < 100000)
    end
    assert.are.equal(1, most) -- never two 3 ms callbacks in one poll(0)
    assert.is_true(kept > 0)
    assert.are.equal(0, c:pending())
    c:close()
  end)

  it("frees results nobody keeps as they come (the collector is told their size)", function()
    -- A weak table sees which results are still alive when run() returns, no collection
    -- asked for by the test: 1500 results of 100 KB bodies (kept in C) must not all be.
    local c = hs.client { concurrency = 16 }
    local seen = setmetatable({}, { __mode = "v" })
    for i = 1, 1500 do
      c:add(B .. "/status/200?bytes=100000&i=" .. i, function(res) seen[i] = res end)
    end
    c:run()
    c:close()
    local alive = 0
    for _ in pairs(seen) do alive = alive + 1 end
    assert.is_true(alive < 500, alive .. " of 1500 results still alive")
  end)

  it("keeps results whole after their client is gone: request heads, findings, JSON", function()
    -- A result is a packed copy that shares its hops' request heads with the client's
    -- other results; each head lives while any result that sent it does.
    local c = hs.client { concurrency = 4, headers = { ["X-Kept"] = "yes" } }
    local port = tostring(srv.port)
    local list = {
      B .. "/redirect/2?loc=absolute&host=localhost", -- two hosts, two heads
      B .. "/status/405",                             -- a finding
    }
    for i = 1, 50 do list[#list + 1] = B .. "/status/200?i=" .. i end
    local results = c:run_all(list)
    c:close()
    c = nil
    local keep = { results[1], results[2] }
    results = nil
    for _ = 1, 3 do
      local junk = {}
      for i = 1, 20000 do junk[i] = { i } end
      collectgarbage()
    end
    local r = keep[1]
    assert.are.equal(3, #r.hops)
    assert.are.equal("127.0.0.1:" .. port, r.hops[1].request_headers:get("Host"))
    assert.are.equal("localhost:" .. port, r.hops[2].request_headers:get("Host"))
    assert.are.equal("localhost:" .. port, r.hops[3].request_headers:get("Host"))
    assert.are.equal("yes", r.hops[1].request_headers:get("X-Kept"))
    local f = keep[2].findings
    assert.are.equal("missing-allow", f[1] and f[1].id)
    assert.are.same(f, keep[2].findings)
    local json = cjson.decode(keep[2]:to_json())
    assert.are.equal("missing-allow", json.findings[1].id)
    assert.are.equal(keep[2]:to_json(), keep[2]:to_json())
  end)

  it("refuses to read a collected result's request heads from a finalizer", function()
    -- Lua runs finalizers newest first: the holder's runs after the anchors' of the
    -- results it holds, whose heads are gone by then.
    local seen = {}
    local holder = setmetatable({}, { __gc = function(t)
      for _, r in ipairs(t) do
        seen.status = r.status
        seen.headers_ok = pcall(function() return r.headers, r.body, r.timing end)
        seen.ok, seen.err = pcall(function() return r.hops end)
        seen.json_ok = pcall(r.to_json, r)
      end
    end })
    do
      local c = hs.client { concurrency = 1, headers = { ["X-Finalizer"] = "yes" } }
      holder[1] = c:run_all({ B .. "/status/200" })[1]
      c:close()
    end
    holder = nil
    collectgarbage()
    collectgarbage()
    assert.are.equal(200, seen.status)
    assert.is_true(seen.headers_ok) -- fields that do not read request heads still build
    assert.is_false(seen.ok)
    assert.matches("collected", seen.err)
    assert.is_false(seen.json_ok)
  end)

  it("sets a pooled handle's per-try options again when they change, and only then", function()
    -- One connection, one handle: every request reuses the last one's handle.
    local c = hs.client { concurrency = 1 }
    local function run(url, opts)
      opts = opts or {}
      opts.url = B .. url
      local h = c:add(opts)
      c:run()
      return h:result()
    end
    assert.are.equal(200, run("/status/200?stall_ms=300").status)             -- no timeout
    local r = run("/status/200?stall_ms=3000", { timeout = 0.2 })
    assert.are.equal("timeout", r.error and r.error.kind)                       -- one set
    assert.are.equal(200, run("/status/200?stall_ms=300").status)             -- and cleared
    assert.are.equal(200, run("/status/200?stall_ms=300", { timeout = 5 }).status)
    c:close()
  end)

  it("sends every URL's own origin, path and query from one handle serving many", function()
    -- One handle for all (concurrency 1): it keeps the parts of its last plain URL and
    -- changes only what differs. A POST between resets the handle; '%' escapes are
    -- sent as written (the URL goes whole then); a redirect hop is a plain URL too.
    local two <close> = helper.start_server { ports = 2 }
    local p1, p2 = two.ports[1], two.ports[2]
    local o1, o2 = "http://127.0.0.1:" .. p1, "http://127.0.0.1:" .. p2
    local c = hs.client { concurrency = 1 }
    local cases = {
      { o1 .. "/echo?a=1", "/echo?a=1", p1 },
      { o1 .. "/echo/x", "/echo/x", p1 },
      { o2 .. "/echo?b=2&c", "/echo?b=2&c", p2 },
      { { url = o2 .. "/echo?post", method = "POST", body = "x" }, "/echo?post", p2 },
      { o2 .. "/echo/y?z", "/echo/y?z", p2 },
      { o1 .. "/echo/%7Ea?q=%2F", "/echo/%7Ea?q=%2F", p1 },
      { o1 .. "/echo?after", "/echo?after", p1 },
      { o1 .. "/to" .. helper.qs { url = o2 .. "/echo?hop" }, "/echo?hop", p2 },
      { o2 .. "/echo", "/echo", p2 },
    }
    local list = {}
    for i, case in ipairs(cases) do list[i] = case[1] end
    local results = c:run_all(list)
    c:close()
    for i, case in ipairs(cases) do
      local r = results[i]
      assert.are.equal(200, r.status, "case " .. i)
      local echo = cjson.decode(r.body)
      assert.are.equal(case[2], echo.path, "case " .. i)
      assert.are.equal(case[3], echo.port, "case " .. i)
      local host
      for _, pair in ipairs(echo.headers) do if pair[1]:lower() == "host" then host = pair[2] end end
      assert.are.equal("127.0.0.1:" .. case[3], host, "case " .. i)
    end
  end)

  -- The first error is kept, as hs.request keeps it: a later one is often its consequence.
  it("keeps the first of several on_interim errors", function()
    local n = 0
    local c = hs.client { on_interim = function() n = n + 1; error("interim error " .. n) end }
    local h = c:add(B .. "/status/200?interim=103&interim=103&interim=103")
    c:run()
    assert.are.equal(3, n)
    assert.are.equal(3, #h:result().interim)
    assert.matches("interim error 1", h:result().callback_error)
    c:close()
    n = 0
    local res = hs.get(B .. "/status/200?interim=103&interim=103", { on_interim = function() n = n + 1; error("interim error " .. n) end })
    assert.are.equal(2, n)
    assert.matches("interim error 1", res.callback_error)
  end)

  -- A handle is a userdata (one block for the collector to read): fields set on it
  -- are kept as on a table, each handle its own.
  it("keeps fields set on a handle, its own to each", function()
    local c = hs.client {}
    local h, other = c:add(B .. "/status/200"), c:add(B .. "/status/201")
    h.tag, h[1] = "first", "one"
    assert.are.equal("first", h.tag)
    assert.are.equal("one", h[1])
    assert.is_nil(other.tag)
    assert.are.equal(c, h.client)
    assert.matches("^httpstatus.handle: ", tostring(h))
    c:run()
    assert.is_true(h:done())
    assert.are.equal("first", h.tag)
    assert.are.equal(201, other:result().status)
    assert.is_false(other:cancel())
    assert.error_matches(function() h.done(42) end, "httpstatus.handle expected")
    c:close()
  end)

  it("keeps a raising client on_interim's error, and a raising resumed coroutine's", function()
    local c = hs.client { on_interim = function() error("interim boom") end }
    local h = c:add(B .. "/status/200?interim=103")
    c:run()
    assert.matches("interim boom", h:result().callback_error)
    local co = coroutine.create(function()
      c:await(c:add(B .. "/status/204"))
      error("after await")
    end)
    coroutine.resume(co)
    local h2
    for _, x in pairs(c.handles) do h2 = x end
    c:run()
    assert.are.equal("dead", coroutine.status(co))
    assert.matches("after await", h2:result().callback_error)
    c:close()
  end)

  it("leaves a stopped collector stopped", function()
    local collected = false
    setmetatable({}, { __gc = function() collected = true end }) -- garbage from here on
    collectgarbage("stop")
    local c = hs.client { concurrency = 16 }
    local results = 0
    for i = 1, 400 do c:add(B .. "/status/200?body=" .. string.rep("x", 500) .. "&i=" .. i, function() results = results + 1 end) end
    c:run()
    c:close()
    local was_collected = collected
    collectgarbage("restart")
    assert.are.equal(400, results)
    assert.is_false(was_collected)
  end)

  it("run and close deliver what a poll(0) kept for later", function()
    local c = hs.client { concurrency = 8 }
    local done = 0
    local function slow_callback()
      done = done + 1
      local t = os.clock()
      while os.clock() - t < 0.003 do end
    end
    for i = 1, 6 do c:add(B .. "/status/200?i=" .. i, slow_callback) end
    while done == 0 do c:poll(0) end
    c:run()
    assert.are.equal(6, done)
    for i = 1, 6 do c:add(B .. "/status/204?i=" .. i, slow_callback) end
    while done == 6 do c:poll(0) end
    c:close()
    assert.is_true(done > 6)
  end)

  it("cancel: true while pending, the callback runs once at the next poll, error cancelled", function()
    local c = hs.client { concurrency = 1 }
    local seen = {}
    local h1 = c:add(B .. "/status/200?stall_ms=2000", function(res) seen[#seen + 1] = res.error and res.error.kind end)
    local h2 = c:add(B .. "/status/200", function(res) seen[#seen + 1] = res.error and res.error.kind end)
    c:poll(0)
    assert.is_true(h1:cancel())
    assert.is_true(h2:cancel())   -- still queued
    assert.are.equal(0, #seen)    -- not inside cancel
    c:poll(0)
    assert.are.same({ "cancelled", "cancelled" }, seen)
    assert.is_false(h1:cancel())
    assert.are.equal(1, #h1:result().hops)
    c:close()
  end)

  it("keeps going when a callback raises, and keeps the error with that result", function()
    local c = hs.client {}
    local h = c:add(B .. "/status/200", function() error("callback broke") end)
    local ok_calls = 0
    c:add(B .. "/status/200", function() ok_calls = ok_calls + 1 end)
    c:run()
    assert.are.equal(1, ok_calls)
    assert.matches("callback broke", h:result().callback_error)
    c:close()
  end)

  it("keeps a yielding callback's error with its result, and the client goes on", function()
    -- Callbacks run from C: one cannot suspend the poll that runs it.
    local c = hs.client {}
    local after = 0
    local h = c:add(B .. "/status/200", function() coroutine.yield("no") end)
    c:add(B .. "/status/204", function() after = after + 1 end)
    local co = coroutine.create(function() c:run() return "ran" end)
    local ok, v = coroutine.resume(co)
    assert.is_true(ok)
    assert.are.equal("ran", v)
    assert.are.equal(1, after)
    assert.matches("yield", h:result().callback_error)
    assert.are.equal(0, c:poll(0)) -- not left inside a callback
    c:close()
  end)

  it("delivers requests added from callbacks, in the same run", function()
    local c = hs.client { concurrency = 2 }
    local statuses = {}
    local function chain(res)
      statuses[#statuses + 1] = res.status
      if #statuses < 5 then c:add(B .. "/status/" .. (200 + #statuses), chain) end
    end
    c:add(B .. "/status/200", chain)
    c:run()
    assert.are.same({ 200, 201, 202, 203, 204 }, statuses)
    assert.are.equal(0, c:pending())
    c:close()
  end)

  it("refuses poll and run from inside a callback", function()
    local c = hs.client {}
    local err1, err2
    c:add(B .. "/status/200", function()
      local ok, e = pcall(c.poll, c, 0); err1 = not ok and e
      ok, e = pcall(c.run, c); err2 = not ok and e
    end)
    c:run()
    assert.matches("inside a callback", err1)
    assert.matches("inside a callback", err2)
    c:close()
  end)

  it("refuses close from inside a callback, and the client goes on", function()
    local c = hs.client {}
    local err
    local h1 = c:add(B .. "/status/200", function()
      local ok, e = pcall(c.close, c); err = not ok and e
    end)
    local h2 = c:add(B .. "/status/204")
    c:run()
    assert.matches("inside a callback", err)
    assert.is_false(c.closed)
    assert.are.equal(200, h1:result().status)
    assert.are.equal(204, h2:result().status)
    c:close()
  end)

  it("merges a request's retry options into the client's key by key", function()
    -- The client says 4 attempts, a 5 s base wait and no jitter; the request changes only
    -- the base wait: it must get 4 attempts (a whole-table replace would give the default 3)
    -- and its own 10 ms wait (the client's 5 s, were its key lost or overridden).
    local key = "merge" .. tostring(os.time()) .. tostring(math.random(1e9))
    local c = hs.client { retry = { attempts = 4, base = 5, jitter = false } }
    local h = c:add { url = B .. "/count/" .. key .. "?fail=5&code=503", retry = { base = 0.01 } }
    c:run()
    c:close()
    local res = h:result()
    assert.are.equal(4, #res.attempts)
    assert.are.equal(503, res.status)
    assert.is_true(res.attempts[1].wait < 0.5, "waited " .. tostring(res.attempts[1].wait))
  end)

  it("close cancels everything pending; <close> works", function()
    local seen, handles, cancels = 0, {}, {}
    do
      local c <close> = hs.client {}
      for i = 1, 5 do handles[i] = c:add(B .. "/status/200?stall_ms=5000&i=" .. i, function(res)
        assert.are.equal("cancelled", res.error.kind)
        seen = seen + 1
        cancels[#cancels + 1] = handles[6 - seen]:cancel() -- close cancelled them all already
      end) end
      c:poll(0)
    end
    assert.are.equal(5, seen)
    assert.are.same({ false, false, false, false, false }, cancels)
  end)

  it("garbage-collects a client with requests in flight cleanly", function()
    for _ = 1, 3 do
      local c = hs.client {}
      for i = 1, 10 do c:add(B .. "/status/200?stall_ms=1000&i=" .. i) end
      c:poll(0)
      c = nil
      collectgarbage()
      collectgarbage()
    end
    assert.are.equal(200, hs.get(B .. "/status/200").status)
  end)

  it("closes the connections of a client collected with requests in flight", function()
    local function stats() return cjson.decode(hs.get(B .. "/stats").body) end
    local before = stats().connections -- what other tests' clients still hold, if any
    local c = hs.client { concurrency = 4 }
    for i = 1, 4 do c:add(B .. "/status/200?stall_ms=10000&i=" .. i) end
    -- Until the server holds all four (each poll waits on the sockets, at most 10 ms).
    local s
    for _ = 1, 500 do
      c:poll(0.01)
      s = stats()
      if s.connections == before + 4 then break end
    end
    assert.are.equal(before + 4, s.connections)
    c = nil
    collectgarbage()
    collectgarbage()
    -- The server sees the four connections close (a /stats request or two later: it
    -- notices each end on its next turn through its sockets).
    for _ = 1, 100 do
      s = stats()
      if s.connections == before then break end
    end
    assert.are.equal(before, s.connections)
  end)

  it("await yields inside a coroutine, and refuses to block outside one", function()
    local c = hs.client {}
    local h = c:add(B .. "/status/200?stall_ms=50")
    assert.error_matches(function() c:await(h) end, "coroutine")
    local got = {}
    local co = coroutine.wrap(function()
      got[1] = c:await(c:add(B .. "/status/201")).status
      got[2] = hs.get(B .. "/status/202", { client = c }).status
    end)
    co()
    c:run()
    assert.are.same({ 201, 202 }, got)
    c:close()
  end)

  it("raises on bad arguments", function()
    assert.error_matches(function() hs.client { concurrency = 0 } end, "concurrency")
    assert.error_matches(function() hs.client { timout = 1 } end, "unknown option 'timout'")
    local c = hs.client {}
    assert.error_matches(function() c:add { url = B, retries = 3 } end, "unknown option 'retries'")
    assert.error_matches(function() c:add(B, 42) end, "bad argument #2 to 'add'")
    c:close()
  end)

  -- add is a C function on a plain URL and hands tables on to Lua: either way its
  -- errors name the argument and point at the line that called add.
  it("points add's errors at the caller's line", function()
    local c = hs.client {}
    local here = "client_spec.lua:" .. debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() c:add(B, 42) end)
    assert.is_false(ok)
    assert.matches(here .. ": bad argument #2 to 'add' %(function expected, got number%)", err)
    here = "client_spec.lua:" .. debug.getinfo(1, "l").currentline + 1
    ok, err = pcall(function() c:add { url = 42 } end)
    assert.matches(here .. ": bad argument #1 to 'add' %(option 'url': string expected, got number%)", err)
    here = "client_spec.lua:" .. debug.getinfo(1, "l").currentline + 1
    ok, err = pcall(function() c:add(42) end)
    assert.matches(here .. ": bad argument #1 to 'add' %(string or table expected, got number%)", err)
    ok, err = pcall(function() c.add(B) end) -- a dot for a colon
    assert.matches("bad argument #1 to 'add' (not the client this add belongs to)", err, 1, true)
    local other = hs.client {}
    ok, err = pcall(function() c.add(other, B) end)
    assert.matches("not the client this add belongs to", err, 1, true)
    other:close()
    c:close()
    here = "client_spec.lua:" .. debug.getinfo(1, "l").currentline + 1
    ok, err = pcall(function() c:add(B) end)
    assert.matches(here .. ": the client is closed", err)
  end)
end)
