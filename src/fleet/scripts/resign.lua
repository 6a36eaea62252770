-- Give up leadership if this node still holds it in this epoch. ARGV: prefix, epoch, node name.
local key = ARGV[1] .. ':leader'
if redis.call('GET', key) == ARGV[2] .. ' ' .. ARGV[3] then
  redis.call('DEL', key)
  return 1
end
return 0
