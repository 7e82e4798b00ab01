"""Each backing service is the real thing, configured the way the product relies on."""
from __future__ import annotations

import aiohttp
import neo4j
import pytest
import ray

from actors.shards import shard_actor_name
from gateway.keys import NEO4J, S3, SEARCH, SHARDS
from media.storage import open_s3
from search.indexes import index_specs
from stack import manager


def test_stack_status_reports_every_backing_service_healthy(settings):
    rows = manager.status(settings, ["redis", "neo4j", "elasticsearch", "minio", "ray"])
    assert [(r.name, r.healthy) for r in rows] == [
        ("redis", True), ("neo4j", True), ("elasticsearch", True), ("minio", True), ("ray", True)]
    assert all(r.pid for r in rows)


async def test_s3_serves_presigned_urls_and_multipart_uploads(client, settings, unique):
    s3 = client.app[S3]
    bucket, key = settings.s3_bucket, f"tests/{unique}/blob"
    part = b"x" * (5 * 1024 * 1024)   # S3's minimum part size
    upload = await s3.create_multipart_upload(Bucket=bucket, Key=key)
    parts = []
    for n, chunk in enumerate((part, b"tail"), start=1):
        r = await s3.upload_part(Bucket=bucket, Key=key, PartNumber=n, UploadId=upload["UploadId"], Body=chunk)
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    await s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"],
                                       MultipartUpload={"Parts": parts})
    url = await s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200
            body = await resp.read()
        async with http.get(url.split("?")[0]) as resp:
            assert resp.status == 403, "unsigned reads must be refused"
    assert len(body) == len(part) + 4 and body.endswith(b"tail")
    await s3.delete_object(Bucket=bucket, Key=key)


async def test_s3_refuses_wrong_credentials(settings):
    import dataclasses
    from botocore.exceptions import ClientError

    bad = dataclasses.replace(settings, s3_secret_key="not-the-secret")
    async with open_s3(bad) as s3:
        with pytest.raises(ClientError):
            await s3.head_bucket(Bucket=settings.s3_bucket)


async def test_neo4j_has_auth_on_and_the_schema_applied(client, settings):
    wrong = neo4j.AsyncGraphDatabase.driver(settings.neo4j_uri, auth=("neo4j", "wrong-password"))
    with pytest.raises(neo4j.exceptions.AuthError):
        await wrong.verify_connectivity()
    await wrong.close()
    records, _, _ = await client.app[NEO4J].execute_query("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names")
    assert {"user_id", "user_username", "post_id"} <= set(records[0]["names"])


async def test_elasticsearch_indexes_sit_behind_aliases(client, settings):
    es = client.app[SEARCH]
    for spec in index_specs(settings.es_index_prefix).values():
        [index] = (await es.indices.get_alias(name=spec.alias)).keys()
        assert index.startswith(f"{spec.alias}-v{spec.version}-")


async def test_feed_shards_are_named_detached_actors(client, settings):
    handles = client.app[SHARDS].handles
    assert len(handles) == settings.feed_shards
    infos = [await h.ping.remote() for h in handles]
    assert [i["shard"] for i in infos] == list(range(settings.feed_shards))
    again = ray.get_actor(shard_actor_name(0), namespace=settings.ray_namespace)
    assert (await again.ping.remote())["pid"] == infos[0]["pid"]
