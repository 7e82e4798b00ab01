"""Small stores of state kept in Redis, each an object with explicit dependencies: the post-body
cache, readers' liked sets, frozen ranked-feed passes, the trending cache, upload quotas and
attempt limits. Use cases (usecases/) and reads write and read these; nothing else touches their
keys."""
