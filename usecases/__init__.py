"""The use cases: every write the API offers, each spelling its consequences once.

Routes (gateway/routes/) parse a request, call one method here, and render what it returns.
A use case takes the stores it needs in its constructor (the Neo4j driver, Redis-held stores from
stores/, the feed engine, the search outbox, the event log, the id generator...), never the
aiohttp application; gateway/resources.py builds each once per process. Reads that combine
several stores (hydrating posts, the home feed, search) live here too, as classes of their own.
"""
