"""The layout of a data export (pure)."""
from media import export_archive as layout


def test_archives_are_kept_under_the_accounts_prefix_by_ids_only():
    assert layout.archive_key(7, 42) == "exports/7/42.zip"
    assert layout.archive_key(7, 42).startswith(layout.account_prefix(7))
    assert not layout.archive_key(70, 42).startswith(layout.account_prefix(7))     # 7's erasure spares 70's


def test_a_photos_original_is_its_last_variant_and_a_videos_its_largest_rendition():
    photo = {"id": 5, "position": 1, "keys": ["media/5/thumb.jpg", "media/5/small.jpg", "media/5/medium.jpg",
                                              "media/5/original.png"]}
    video = {"id": 6, "position": 0, "type": "video", "keys": ["media/6/thumb.jpg"],
             "rendition_keys": ["media/6/high.mp4", "media/6/low.mp4"]}
    assert layout.original_key(photo) == "media/5/original.png"
    assert layout.original_key(video) == "media/6/high.mp4"
    assert layout.media_entry(9, photo) == "media/9/1-5.png"
    assert layout.original_key({"id": 8, "type": "video", "rendition_keys": []}) is None


def test_a_post_record_names_its_files_in_position_order_with_its_caption_history():
    post = {"id": 9, "caption": "now", "hashtags": ["a"], "created_at": 0, "edited_at": 2000,
            "caption_history": ["before"], "caption_history_at": [0],
            "media": [{"id": 2, "position": 1, "keys": ["media/2/original.jpg"], "content_type": "image/jpeg"},
                      {"id": 1, "position": 0, "keys": ["media/1/original.gif"], "content_type": "image/gif"}]}
    record, files = layout.post_record(post)
    assert files == [("media/1/original.gif", "media/9/0-1.gif"), ("media/2/original.jpg", "media/9/1-2.jpg")]
    assert [m["file"] for m in record["media"]] == ["media/9/0-1.gif", "media/9/1-2.jpg"]
    assert record["id"] == "9" and record["edited_at"] == "1970-01-01T00:00:02.000Z"
    assert record["earlier_captions"] == [{"caption": "before", "from": "1970-01-01T00:00:00.000Z"}]


def test_list_rows_carry_ids_as_strings():
    assert layout.list_record("likes", {"post_id": 3, "liked_at": None}) == {"post_id": "3", "liked_at": None}
    assert layout.list_record("mutes", {"user_id": 4, "username": "bob", "since": 0})["id"] == "4"
