-- wrk script for bench/run_serve_bench.sh: each request asks for the top K of a
-- user drawn at random from USERS_FILE (one id per line), so the server sees the
-- whole user base rather than one hot user.
local ids = {}
for line in io.lines(os.getenv("USERS_FILE")) do ids[#ids + 1] = line end
local k = os.getenv("K") or "10"
math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
request = function()
  return wrk.format("GET", "/v1/recommendations/" .. ids[math.random(#ids)] .. "?k=" .. k)
end
