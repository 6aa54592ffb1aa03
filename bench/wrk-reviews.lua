-- wrk script for the HTTPS load section: POSTs the AdmissionReviews in $BENCH_BODIES (one JSON document a line) to
-- /validate in turn, and prints the results as one JSON line (WRK_JSON ...) for bench/https-load.mjs to read.
-- Requests are built once in init(), so request() costs the generator next to nothing.
local requests = {}
local next_index = 0

function init(args)
  local path = os.getenv("BENCH_BODIES")
  local file = assert(io.open(path, "r"), "cannot open BENCH_BODIES=" .. tostring(path))
  for line in file:lines() do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("POST", "/validate", { ["Content-Type"] = "application/json" }, line)
    end
  end
  file:close()
  assert(#requests > 0, "no bodies in " .. path)
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
