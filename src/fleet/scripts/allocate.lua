-- Reserve one match slot on a live game server: regions in the order given, and within a region the
-- server with the fewest free slots first (packed, so quiet servers drain and can be scaled down).
-- ARGV: prefix, match id, deadline_ms (how long the reservation waits for the match's players),
--       regions...
-- Returns {server id, address} or false when no server has room. Asking again for the same match
-- before its deadline returns the same server (a retried request reserves nothing twice).
local prefix, match, deadline = ARGV[1], ARGV[2], tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local placed_key = prefix .. ':placed:' .. match
local placed = redis.call('GET', placed_key)
if placed then
  local address = redis.call('HGET', prefix .. ':server:' .. placed, 'address')
  if address then
    return {placed, address}
  end
end

for r = 4, #ARGV do
  local free_set = prefix .. ':free:' .. ARGV[r]
  while true do
    -- Every server looked at leaves the range (dropped, or scored below 1) or is taken: this ends.
    local ids = redis.call('ZRANGEBYSCORE', free_set, 1, '+inf', 'LIMIT', 0, 16)
    if #ids == 0 then
      break
    end
    for _, id in ipairs(ids) do
      local server = prefix .. ':server:' .. id
      local fields = redis.call('HMGET', server, 'address', 'capacity', 'running')
      if not fields[1] then
        -- Its heartbeat lapsed: the server is gone.
        redis.call('ZREM', free_set, id)
      else
        local reserved = prefix .. ':reserved:' .. id
        redis.call('ZREMRANGEBYSCORE', reserved, '-inf', now)
        local free = tonumber(fields[2]) - tonumber(fields[3]) - redis.call('ZCARD', reserved)
        if free >= 1 then
          redis.call('ZADD', reserved, now + deadline, match)
          redis.call('PEXPIRE', reserved, deadline * 2)
          redis.call('ZADD', free_set, free - 1, id)
          redis.call('SET', placed_key, id, 'PX', deadline)
          return {id, fields[1]}
        end
        redis.call('ZADD', free_set, free, id)
      end
    end
  end
end
return false
