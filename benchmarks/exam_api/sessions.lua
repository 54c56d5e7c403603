-- wrk script: every thread (one connection each) is one candidate with their own session.
local json_text = io.open(os.getenv("ANPEI_SESSIONS")):read("*a")
local kind = os.getenv("ANPEI_KIND")
local sessions = {}
for cookie, csrf, attempt, question in json_text:gmatch(
    '"cookie": "([^"]*)", "csrf": "([^"]*)", "attempt": (%d+), "question": (%d+)') do
  sessions[#sessions + 1] = {cookie = cookie, csrf = csrf, attempt = attempt, question = question}
end
local counter = 0

function setup(thread)
  counter = counter + 1
  local s = sessions[(counter - 1) % #sessions + 1]
  thread:set("cookie", s.cookie)
  thread:set("csrf", s.csrf)
  thread:set("attempt", s.attempt)
  thread:set("question", s.question)
end

local seq = 0
function request()
  if kind == "health" then
    return wrk.format("GET", "/healthz")
  end
  local headers = {["Cookie"] = cookie, ["X-CSRFToken"] = csrf, ["Content-Type"] = "application/json"}
  if kind == "fetch" then
    return wrk.format("GET", "/api/v1/attempts/" .. attempt, headers)
  end
  seq = seq + 1
  return wrk.format("PUT", "/api/v1/attempts/" .. attempt .. "/answers/" .. question, headers,
                    '{"answer": "A", "seq": ' .. seq .. '}')
end
