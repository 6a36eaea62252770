-- The game server running a match keeps its players' claims, and the match's record, alive.
-- ARGV: prefix, match id, ttl_ms, player ids... Returns the players whose claim no longer names this match (it lapsed): the match
-- must let them go without writing for them.
local prefix, match, ttl = ARGV[1], ARGV[2], ARGV[3]
local lost = {}
redis.call('PEXPIRE', prefix .. ':match:' .. match, ttl)
for i = 4, #ARGV do
  local key = prefix .. ':claim:' .. ARGV[i]
  local held = redis.call('GET', key)
  if held and string.match(held, '^(%d+) ') == match then
    redis.call('PEXPIRE', key, ttl)
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
