-- wrk script for bench/run.py: sets the method and body, counts 2xx responses
-- exactly, and prints one machine-readable line at the end.
--
-- bench/run.py passes the request through the environment (headers go on the
-- command line with -H):
--   BENCH_METHOD     GET, POST, ...
--   BENCH_BODY_FILE  a file whose bytes are the request body (optional)
--
-- wrk itself only counts status >= 400 as an error, so a 3xx would pass as a
-- success; counting 2xx here is what "successful responses only" means.

local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then
  wrk.method = method
end

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local handle = assert(io.open(body_file, "rb"))
  wrk.body = handle:read("*a")
  handle:close()
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  not_2xx = 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    not_2xx = not_2xx + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad = 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("not_2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"ok": %d, "not_2xx": %d, "requests": %d, "duration_us": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    total_ok, total_bad, summary.requests, summary.duration,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max,
    e.connect, e.read, e.write, e.timeout))
end
