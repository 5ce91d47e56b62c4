-- Text for people: explain(code) and the multi-line report of a result.
-- The wording may change between releases; finding ids and fields do not.
local R = {}

local is_secret <const> = require("httpstatus.core").is_secret_header

local function ms(s)
  if s == nil then return "-" end
  return string.format("%.1f ms", s * 1000)
end

local function explain_code(hs, code)
  local d, err = hs.describe(code)
  if not d then return nil, err end
  local out = {}
  if d.known then
    out[#out + 1] = string.format("%d %s (%s, %s)", d.code, d.reason, d.class:gsub("_", " "), d.spec)
    out[#out + 1] = d.description
    if d.advice then out[#out + 1] = "What to do: " .. d.advice end
    local flags = {}
    for _, f in ipairs { "retryable", "cacheable", "deprecated", "experimental", "webdav" } do
      if d[f] then flags[#flags + 1] = f end
    end
    if #flags > 0 then out[#out + 1] = "Flags: " .. table.concat(flags, ", ") end
    if #d.aliases > 0 then out[#out + 1] = "Also known as: " .. table.concat(d.aliases, ", ") end
  else
    local base = hs.describe(d.treat_as)
    out[#out + 1] = string.format("%d is not a registered status code (%s)", d.code, d.class:gsub("_", " "))
    out[#out + 1] = string.format("A client treats it as %d %s (RFC 9110 §15).", base.code, base.reason)
  end
  return table.concat(out, "\n")
end

local function header_lines(out, indent, headers, show_secrets)
  for name, value in headers:each() do
    if not show_secrets and is_secret(name) then value = "(hidden)" end
    out[#out + 1] = indent .. name .. ": " .. value
  end
end

function R.report(res, opts)
  opts = opts or {}
  local out = { tostring(res) }
  for i, hop in ipairs(res.hops) do
    out[#out + 1] = string.format("hop %d: %s %s -> %s %s", i, hop.method, hop.url,
      hop.status and tostring(hop.status) or "no response", hop.reason or hop.reason_phrase or "")
    for _, it in ipairs(hop.interim) do
      out[#out + 1] = string.format("  interim %d %s at %s", it.status, it.reason_phrase or "", ms(it.at))
      for _, l in ipairs(it.links) do
        out[#out + 1] = string.format("    link <%s> rel=%s%s", l.href, tostring(l.rel), l.as and (" as=" .. l.as) or "")
      end
    end
    if hop.location then out[#out + 1] = "  location: " .. hop.location end
    if opts.headers then header_lines(out, "  < ", hop.headers, opts.show_secrets) end
  end
  if #res.attempts > #res.hops then
    out[#out + 1] = "tries:"
    for _, a in ipairs(res.attempts) do
      out[#out + 1] = string.format("  hop %d at %s: %s%s", a.hop, ms(a.started),
        a.status and tostring(a.status) or (a.error or "?"),
        a.wait and string.format(", waited %.3f s (%s)", a.wait, a.cause or "?") or "")
    end
  end
  local t = res.timing
  out[#out + 1] = string.format("timing: dns %s, connect %s, tls %s, wait %s, receive %s, total %s%s",
    ms(t.dns), ms(t.connect), ms(t.tls), ms(t.wait), ms(t.receive), ms(t.total), t.reused and " (reused connection)" or "")
  if res.tls then
    out[#out + 1] = string.format("tls: %s %s, certificate %s, %s days left%s", res.tls.version or "?", res.tls.cipher or "",
      res.tls.subject or "?", tostring(res.tls.days_left), res.tls.verified and "" or " (not verified)")
  end
  if res.error then out[#out + 1] = string.format("error: %s: %s", res.error.kind, res.error.message or "") end
  for _, f in ipairs(res.findings) do
    out[#out + 1] = string.format("%s %s: %s", f.severity, f.id, f.message)
  end
  return table.concat(out, "\n")
end

function R.explain(hs, x)
  if math.type(x) then return explain_code(hs, x) end
  if type(x) == "userdata" and x.hops then return R.report(x) end
  error("bad argument #1 to 'explain' (status code or result expected, got " .. type(x) .. ")", 3)
end

return R
