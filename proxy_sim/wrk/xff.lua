-- xff.lua - a wrk script that sends georace-style traffic: client addresses
-- drawn from the ranges of a Zoraxy-style CSV (start,end,CC), carried in
-- X-Forwarded-For, in bursts of about six requests from one address (a page
-- view), one address in five IPv6.
--
--   wrk -t2 -c32 -d10s -s proxy_sim/wrk/xff.lua http://127.0.0.1:8080/ [-- FILE.csv [SEED]]
--
-- FILE.csv is the database the proxy uses. Without it, the script takes
-- $GEORACE_CSV, else the generated default database of the default build
-- (build/default/cache/dbgen/georace-default.csv beside this script's
-- checkout), which is what 'georace proxy' uses without --db. The target
-- must trust the sender as a proxy (georace proxy does for loopback by
-- default). wrk measures throughput and latency only; 'georace load' also
-- checks every answer against ground truth.

local v4, v6 = {}, {}
local burst_left, current = 0, nil

local function ipv4_to_num(s)
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end

local function num_to_ipv4(n)
  return string.format("%d.%d.%d.%d", math.floor(n / 16777216) % 256,
    math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end

-- Say what is wrong and stop wrk, instead of a Lua stack trace.
local function die(msg)
  io.stderr:write("xff.lua: " .. msg .. "\n")
  os.exit(1)
end

-- The generated default database, found from this script's own path.
local function default_csv()
  local here = debug.getinfo(1, "S").source:match("^@(.*)/wrk/[^/]*$") or "proxy_sim"
  return here .. "/../build/default/cache/dbgen/georace-default.csv"
end

local function load_csv(path)
  local f = io.open(path, "r")
  if not f then
    die("cannot open '" .. path .. "': pass the CSV after -- (wrk ... -s xff.lua URL -- FILE.csv)"
      .. " or build the default database (cmake --workflow --preset default)")
  end
  for line in f:lines() do
    local s, e = line:match("^%s*([^,#%s]+)%s*,%s*([^,%s]+)%s*,")
    if s then
      local ns, ne = ipv4_to_num(s), ipv4_to_num(e)
      if ns and ne and ne >= ns then
        v4[#v4 + 1] = { ns, ne }
      elseif s:find(":", 1, true) then
        v6[#v6 + 1] = s
      end
    end
  end
  f:close()
  if #v4 == 0 and #v6 == 0 then
    die("no address ranges in '" .. path .. "' (lines of start,end,CC)")
  end
end

-- A random address of a random range. IPv6: the range's first address, or
-- a random last group when the range starts on a "::" boundary (the ranges
-- of a geo database are far larger than 2^16 addresses).
local function draw()
  if #v6 > 0 and (#v4 == 0 or math.random() < 0.2) then
    local s = v6[math.random(#v6)]
    if s:sub(-2) == "::" then
      return s .. string.format("%x", math.random(1, 65535))
    end
    return s
  end
  local r = v4[math.random(#v4)]
  return num_to_ipv4(r[1] + math.floor(math.random() * (r[2] - r[1] + 1)))
end

function init(args)
  local seed = tonumber(args[2]) or os.time()
  -- every wrk thread gets its own stream
  math.randomseed(seed + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0) % 100000)
  load_csv(args[1] or os.getenv("GEORACE_CSV") or default_csv())
end

function request()
  if burst_left == 0 then
    current = draw()
    burst_left = math.random(1, 11) -- about six per page view
  end
  burst_left = burst_left - 1
  return wrk.format("GET", nil, { ["X-Forwarded-For"] = current })
end
