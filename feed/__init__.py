"""The feed: pure logic (compact timelines, users to slots to shards, ranking) and the engine
(feed/engine.py) through which the gateway drives the feed-shard actors."""
