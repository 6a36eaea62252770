-- A game server's heartbeat (and its registration: the first report creates the entry).
-- ARGV: prefix, server id, address, region, capacity, ttl_ms, draining (0|1), running match ids...
-- The entry lives ttl_ms after the last report; the matches named are running there, so their
-- reservations are settled. Returns the slots still free.
local prefix, id = ARGV[1], ARGV[2]
local server = prefix .. ':server:' .. id
local reserved = prefix .. ':reserved:' .. id
local free_set = prefix .. ':free:' .. ARGV[4]
local ttl = tonumber(ARGV[6])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local running = #ARGV - 7
redis.call('HSET', server, 'address', ARGV[3], 'region', ARGV[4], 'capacity', ARGV[5],
  'running', running)
redis.call('PEXPIRE', server, ttl)
for i = 8, #ARGV do
  redis.call('ZREM', reserved, ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', reserved, '-inf', now)
local free = tonumber(ARGV[5]) - running - redis.call('ZCARD', reserved)
if ARGV[7] == '1' then
  redis.call('ZREM', free_set, id)
else
  redis.call('ZADD', free_set, free, id)
end
return free
