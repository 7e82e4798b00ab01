import base64
from fnmatch import fnmatchcase

import pytest

from core import cursors
from core.errors import BadRequest, ValidationFailed
from core.ids import min_id_at
from media.hashtags import split_hashtags
from search import queries
from search.documents import post_document, user_document
from search.indexer import RetryLater, _check_items, _chunk, _upserts_and_deletes, copy_ops
from search.indexes import POSTS, USERS, index_specs, version_of
from search.outbox import Entry, _entries, stream_id_key
from search.queries import PostQuery, Viewer
from search.trending import TagActivity, activity_from_aggregation, burst_score, rank_trending

HOUR, DAY = 3600, 86_400
ALICE = Viewer(id=7, private_followees=(11, 12))


def _post_body(q: str, viewer: Viewer = ALICE, **kw) -> dict:
    kw.setdefault("origin_ms", 1_800_000_000_000)
    kw.setdefault("after", None)
    kw.setdefault("size", 21)
    return queries.search_posts(queries.parse_post_query(q), viewer, **kw)


def _bool(body: dict) -> dict:
    query = body["query"]
    return query["function_score"]["query"]["bool"] if "function_score" in query else query["bool"]


def _code(excinfo) -> str:
    return excinfo.value.code


# --- parsing queries --------------------------------------------------------------------------


@pytest.mark.parametrize("q", [None, "", "   ", "\t\n"])
def test_an_empty_or_blank_query_is_refused_with_invalid_query(q):
    for parse in (queries.parse_post_query, queries.parse_user_query):
        with pytest.raises(ValidationFailed) as exc:
            parse(q)
        assert _code(exc) == "invalid_query"


@pytest.mark.parametrize("parse", [queries.parse_post_query, queries.parse_user_query])
def test_a_5000_character_query_is_refused_with_query_too_long(parse):
    with pytest.raises(ValidationFailed) as exc:
        parse("a" * 5000)
    assert _code(exc) == "query_too_long"


def test_the_length_limit_counts_the_query_not_its_surrounding_blanks():
    longest = "a" * queries.MAX_QUERY_CHARS
    assert queries.parse_post_query(f"   {longest}   ").words == longest
    with pytest.raises(ValidationFailed):
        queries.parse_post_query(longest + "b")


def test_hashtags_in_a_query_are_split_from_the_words_case_folded_and_deduplicated():
    assert queries.parse_post_query("  Sunset   #Beach at\t#NoFilter #beach ") == PostQuery(
        words="Sunset at", tags=("beach", "nofilter"))


def test_a_hashtag_only_query_has_no_words():
    assert queries.parse_post_query("#Cats #dogs") == PostQuery(words="", tags=("cats", "dogs"))


def test_user_queries_drop_a_leading_at_and_are_case_folded():
    assert queries.parse_user_query("@Ada") == "ada"
    assert queries.parse_user_query("  Ada.Lovelace_1 ") == "ada.lovelace_1"


@pytest.mark.parametrize("raw,tag", [("Cat", "cat"), ("#Cat", "cat"), ("Café_2024", "café_2024"), ("x1", "x1")])
def test_a_tag_in_a_path_may_come_with_or_without_its_hash_and_is_case_folded(raw, tag):
    assert queries.parse_tag(raw) == tag


@pytest.mark.parametrize("raw", ["", "#", "2024", "two words", "a-b", "a#b", "x" * 101])
def test_anything_but_a_single_hashtag_is_refused_with_invalid_hashtag(raw):
    with pytest.raises(ValidationFailed) as exc:
        queries.parse_tag(raw)
    assert _code(exc) == "invalid_hashtag"


# --- post search bodies -----------------------------------------------------------------------


@pytest.mark.parametrize("q", ['"', "*", "!!!", "#", "?!.."])
def test_a_query_of_only_punctuation_matches_nothing_rather_than_everything(q):
    body = _post_body(q)
    must = _bool(body)["must"]
    assert must, "an empty must with no tag filters would match every visible post"
    assert must in ([{"match_none": {}}], [{"match": {"caption": {"query": q, "minimum_should_match": "3<75%"}}}])
    assert "match_all" not in repr(body) and "zero_terms_query" not in repr(body)


def test_hashtags_in_a_query_become_required_term_filters_case_folded():
    clause = _bool(_post_body("golden hour #Beach #SUNSET"))
    assert {"term": {"hashtags": "beach"}} in clause["filter"]
    assert {"term": {"hashtags": "sunset"}} in clause["filter"]
    assert clause["must"] == [{"match": {"caption": {"query": "golden hour", "minimum_should_match": "3<75%"}}}]


def test_a_hashtag_only_query_is_newest_first_without_a_caption_match():
    body = _post_body("#Cats")
    assert "must" not in _bool(body)
    assert {"term": {"hashtags": "cats"}} in _bool(body)["filter"]
    assert body["sort"] == [{"id": "desc"}]
    assert _post_body("#Cats", after=(0.0, 99))["search_after"] == [99]


def test_the_visibility_filter_lets_public_own_and_approved_private_posts_through_by_string_id():
    should = queries.visibility_filter(ALICE)["bool"]
    assert should["minimum_should_match"] == 1
    assert {"term": {"author_private": False}} in should["should"]
    assert {"terms": {"author_id": ["7", "11", "12"]}} in should["should"]


def test_a_viewer_following_no_private_accounts_still_sees_their_own_posts():
    should = queries.visibility_filter(Viewer(id=5, private_followees=()))["bool"]["should"]
    assert {"terms": {"author_id": ["5"]}} in should


def test_the_visibility_filter_ids_match_how_documents_store_the_author():
    doc = post_document({"id": 1, "author_id": 11, "author_username": "bo", "author_private": True, "created_at": 0})
    allowed = queries.visibility_filter(ALICE)["bool"]["should"][1]["terms"]["author_id"]
    assert doc["author_id"] in allowed


def test_every_post_query_filters_by_visibility():
    assert queries.visibility_filter(ALICE) in _bool(_post_body("cats"))["filter"]
    assert queries.visibility_filter(ALICE) in _bool(_post_body("#cats"))["filter"]
    tagged = queries.hashtag_posts("cats", ALICE, before=None, size=21)
    assert queries.visibility_filter(ALICE) in tagged["query"]["bool"]["filter"]


def test_the_recency_origin_is_the_one_given_so_paging_is_stable():
    first = _post_body("cats", origin_ms=1_700_000_000_123)
    decay = first["query"]["function_score"]["functions"][0]["exp"]["created_at"]
    assert decay["origin"] == 1_700_000_000_123
    assert _post_body("cats", origin_ms=1_700_000_000_123) == first


def test_an_old_exact_match_keeps_a_floor_of_its_relevance():
    scoring = _post_body("cats")["query"]["function_score"]
    assert {"weight": queries.RECENCY_FLOOR} in scoring["functions"]
    assert (scoring["score_mode"], scoring["boost_mode"]) == ("sum", "multiply")


def test_the_cursor_search_after_is_passed_through():
    assert _post_body("cats", after=(1.25, 99))["search_after"] == [1.25, 99]
    assert "search_after" not in _post_body("cats")


def test_a_score_survives_the_cursor_bit_for_bit():
    score = 0.1 + 0.2
    origin, key, last_id = cursors.decode(cursors.encode(1_800_000_000_000, cursors.float_key(score), 42), arity=3)
    body = _post_body("cats", origin_ms=origin, after=(cursors.from_float_key(key), last_id))
    assert body["search_after"] == [score, 42]


def test_post_search_returns_ids_only_best_first_then_newest():
    body = _post_body("cats", size=21)
    assert body["sort"] == [{"_score": "desc"}, {"id": "desc"}]
    assert (body["size"], body["_source"], body["track_total_hits"]) == (21, False, False)


def test_caption_searches_rank_only_posts_in_the_window_and_made_by_the_origin():
    origin = 1_800_000_000_000
    ranges = [f["range"]["id"] for f in _bool(_post_body("cats", origin_ms=origin, floor_id=123))["filter"]
              if "range" in f]
    assert ranges == [{"gte": 123, "lt": min_id_at(origin + 1)}]
    # Without a floor (fewer matches than the window): every match made by the origin.
    ranges = [f["range"]["id"] for f in _bool(_post_body("cats", origin_ms=origin))["filter"] if "range" in f]
    assert ranges == [{"lt": min_id_at(origin + 1)}]


def test_the_caption_window_is_the_newest_candidates_matches_unscored_in_index_order():
    origin = 1_800_000_000_000
    body = queries.caption_window(queries.parse_post_query("cats #pets"), ALICE, origin_ms=origin)
    assert body["sort"] == [{"id": "desc"}] and (body["from"], body["size"]) == (queries.CANDIDATES - 1, 1)
    assert (body["_source"], body["track_total_hits"]) == (False, False)
    filters = body["query"]["bool"]["filter"]
    assert list(body["query"]["bool"]) == ["filter"]          # nothing scored
    assert {"match": {"caption": {"query": "cats", "minimum_should_match": "3<75%"}}} in filters
    assert {"term": {"hashtags": "pets"}} in filters and queries.visibility_filter(ALICE) in filters
    assert {"range": {"id": {"lt": min_id_at(origin + 1)}}} in filters
    assert queries.caption_window(queries.parse_post_query("cats"), ALICE, origin_ms=origin, candidates=5)["from"] == 4


def test_hashtag_posts_pages_newest_first_by_id():
    body = queries.hashtag_posts("cats", ALICE, before=500, size=11)
    assert {"term": {"hashtags": "cats"}} in body["query"]["bool"]["filter"]
    assert body["sort"] == [{"id": "desc"}] and body["size"] == 11
    assert body["search_after"] == [500]
    assert "search_after" not in queries.hashtag_posts("cats", ALICE, before=None, size=11)


# --- user search and trending bodies ----------------------------------------------------------


def test_user_search_ranks_exact_username_over_username_prefix_over_display_name():
    body = queries.search_users("ada", after=None, size=21)
    should = body["query"]["function_score"]["query"]["bool"]["should"]
    exact, prefix, display = should
    assert exact == {"term": {"username": {"value": "ada", "boost": 10}}}
    assert prefix == {"prefix": {"username": {"value": "ada", "boost": 4}}}
    assert display == {"match_bool_prefix": {"display_name": {"query": "ada"}}}
    assert body["query"]["function_score"]["field_value_factor"]["field"] == "followers_count"
    assert "search_after" not in body


def test_user_search_passes_the_cursor_through():
    body = queries.search_users("ada", after=(3.5, 12), size=21)
    assert body["search_after"] == [3.5, 12]
    assert body["sort"] == [{"_score": "desc"}, {"id": "desc"}]


def test_trending_weighs_public_posts_of_the_baseline_span_and_authors_of_the_window():
    body = queries.trending(window_s=HOUR, baseline_s=DAY)
    assert body["size"] == 0
    assert body["query"]["bool"]["filter"] == [{"term": {"author_private": False}},
                                               {"range": {"created_at": {"gte": f"now-{DAY}s"}}}]
    tags = body["aggs"]["tags"]
    assert tags["terms"]["order"] == {"recent": "desc"}
    assert tags["aggs"]["recent"]["filter"] == {"range": {"created_at": {"gte": f"now-{HOUR}s"}}}
    assert tags["aggs"]["recent"]["aggs"]["authors"] == {"cardinality": {"field": "author_id"}}


# --- trending ---------------------------------------------------------------------------------


def _tag(tag: str, recent: int, before: int, authors: int = 5) -> TagActivity:
    return TagActivity(tag=tag, recent_posts=recent, recent_authors=authors, span_posts=recent + before)


def _rank(activity, *, window_s=HOUR, baseline_s=DAY, min_authors=2, limit=20):
    return rank_trending(activity, window_s=window_s, baseline_s=baseline_s, min_authors=min_authors, limit=limit)


def test_score_is_zero_for_a_tag_at_its_usual_rate_and_negative_below_it():
    # 230 posts in the 23 hours before the window: 10 expected in the hour.
    assert burst_score(10, 230, window_s=HOUR, baseline_s=DAY) == 0
    assert burst_score(4, 230, window_s=HOUR, baseline_s=DAY) < 0
    assert _rank([_tag("usual", 10, 230), _tag("quiet", 4, 230)]) == []


def test_a_new_tag_scores_about_its_count():
    assert burst_score(9, 0, window_s=HOUR, baseline_s=DAY) == 9


def test_a_burst_outranks_an_evergreen_tag_with_more_posts():
    evergreen = _tag("love", 120, 23 * 100)     # ~100 an hour, every hour
    burst = _tag("eclipse", 30, 2)
    ranked = _rank([evergreen, burst])
    assert ranked[0]["tag"] == "eclipse"
    assert all(r["tag"] != "love" or r["score"] < ranked[0]["score"] for r in ranked)
    assert burst_score(120, 2300, window_s=HOUR, baseline_s=DAY) < burst_score(30, 2, window_s=HOUR, baseline_s=DAY)


def test_a_tag_used_by_a_single_author_never_trends():
    assert _rank([_tag("spam", 500, 0, authors=1)], min_authors=2) == []
    assert [r["tag"] for r in _rank([_tag("real", 5, 0, authors=2)], min_authors=2)] == ["real"]


def test_ranking_ties_break_by_recent_posts_then_tag_name():
    # window 1s over a 2s span: the expected count equals the baseline count.
    few_z = _tag("zzz", 3, 0)             # (3 - 0) / 1 = 3
    few_a = _tag("aaa", 3, 0)             # 3
    many = _tag("mmm", 9, 3)              # (9 - 3) / 2 = 3
    ranked = _rank([few_z, many, few_a], window_s=1, baseline_s=2)
    assert [r["tag"] for r in ranked] == ["mmm", "aaa", "zzz"]
    assert {r["score"] for r in ranked} == {3.0}


def test_ranking_reports_tag_posts_in_the_window_and_a_rounded_score():
    assert _rank([_tag("eclipse", 7, 23)]) == [{"tag": "eclipse", "posts": 7,
                                                "score": round(burst_score(7, 23, window_s=HOUR, baseline_s=DAY), 3)}]


def test_the_limit_is_respected_keeping_the_strongest():
    activity = [_tag(f"t{n}", n, 0) for n in range(1, 6)]
    assert [r["tag"] for r in _rank(activity, limit=2)] == ["t5", "t4"]


def test_a_baseline_no_longer_than_the_window_does_not_divide_by_zero():
    assert burst_score(5, 5, window_s=HOUR, baseline_s=HOUR) == 0
    assert burst_score(5, 0, window_s=HOUR, baseline_s=0) == 5


def test_activity_is_read_from_the_trending_aggregation():
    aggregations = {"tags": {"buckets": [
        {"key": "eclipse", "doc_count": 40, "recent": {"doc_count": 30, "authors": {"value": 12}}},
        {"key": "love", "doc_count": 2400, "recent": {"doc_count": 100, "authors": {"value": 80}}},
    ]}}
    assert activity_from_aggregation(aggregations) == [
        TagActivity("eclipse", recent_posts=30, recent_authors=12, span_posts=40),
        TagActivity("love", recent_posts=100, recent_authors=80, span_posts=2400),
    ]
    assert activity_from_aggregation({"tags": {"buckets": []}}) == []


# --- documents --------------------------------------------------------------------------------


def test_a_post_document_fills_gaps_and_stores_the_author_id_as_a_string():
    doc = post_document({"id": 5, "caption": None, "hashtags": None, "author_id": 11, "author_username": "bo",
                         "author_private": None, "created_at": 1_700_000_000_000})
    assert doc == {"id": 5, "caption": "", "hashtags": [], "author_id": "11", "author_username": "bo",
                   "author_private": False, "created_at": 1_700_000_000_000, "like_count": 0, "comment_count": 0}


def test_a_post_document_keeps_its_tags_privacy_and_counts():
    doc = post_document({"id": 5, "caption": "hi #x", "hashtags": ("x",), "author_id": 11, "author_username": "bo",
                         "author_private": True, "created_at": 1, "like_count": 3, "comment_count": 2})
    assert (doc["hashtags"], doc["author_private"], doc["like_count"], doc["comment_count"]) == (["x"], True, 3, 2)


def test_a_user_document_shows_the_username_when_there_is_no_display_name():
    doc = user_document({"id": 9, "username": "ada", "display_name": "", "private": None, "created_at": 1})
    del doc["card"]         # what is shown, not searched (the next tests)
    assert doc == {"id": 9, "username": "ada", "display_name": "ada", "private": False, "followers_count": 0,
                   "created_at": 1}
    assert user_document({"id": 9, "username": "ada", "display_name": "Ada L", "created_at": 1,
                          "followers_count": 4})["display_name"] == "Ada L"


# --- indexer helpers --------------------------------------------------------------------------


def _ident(record):
    return {"doc": record["id"]}


def _v(ids):
    return {i: 100 + i for i in ids}


def test_found_records_are_indexed_and_missing_ones_deleted_in_id_order_each_at_its_version():
    ops = _upserts_and_deletes("posts-v2-0", {3, 1, 2}, {1: {"id": 1}, 3: {"id": 3}}, _ident, _v({1, 2, 3}))
    meta = {"version_type": "external_gte"}
    assert ops == [
        {"index": {"_index": "posts-v2-0", "_id": "1", "version": 101, **meta}}, {"doc": 1},
        {"delete": {"_index": "posts-v2-0", "_id": "2", "version": 102, **meta}},
        {"index": {"_index": "posts-v2-0", "_id": "3", "version": 103, **meta}}, {"doc": 3},
    ]


def test_a_reindex_copy_writes_at_the_version_it_started_from_so_later_changes_win():
    docs = [{"id": 1, "caption": "a"}, {"id": 2, "caption": "b"}]
    assert copy_ops("posts-v3-9", docs, 7) == [
        {"index": {"_index": "posts-v3-9", "_id": "1", "version": 7, "version_type": "external_gte"}}, docs[0],
        {"index": {"_index": "posts-v3-9", "_id": "2", "version": 7, "version_type": "external_gte"}}, docs[1],
    ]


def test_later_outbox_entries_have_higher_versions():
    from search.outbox import entry_version
    assert entry_version("1700000000000-0") < entry_version("1700000000000-1") < entry_version("1700000000001-0")
    assert entry_version("1795286801658-5") < 2**63


def _all_chunks(ops, max_actions):
    chunks, i = [], 0
    while i < len(ops):
        chunk, i = _chunk(ops, i, max_actions)
        chunks.append(chunk)
    return chunks


def _actions(chunk) -> int:
    """Walk a bulk body: every action line is followed by its source line, except deletes."""
    i = n = 0
    while i < len(chunk):
        action = chunk[i]
        assert len(action) == 1 and next(iter(action)) in {"index", "create", "delete"}, f"not an action: {action}"
        i += 1 if "delete" in action else 2
        assert i <= len(chunk), "an action was cut from its source line"
        n += 1
    return n


def test_chunk_never_splits_an_action_from_its_source_line():
    found = {i: {"id": i, "delete": "a source line whose keys look like an action"} for i in range(0, 20, 3)}
    ops = _upserts_and_deletes("p", set(range(20)), found, dict, _v(range(20)))
    for size in (1, 2, 3, 7, 100):
        chunks = _all_chunks(ops, size)
        assert [op for chunk in chunks for op in chunk] == ops
        counts = [_actions(chunk) for chunk in chunks]
        assert all(0 < c <= size for c in counts) and sum(counts) == 20
        assert all(c == size for c in counts[:-1])


def test_chunk_handles_deletes_which_have_no_source_line():
    ops = _upserts_and_deletes("p", {1, 2, 3, 4, 5}, {}, _ident, _v(range(6)))
    chunks = _all_chunks(ops, 2)
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert all("delete" in op for chunk in chunks for op in chunk)


def test_chunk_starts_where_it_is_told_and_returns_where_to_continue():
    ops = copy_ops("p", [{"id": i} for i in range(3)], 1)
    chunk, nxt = _chunk(ops, 2, 1)
    assert chunk == ops[2:4] and nxt == 4
    assert _chunk(ops, len(ops), 5) == ([], len(ops))


def _item(action, status, _id="1"):
    return {action: {"_id": _id, "status": status, "error": {"type": "x"} if status >= 300 else None}}


def test_bulk_items_that_succeeded_or_are_already_settled_are_not_failures():
    items = [_item("index", 200), _item("index", 201), _item("create", 201), _item("delete", 200),
             _item("delete", 404), _item("create", 409), _item("index", 409), _item("delete", 409),
             {"index": {"_id": "9"}}]
    # 409: a write for a later change is already there.
    assert _check_items(items) == 0


def test_bulk_items_refused_for_good_are_counted():
    items = [_item("index", 400), _item("create", 400), _item("index", 200),
             _item("index", 404), _item("delete", 400)]
    assert _check_items(items) == 4


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_item_failures_ask_for_the_whole_batch_to_be_retried(status):
    with pytest.raises(RetryLater):
        _check_items([_item("index", 201), _item("index", 400), _item("delete", status)])


# --- outbox parsing ---------------------------------------------------------------------------


def test_stream_ids_compare_by_number_not_as_text():
    ids = ["10-0", "9-10", "9-5", "9"]
    assert sorted(ids, key=stream_id_key) == ["9", "9-5", "9-10", "10-0"]
    assert stream_id_key("1700000000000-3") == (1_700_000_000_000, 3)
    assert stream_id_key("1700000000000") == (1_700_000_000_000, 0)


def test_outbox_entries_are_parsed_from_redis_replies():
    raw = [(b"1700000000000-0", {b"k": b"post", b"id": b"123"}),
           (b"1700000000000-1", {b"k": b"author", b"id": b"7"}),
           ("1700000000001-0", {b"k": b"user", b"id": b"9"})]
    assert _entries(raw) == [Entry("1700000000000-0", "post", 123), Entry("1700000000000-1", "author", 7),
                             Entry("1700000000001-0", "user", 9)]


def test_outbox_entries_trimmed_while_pending_are_skipped():
    raw = [(b"1-0", {}), (b"2-0", {b"k": b"post", b"id": b"5"}), (b"3-0", None)]
    assert _entries(raw) == [Entry("2-0", "post", 5)]
    assert _entries([]) == []


# --- index names ------------------------------------------------------------------------------


@pytest.mark.parametrize("name,version", [
    ("raygram-posts-v1", 1), ("raygram-posts-v2-1795286801658", 2), ("raygram-users-v12-0", 12),
    ("x", 0), ("raygram-posts", 0), ("dev-v3-posts", 0),
])
def test_version_of_reads_the_mapping_version_from_an_index_name(name, version):
    assert version_of(name) == version


def test_index_specs_name_aliases_after_the_prefix():
    specs = index_specs("raygram")
    assert (specs[POSTS].alias, specs[USERS].alias) == ("raygram-posts", "raygram-users")
    assert {s.kind for s in specs.values()} == {POSTS, USERS}


def test_new_index_names_carry_the_spec_version_and_fall_under_its_template():
    for spec in index_specs("raygram").values():
        for name in (spec.new_index_name(), spec.first_index_name):
            assert name.startswith(f"{spec.alias}-v")
            assert version_of(name) == spec.version
            assert any(fnmatchcase(name, p) for p in spec.template["index_patterns"])
        assert spec.first_index_name == f"{spec.alias}-v{spec.version}-0", "fixed, so racing gateways agree"


def test_a_prefix_that_looks_versioned_does_not_confuse_version_of():
    spec = index_specs("team-v9")[POSTS]
    assert version_of(spec.alias) == 0
    assert version_of(spec.first_index_name) == spec.version


# --- float cursor keys ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                                   0.1 + 0.2, 1e-300, 123456.789])
def test_float_keys_round_trip_bit_for_bit(value):
    key = cursors.float_key(value)
    assert type(key) is int
    assert cursors.from_float_key(key).hex() == value.hex()


def test_float_keys_fit_an_opaque_cursor():
    keys = (cursors.float_key(0.0), cursors.float_key(1e308), cursors.float_key(5e-324))
    assert cursors.decode(cursors.encode(*keys), arity=3) == keys


@pytest.mark.parametrize("key", [2 ** 63, -(2 ** 63) - 1, 10 ** 30, -1, cursors.float_key(float("nan")),
                                 cursors.float_key(float("inf")), cursors.float_key(-3.25)])
def test_a_score_key_that_is_not_a_finite_non_negative_score_is_a_clean_400(key):
    with pytest.raises(BadRequest) as exc:
        cursors.from_float_key(key)
    assert _code(exc) == "invalid_cursor"


# --- splitting hashtags -----------------------------------------------------------------------


def test_split_hashtags_returns_the_words_and_the_tags_case_folded_in_order():
    words, tags = split_hashtags("Sunset at #Malibu with #friends and #MALIBU")
    assert words.split() == ["Sunset", "at", "with", "and"]
    assert tags == ["malibu", "friends"]


def test_split_hashtags_finds_unicode_tags_and_needs_a_word_boundary_before_the_hash():
    words, tags = split_hashtags("#café C# a#b &#39; ##double #日本")
    assert tags == ["café", "日本"]
    assert words.split() == ["C#", "a#b", "&#39;", "##double"]


def test_split_hashtags_of_plain_text_changes_nothing():
    assert split_hashtags("no tags here!") == ("no tags here!", [])


@pytest.mark.parametrize("q", ["@", "@@", " @ "])
def test_a_user_query_of_only_at_signs_is_refused_rather_than_matching_everyone(q):
    with pytest.raises(ValidationFailed) as err:
        queries.parse_user_query(q)
    assert err.value.code == "invalid_query"


def test_a_number_after_a_hash_stays_a_searchable_word():
    assert queries.parse_post_query("best #2024 photos") == PostQuery(words="best #2024 photos", tags=())
    assert queries.parse_post_query("#2024 #Sun") == PostQuery(words="#2024", tags=("sun",))


def test_the_reconciler_queues_posts_missing_from_either_side():
    from search.reconcile import disagreements
    assert disagreements({1, 2, 3}, {2, 3, 4}) == [1, 4]
    assert disagreements({5}, {5}) == []


@pytest.mark.parametrize("cursor", [
    base64.urlsafe_b64encode(b"[" * 1000).decode(),          # nesting that would exhaust recursion
    "A" * 600,                                               # longer than any issued cursor
    cursors.encode(2 ** 63),                                  # outside 64 bits
])
def test_hostile_cursors_are_a_clean_400(cursor):
    with pytest.raises(BadRequest) as exc:
        cursors.decode(cursor)
    assert _code(exc) == "invalid_cursor"


def test_relationship_bits_read_as_the_contracts_flags_and_the_block_filter():
    from core import relationship_bits as rb
    assert rb.relationship(rb.FOLLOWING | rb.FOLLOWED_BY | rb.MUTING) == {
        "following": True, "requested": False, "followed_by": True, "blocking": False, "muting": True}
    assert rb.relationship(rb.REQUESTED | rb.BLOCKED_BY) == {
        "following": False, "requested": True, "followed_by": False, "blocking": False, "muting": False}
    assert rb.blocked(rb.BLOCKING) and rb.blocked(rb.BLOCKED_BY) and rb.blocked(rb.BLOCKING | rb.BLOCKED_BY)
    assert not rb.blocked(rb.FOLLOWING | rb.REQUESTED | rb.FOLLOWED_BY | rb.MUTING)


def test_relationships_packed_per_account_with_the_kinds_past_the_cap():
    from core import relationship_bits as rb
    bits, partial = rb.packed({"following": [1, 2], "followed_by": [2, 3], "blocked_by": [4], "muting": []}, cap=5)
    assert bits == {1: rb.FOLLOWING, 2: rb.FOLLOWING | rb.FOLLOWED_BY, 3: rb.FOLLOWED_BY, 4: rb.BLOCKED_BY}
    assert partial == 0
    # A list read with a limit of cap + 1 that came back full: only the first `cap` are kept.
    bits, partial = rb.packed({"followed_by": [7, 8, 9], "blocking": [1]}, cap=2)
    assert bits == {7: rb.FOLLOWED_BY, 8: rb.FOLLOWED_BY, 1: rb.BLOCKING}
    assert partial == rb.FOLLOWED_BY


def test_past_the_cap_an_account_without_that_kind_is_unsettled_even_if_kept_for_another():
    from core import relationship_bits as rb
    # Followers past the cap: 1 is kept as a follower; 2 is kept only as someone the viewer
    # blocks (it may follow the viewer too); 3 is not kept at all.
    bits = {1: rb.FOLLOWED_BY, 2: rb.BLOCKING, 3: 0}
    assert rb.unsettled(bits, rb.FOLLOWED_BY) == [2, 3]
    assert rb.unsettled(bits, 0) == []                  # nothing past the cap: the hash is exact


def test_a_user_document_carries_the_account_as_search_shows_it_and_hits_bring_it_back():
    from search.documents import user_document
    from search.reader import user_hits
    user = {"id": 7, "username": "ada", "display_name": "", "bio": "hi", "private": True, "created_at": 1000,
            "avatar": "avatars/7/a.jpg", "followers_count": 3, "following_count": 2, "posts_count": 5}
    doc = user_document(user)
    assert doc["display_name"] == "ada"          # what is searched
    assert doc["card"] == user                   # what is shown: exactly the graph's record
    hits = user_hits({"hits": {"hits": [{"sort": [1.5, 7], "_source": {"card": doc["card"]}},
                                        {"sort": [1.0, 8]}]}})
    assert [(h.id, h.card) for h in hits] == [(7, user), (8, None)]     # an older document: no card
