-- wrk script for benches/ingest.sh: each request POSTs one report to /api/v1/actuals, taken in
-- turn from the bodies file (one JSON object per line, valid against the demo data), with the
-- Secretariat token. Responses other than 201 are counted and printed at the end.
local bodies = {}
local token = os.getenv("APO_TOKEN")
local file = os.getenv("INGEST_BODIES")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(file) do
    bodies[#bodies + 1] = line
  end
  n = math.random(#bodies)
  refused = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  n = n % #bodies + 1
  return wrk.format(nil, "/api/v1/actuals", nil, bodies[n])
end

function response(status, headers, body)
  if status ~= 201 then
    refused = refused + 1
    if refused <= 3 then
      io.stderr:write("answer " .. status .. ": " .. body .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local refusals = 0
  for _, t in ipairs(threads) do
    refusals = refusals + t:get("refused")
  end
  io.write(string.format("RESULT requests=%d took_s=%.3f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f not_201=%d errors=%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    refusals, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
