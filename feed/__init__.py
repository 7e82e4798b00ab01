"""The feed's pure logic: compact timelines, users to slots to shards, ranking, the marked read
cache. No I/O: the engine that drives the feed-shard actors is actors/feed_engine.py."""
