-- Let a match's players go (the match ended, or they never arrived). ARGV: prefix, match id,
-- player ids... Only claims that still name this match are removed. Returns how many were.
local prefix, match = ARGV[1], ARGV[2]
local released = 0
for i = 3, #ARGV do
  local key = prefix .. ':claim:' .. ARGV[i]
  local held = redis.call('GET', key)
  if held and string.match(held, '^(%d+) ') == match then
    redis.call('DEL', key)
    released = released + 1
  end
end
return released
