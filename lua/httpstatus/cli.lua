-- The httpstatus command line (src/cli/main.c runs main(args)).
local hs = require "httpstatus"
local C = {}

local USAGE <const> = [[
usage: httpstatus URL...                 trace each URL: hops, 1xx, tries, timing, findings
       httpstatus explain CODE|all       what a status code means and what a client should do
       httpstatus check FILE.lua [--format table|json|junit|tap|prometheus] [--concurrency N]
                                 [--fail-on degraded] [--out FILE] [--show-secrets]
       httpstatus run SCRIPT.lua [ARGS]  run a script with the module available]]

local function explain(args)
  local what = args[2]
  if what == "all" then
    for _, code in ipairs(hs.codes()) do
      print(hs.explain(code))
      print()
    end
    return 0
  end
  local code = math.tointeger(tonumber(what or ""))
  if not code then io.stderr:write(USAGE, "\n"); return 2 end
  local text, err = hs.explain(code)
  if not text then io.stderr:write("httpstatus: ", err, "\n"); return 2 end
  print(text)
  return 0
end

local function run(args)
  local script = args[2]
  if not script then io.stderr:write(USAGE, "\n"); return 2 end
  local chunk, err = loadfile(script)
  if not chunk then io.stderr:write("httpstatus: ", err, "\n"); return 2 end
  local script_args = { [0] = script }
  for i = 3, #args do script_args[i - 2] = args[i] end
  _G.arg = script_args
  local ok, rc = xpcall(chunk, debug.traceback, table.unpack(script_args))
  if not ok then io.stderr:write("httpstatus: ", tostring(rc), "\n"); return 1 end
  return math.tointeger(rc) or 0
end

local function trace(args)
  local show_secrets, urls = false, {}
  for _, a in ipairs(args) do
    if a == "--show-secrets" then show_secrets = true else urls[#urls + 1] = a end
  end
  local rc = 0
  local client = hs.client { concurrency = 16, show_secrets = show_secrets }
  local results = client:run_all(urls)
  client:close()
  for i, res in ipairs(results) do
    if i > 1 then print() end
    print(require("httpstatus.report").report(res, { headers = true, show_secrets = show_secrets }))
    if not res.ok then rc = 1 end
  end
  return rc
end

function C.main(args)
  local cmd = args[1]
  if not cmd or cmd == "-h" or cmd == "--help" then
    print(USAGE)
    return cmd and 0 or 2
  elseif cmd == "explain" then return explain(args)
  elseif cmd == "run" then return run(args)
  elseif cmd == "check" then return require("httpstatus.check").main(args)
  else return trace(args) end
end

return C
