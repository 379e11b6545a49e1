-- make load: simulated users of Relief Tracker, one per wrk thread (-tN -cN).
--
-- LOAD_USERS names a file with one signed-in user per line, tab-separated:
--   role ("patient" or "practitioner") TAB Cookie header value TAB patient ids
--   (a practitioner's patients' public ids, comma-separated; empty for patients)
-- Thread n plays the user on line n.
--
-- A patient: GET /log/ (the form; its csrfmiddlewaretoken is read like a browser
-- would), POST /log/ with a new one-time token (success: 302 to /history/ or to the questions after it), now
-- and then the same POST again at once (a double tap: it must not save twice),
-- then GET /history/. After an error the same step is tried again, a POST with
-- the same token, as a patient pressing "Save" again would.
-- A practitioner: GET /practice/ (the worklist), then one patient's detail page.
--
-- LOAD_PORTS: comma-separated ports of the gunicorn instances on the URL's host;
-- with more than one, each user's requests go to them in turn (sync gunicorn closes
-- every connection, so each request is a new connection to the next instance).
-- LOAD_OUT: a folder; each thread writes thread-<n>.log there:
--   R <time> <kind> <status> <ms>   every response (status 0: no response)
--   S <token> / A <token>           a check-in sent / acknowledged (302 on)
--   D <token> / DA <token>          a double tap sent / acknowledged
-- LOAD_STOP_AT (Unix time): after it, each user stops once its answer is in, so that
-- no request is cut off half-way (run wrk with -d a little longer than that).
-- done() prints "WRK_JSON {...}" with wrk's own totals and socket errors.

-- Where a saved check-in sends the patient: their progress, or first the questions
-- that follow it (weekly, after a session: tracker/followup.py).
local function saved_to(location)
  return location == "/history/"
    or (location ~= nil and location:match("^/log/[%x%-]+/questions/$") ~= nil)
end

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } relief_timespec;
  int clock_gettime(int clock_id, relief_timespec *tp);
]]
local ts = ffi.new("relief_timespec")
local function now()
  ffi.C.clock_gettime(0, ts) -- CLOCK_REALTIME: comparable with Python's time.time()
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local DOUBLE_TAP = tonumber(os.getenv("LOAD_DOUBLE_TAP") or "0.05")
local THINK_MS = tonumber(os.getenv("LOAD_THINK_MS") or "0")
local RETRY_MS = 200 -- a pause after an error before trying again
local RUN_ID = os.getenv("LOAD_RUN") or "00000000"
local STOP_AT = tonumber(os.getenv("LOAD_STOP_AT") or "")

local function split(text, sep)
  local parts = {}
  for part in string.gmatch(text or "", "([^" .. sep .. "]+)") do
    parts[#parts + 1] = part
  end
  return parts
end

local users = {}
for line in io.lines(os.getenv("LOAD_USERS")) do
  local fields = split(line, "\t")
  users[#users + 1] = { role = fields[1], cookie = fields[2], patients = split(fields[3], ",") }
end
local ports = split(os.getenv("LOAD_PORTS") or "", ",")
-- CHECKIN_SYMPTOMS: the check-in form's score fields, comma-separated (scripts/harness.py
-- sets it from tracker/symptoms.py).
local symptoms = split(os.getenv("CHECKIN_SYMPTOMS"), ",")

-- Main Lua state: give each thread its user and its first instance.

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  local n = #threads
  thread:set("thread_no", n)
  if #ports > 1 then
    thread.addr = wrk.lookup(wrk.host, ports[(n - 1) % #ports + 1])[1]
  end
end

-- Each thread's own Lua state.

local user, log, jar
local instances, inst = {}, 1
local step, pending, csrf, token, count = nil, nil, nil, nil, 0
local retry = false

function init(args)
  math.randomseed(math.floor(now() * 1e6) % 2147483647 + thread_no * 7919)
  user = users[thread_no]
  log = io.open(os.getenv("LOAD_OUT") .. "/thread-" .. thread_no .. ".log", "w")
  log:setvbuf("line")
  jar = {}
  for name, value in string.gmatch(user.cookie, "([^=; ]+)=([^;]*)") do
    jar[name] = value
  end
  if #ports > 1 then
    for i, port in ipairs(ports) do
      instances[i] = { addr = wrk.lookup(wrk.host, port)[1], host = wrk.host .. ":" .. port }
    end
    inst = (thread_no - 1) % #ports + 1
  else
    instances[1] = { host = wrk.host .. ":" .. wrk.port }
  end
  step = user.role == "patient" and "form" or "worklist"
end

local function cookie_header()
  local parts = {}
  for name, value in pairs(jar) do
    parts[#parts + 1] = name .. "=" .. value
  end
  table.sort(parts)
  return table.concat(parts, "; ")
end

local function new_token()
  count = count + 1
  return string.format("%s-%04x-4%03x-8%03x-%012x", RUN_ID, thread_no,
    math.random(0, 4095), math.random(0, 4095), count)
end

local function checkin_body(tok)
  local fields = {}
  for i, name in ipairs(symptoms) do
    fields[i] = name .. "=" .. math.random(0, 10)
  end
  -- The token as the note too: random scores repeat, and the same answers again
  -- within minutes are asked about (a 200) instead of saved.
  return "csrfmiddlewaretoken=" .. csrf .. "&" .. table.concat(fields, "&") ..
    "&when=now&note=" .. tok .. "&token=" .. tok
end

local checked = false

function request()
  if not user or (thread_no == 1 and not checked) then
    -- wrk calls request() once in the first thread to check the script; nothing is
    -- sent then (were it sent, its answer is ignored: nothing is pending).
    checked = true
    return wrk.format("GET", "/ping/")
  end
  local t = now()
  if pending then
    -- The connection closed before an answer: an error; the same step runs again.
    log:write(string.format("R %.3f %s 0 %.1f\n", t, pending.kind, (t - pending.t) * 1000))
    retry = true
  end
  -- This request goes over the connection made to instances[inst]; the next one
  -- connects to the next instance.
  local host = instances[inst].host
  if #instances > 1 then
    inst = inst % #instances + 1
    wrk.thread.addr = instances[inst].addr
  end
  local headers = { Host = host, Cookie = cookie_header(), ["User-Agent"] = "relief-load" }
  local method, path, body, kind = "GET", nil, nil, step
  if step == "form" then
    path = "/log/"
  elseif step == "post" or step == "double" then
    if step == "post" and not (retry and token) then
      token = new_token()
      log:write("S " .. token .. "\n")
    elseif step == "double" then
      log:write("D " .. token .. "\n")
    end
    method, path, body = "POST", "/log/", checkin_body(token)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Origin"] = "http://" .. host
    headers["Referer"] = "http://" .. host .. "/log/"
  elseif step == "history" then
    path = "/history/"
  elseif step == "worklist" then
    path = "/practice/"
  else -- a practitioner's patient
    path = "/practice/patients/" .. user.patients[math.random(1, #user.patients)] .. "/"
  end
  pending = { kind = kind, t = t }
  return wrk.format(method, path, headers, body)
end

local function maybe_stop()
  if STOP_AT and now() >= STOP_AT then
    wrk.thread:stop()
  end
end

local NEXT = { form = "post", post = "history", double = "history", history = "form",
  worklist = "detail", detail = "worklist" }

function response(status, headers, body)
  if not pending then
    return
  end
  local t = now()
  local kind, started = pending.kind, pending.t
  pending = nil
  local cookie = headers["Set-Cookie"]
  if cookie then
    local name, value = cookie:match("^([^=]+)=([^;]*)")
    if name then
      if cookie:lower():find("max%-age=0") then jar[name] = nil else jar[name] = value end
    end
  end
  local ok
  if kind == "post" or kind == "double" then
    ok = status == 302 and saved_to(headers["Location"])
  elseif kind == "form" then
    local found = status == 200 and body:match('name="csrfmiddlewaretoken" value="([^"]+)"')
    ok = found and true or false
    csrf = found or csrf
  else
    ok = status == 200
  end
  -- An unexpected status is written negative: -200 is a check-in form shown again.
  log:write(string.format("R %.3f %s %d %.1f\n", t, kind, ok and status or -status,
    (t - started) * 1000))
  if ok then
    if kind == "post" then
      log:write("A " .. token .. "\n")
    elseif kind == "double" then
      log:write("DA " .. token .. "\n")
    end
    retry = false
    step = NEXT[kind]
    if kind == "post" and math.random() < DOUBLE_TAP then
      step = "double"
    end
  else
    retry = true
    if kind == "double" then
      step = "history" -- the first POST was acknowledged; a failed repeat changes nothing
    end
  end
  maybe_stop()
end

function delay()
  return retry and RETRY_MS or THINK_MS
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"status_errors":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status))
end
