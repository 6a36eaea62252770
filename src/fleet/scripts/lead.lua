-- Take or keep the matchmakers' leadership. ARGV: prefix, node name, ttl_ms.
-- Returns the epoch this node leads in, or 0 when another node leads. Every new leadership gets a
-- higher epoch, and claims are accepted only with the current leader's epoch (claim.lua): a leader
-- that was paused past its lease and still acts is refused by Redis itself.
local prefix, node, ttl = ARGV[1], ARGV[2], ARGV[3]
local key = prefix .. ':leader'
local current = redis.call('GET', key)
if current then
  local epoch, holder = string.match(current, '^(%d+) (.*)$')
  if holder == node then
    redis.call('PEXPIRE', key, ttl)
    return tonumber(epoch)
  end
  return 0
end
local epoch = redis.call('INCR', prefix .. ':epoch')
redis.call('SET', key, epoch .. ' ' .. node, 'PX', ttl)
return epoch
