-- wrk script of bench/performance/switch_probe.sh: rotating hybrid searches, statuses counted, p50/p99 printed
local queries = {"surveillance", "reconnaissance faciale", "droits humains", "discrimination algorithmique", "vie privée", "intelligence artificielle", "biais", "transparence", "police prédictive", "liberté d'expression", "données personnelles", "amnesty", "charte des valeurs", "action citoyenne", "risques de l'IA ?"}
local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/search?mode=hybrid&q=" .. encode(queries[(i % #queries) + 1]))
end
local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 and not shown then shown = true; io.write("first non-200: " .. status .. " " .. string.sub(body or "", 1, 200) .. "\n") end
end
done = function(summary, latency, requests)
  io.write(string.format("p50 %.1f ms p99 %.1f ms max %.1f ms\n", latency:percentile(50)/1000, latency:percentile(99)/1000, latency.max/1000))
  io.write(string.format("status>=400: %d, socket errors connect %d read %d write %d timeout %d\n", summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
