"""The Lua step shared by the stores that cap how many live things an account holds (OAuth tokens
per app, open streams): a sorted set scored by age, trimmed to its cap, each trimmed member's
own key deleted with it, all inside the caller's script so parallel claims cannot both slip under
the cap.
"""
from __future__ import annotations


def evict_oldest_past_cap(cap: str, member_key_prefix: str) -> str:
    """Lua that trims the sorted set ``KEYS[1]`` to ``cap`` members (a Lua expression, e.g.
    ``"ARGV[3]"``), deletes ``<prefix><member>`` for each member trimmed and returns them, oldest
    first. It ends the script: put it last."""
    return f"""
local over = redis.call('ZCARD', KEYS[1]) - tonumber({cap})
if over <= 0 then return {{}} end
local oldest = redis.call('ZRANGE', KEYS[1], 0, over - 1)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
for _, m in ipairs(oldest) do redis.call('DEL', {member_key_prefix} .. m) end
return oldest
"""
