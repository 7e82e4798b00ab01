"""Feed logic, pure: timelines, shard placement, ranking. No I/O here; the shard actors
(actors/) and the gateway's feed engine use it."""
