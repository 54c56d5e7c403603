-- wrk script: every thread (one connection each) is one candidate with their own session.
local json_text = io.open(os.getenv("ANPEI_SESSIONS")):read("*a")
local kind = os.getenv("ANPEI_KIND")
local sessions = {}
for cookie, csrf, attempt, questions in json_text:gmatch(
    '"cookie": "([^"]*)", "csrf": "([^"]*)", "attempt": (%d+), "questions": "([%d,]*)"') do
  sessions[#sessions + 1] = {cookie = cookie, csrf = csrf, attempt = attempt, questions = questions}
end
local counter = 0

function setup(thread)
  counter = counter + 1
  local s = sessions[(counter - 1) % #sessions + 1]
  thread:set("cookie", s.cookie)
  thread:set("csrf", s.csrf)
  thread:set("attempt", s.attempt)
  thread:set("questions", s.questions)
end

-- Above every sequence number an earlier run in the same second-resolution window sent, so
-- that no save of a later phase is stale (a stale save takes the slower, full path).
local seq = (os.time() % 1000000) * 1000
local paper = nil
function request()
  if kind == "health" then
    return wrk.format("GET", "/healthz")
  end
  local headers = {["Cookie"] = cookie, ["X-CSRFToken"] = csrf, ["Content-Type"] = "application/json"}
  if kind == "fetch" then
    return wrk.format("GET", "/api/v1/attempts/" .. attempt, headers)
  end
  if paper == nil then
    paper = {}
    for id in questions:gmatch("%d+") do paper[#paper + 1] = id end
  end
  seq = seq + 1
  local question = paper[(seq - 1) % #paper + 1]
  return wrk.format("PUT", "/api/v1/attempts/" .. attempt .. "/answers/" .. question, headers,
                    '{"answer": "A", "seq": ' .. seq .. '}')
end
