-- Record the leader a Kubernetes Lease chose, in term TERM (its leaseTransitions). ARGV: prefix,
-- node name, ttl_ms, term. Returns the epoch this node leads in, or 0 when the record belongs to a
-- later (or the same) term of another node: a leader paused past its lease that still writes is
-- refused here, as claim.lua refuses its claims. A new holder gets a new epoch, which fences the
-- claims of the one before. The term is kept beside the record and lapses with it, so a Lease
-- deleted and made again (its terms start over) is followed once the old record lapses.
local prefix, node, ttl, term = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local key, term_key = prefix .. ':leader', prefix .. ':leader_term'
local current = redis.call('GET', key)
if current then
  local epoch, holder = string.match(current, '^(%d+) (.*)$')
  if holder == node then
    redis.call('PEXPIRE', key, ttl)
    redis.call('SET', term_key, term, 'PX', ttl)
    return tonumber(epoch)
  end
  local held_term = tonumber(redis.call('GET', term_key) or '-1')
  if term <= held_term then
    return 0
  end
end
local epoch = redis.call('INCR', prefix .. ':epoch')
redis.call('SET', key, epoch .. ' ' .. node, 'PX', ttl)
redis.call('SET', term_key, term, 'PX', ttl)
return epoch
