-- make bench: one signed-in page, as fast as the server answers.
--
-- BENCH_USERS names a file with one signed-in user per line:
--   <Cookie header value> TAB <csrfmiddlewaretoken from their form>
-- Requests take the users in turn. BENCH_MODE is "get" (a GET of the URL's path,
-- success = BENCH_EXPECT, default 200) or "checkin" (the check-in form POSTed to
-- the URL's path with a new one-time token each time; success = 302 to /history/, or
-- to the questions after the check-in).
-- BENCH_STOP_AT (Unix time, optional): the thread stops once an answer comes in after it,
-- leaving nothing half-way (the harness's own test uses it).
-- done() prints one line "WRK_JSON {...}" for scripts/bench.py.

-- Where a saved check-in sends the patient: their progress, or first the questions
-- that follow it (weekly, after a session: tracker/followup.py).
local function saved_to(location)
  return location == "/history/"
    or (location ~= nil and location:match("^/log/[%x%-]+/questions/$") ~= nil)
end

local mode = os.getenv("BENCH_MODE") or "get"
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local run_id = os.getenv("BENCH_RUN") or "00000000"
local stop_at = tonumber(os.getenv("BENCH_STOP_AT") or "")
local users = {}
for line in io.lines(os.getenv("BENCH_USERS")) do
  local cookie, csrf = line:match("^([^\t]*)\t?(.*)$")
  users[#users + 1] = { cookie = cookie, csrf = csrf }
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_no", #threads) -- a global of that thread's own Lua state
end

ok, bad, other = 0, 0, {}
local turn, count = 0, 0

function init(args)
  math.randomseed(os.time() * 1000 + (thread_no or 0))
end

-- CHECKIN_SYMPTOMS: the form's score fields, comma-separated (scripts/harness.py sets it
-- from tracker/symptoms.py).
local symptoms = {}
for name in string.gmatch(os.getenv("CHECKIN_SYMPTOMS") or "", "([^,]+)") do
  symptoms[#symptoms + 1] = name
end

local function random_scores()
  local fields = {}
  for i, name in ipairs(symptoms) do
    fields[i] = name .. "=" .. math.random(0, 10)
  end
  return table.concat(fields, "&")
end

local function origin()
  return wrk.scheme .. "://" .. wrk.host .. ":" .. wrk.port
end

function request()
  turn = turn % #users + 1
  local user = users[turn]
  local headers = { Cookie = user.cookie }
  if mode == "checkin" then
    count = count + 1
    -- A version-4-shaped UUID, unique per run, thread and request.
    local token = string.format("%s-%04x-4%03x-8%03x-%012x", run_id, thread_no or 0,
      math.random(0, 4095), math.random(0, 4095), count)
    -- The token as the note too: random scores repeat, and the same answers again
    -- within minutes are asked about (a 200) instead of saved.
    local body = "csrfmiddlewaretoken=" .. user.csrf .. "&" .. random_scores() ..
      "&when=now&note=" .. token .. "&token=" .. token
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Origin"] = origin()
    headers["Referer"] = origin() .. wrk.path
    return wrk.format("POST", wrk.path, headers, body)
  end
  return wrk.format("GET", wrk.path, headers)
end

function response(status, headers, body)
  local good
  if mode == "checkin" then
    good = status == 302 and saved_to(headers["Location"])
  else
    good = status == expect
  end
  if good then
    ok = ok + 1
  else
    bad = bad + 1
    local key = tostring(status) .. " " .. (headers["Location"] or "")
    other[key] = (other[key] or 0) + 1
  end
  if stop_at and os.time() >= stop_at then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local good, wrong, kinds = 0, 0, {}
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    wrong = wrong + thread:get("bad")
    for key, n in pairs(thread:get("other")) do
      kinds[#kinds + 1] = string.format("%q:%d", key, n)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"ok":%d,"unexpected":%d,"unexpected_kinds":{%s},' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, good, wrong, table.concat(kinds, ","),
    e.connect, e.read, e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
