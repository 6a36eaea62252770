-- Claim every player of a match for it, all or none, fenced by the leader's epoch, and store the
-- match's record (where it runs, its roster: how a player who drops finds the way back) as long.
-- ARGV: prefix, epoch, match id, ttl_ms, record ('' for none), player ids...
-- Returns {'claimed'}, {'fenced', current leader or ''} when the epoch is not the current leader's,
-- or {'taken', player, holding match} when a player is held for another match. Claiming again for
-- the same match renews it (a retried request claims nothing twice).
local prefix, epoch, match, ttl, record = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local leader = redis.call('GET', prefix .. ':leader')
if not leader or string.match(leader, '^(%d+) ') ~= epoch then
  return {'fenced', leader or ''}
end
for i = 6, #ARGV do
  local held = redis.call('GET', prefix .. ':claim:' .. ARGV[i])
  if held then
    local holder = string.match(held, '^(%d+) ')
    if holder ~= match then
      return {'taken', ARGV[i], holder}
    end
  end
end
for i = 6, #ARGV do
  redis.call('SET', prefix .. ':claim:' .. ARGV[i], match .. ' ' .. epoch, 'PX', ttl)
end
if record ~= '' then
  redis.call('SET', prefix .. ':match:' .. match, record, 'PX', ttl)
end
return {'claimed'}
