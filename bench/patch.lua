-- wrk script: OCPI EVSE status PATCHes to random EVSEs of the benchmark's inventory.
--
--   wrk -t4 -c32 -d20s --latency -s bench/patch.lua http://127.0.0.1:PORT \
--       -- "Token <base64 TOKEN_C>" /api/2.2.1/locations/ES/BEN 1000 2
--
-- Arguments after `--`: the Authorization header, the locations URL prefix of the
-- party, the number of locations and of EVSEs per location. bench/ingest.py names
-- locations LOC0001… and their EVSEs LOC0001-1, LOC0001-2…, and passes these itself.
-- A response whose body lacks "status_code":1000 counts as a failure, whatever its
-- HTTP status; done() prints the count (bench/ingest.py reads that line).

-- Every EVSE status but REMOVED: removal is a rare inventory change, not status churn.
local statuses = {
  "AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER",
  "PLANNED", "RESERVED", "UNKNOWN",
}

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("number", counter)
  table.insert(threads, thread)
end

-- Per thread (each has its own Lua state). The counters are globals because done()
-- reads them with thread:get, which sees only globals.
local authorization, prefix, locations, evses_per_location
checked, failures, shown = 0, 0, 0

function init(args)
  authorization = args[1]
  prefix = args[2] or "/api/2.2.1/locations/ES/BEN"
  locations = tonumber(args[3] or "1000")
  evses_per_location = tonumber(args[4] or "2")
  -- Without a seed of their own, every thread would PATCH the same EVSEs in step.
  math.randomseed(os.time() * 100 + number)
end

function request()
  local location = math.random(locations)
  local evse = math.random(evses_per_location)
  local path = string.format("%s/LOC%04d/LOC%04d-%d", prefix, location, location, evse)
  local body = string.format(
    '{"status": "%s", "last_updated": "%s"}',
    statuses[math.random(#statuses)],
    os.date("!%Y-%m-%dT%H:%M:%SZ")
  )
  return wrk.format("PATCH", path, {
    ["Authorization"] = authorization,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  checked = checked + 1
  if not (body and string.find(body, '"status_code":1000', 1, true)) then
    failures = failures + 1
    if shown < 3 then  -- a few examples help more than a count alone
      shown = shown + 1
      io.stderr:write(string.format("failed response %d: %s\n", status, tostring(body)))
    end
  end
end

function done(summary, latency, requests)
  local total_checked, total_failures = 0, 0
  for _, thread in ipairs(threads) do
    total_checked = total_checked + thread:get("checked")
    total_failures = total_failures + thread:get("failures")
  end
  io.write(string.format("Checked responses: %d\n", total_checked))
  io.write(string.format("Failed responses: %d\n", total_failures))
end
