-- wrk script: POST /invoke with the benchmark event and FunctionGraph's
-- X-CFF-* context headers, then print one JSON line with the results.
--
--   BENCH_EVENT=bench/event.json   the event file (default: event.json next to
--                                  the working directory's bench/)
--   BENCH_UNIQUE_ID=1              a distinct X-CFF-Request-Id per request
--                                  (costs wrk some CPU; off by default so the
--                                  load generator stays cheap on 2 cores)
-- Add `-H 'Connection: close'` on wrk's command line for a new connection per
-- request.

local path = os.getenv("BENCH_EVENT") or "bench/event.json"
local f = assert(io.open(path, "rb"))
local event = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = "/invoke"
wrk.body = event
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-CFF-Request-Id"] = "5b0c3a5e-bench-0000-0000-000000000000"
wrk.headers["X-CFF-Memory"] = "256"
wrk.headers["X-CFF-Timeout"] = "30"
wrk.headers["X-CFF-Func-Name"] = "bench-echo"

if os.getenv("BENCH_UNIQUE_ID") == "1" then
  local n = 0
  local prefix
  function init(args)
    prefix = string.format("5b0c3a5e-%08x-", math.random(0, 0x7fffffff))
  end
  function request()
    n = n + 1
    return wrk.format(nil, nil, { ["X-CFF-Request-Id"] = prefix .. n })
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
