-- wrk script: judges submitting scorecards. Each line of the pairs file is "TOKEN PATH"; requests
-- cycle through the pairs (each thread from its own offset) and alternate the values, and the
-- comment differs every time, so every request is a real revision of a judge's own scorecard (a
-- scorecard sent as it is stored changes nothing and would cost less than the reference's write).
local pairs = {}
local counter = 0
local threads = 0

-- Each thread gets its own number: the threads' random generators start alike, and without it
-- two threads would send the same bodies in the same order (the second one changing nothing).
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  for line in io.lines(args[1]) do
    local token, path = line:match("^(%S+) (%S+)$")
    table.insert(pairs, {token = token, path = path})
  end
  math.randomseed(os.time() * 1000 + id)
  counter = tonumber(args[2] or "0") + math.random(0, #pairs - 1)
end

function request()
  counter = counter + 1
  local pair = pairs[(counter % #pairs) + 1]
  local value = (counter % 9) + 1
  local body = string.format('{"scores": {"innovation": %d, "impact": %d, "feasibility": %d}, "comment": "benchmark %d-%d"}',
    value, 10 - value, value, counter, math.random(1, 1000000000))
  return wrk.format("PUT", pair.path, {["Authorization"] = "Bearer " .. pair.token, ["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
