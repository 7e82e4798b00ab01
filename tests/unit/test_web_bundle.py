from pathlib import Path

from gateway.web_bundle import content_security_policy, load_bundle, origin_of


def test_media_origin_is_the_scheme_host_and_port_of_the_s3_endpoint():
    assert origin_of("http://127.0.0.1:9000") == "http://127.0.0.1:9000"
    assert origin_of("https://media.example.com/bucket/x?sig=1") == "https://media.example.com"
    assert origin_of("javascript:alert(1)") is None and origin_of("http://user@host") is None


def test_the_policy_allows_only_this_origin_the_media_endpoint_and_this_hosts_socket():
    csp = content_security_policy("http://127.0.0.1:9000", "127.0.0.1:8080")
    rules = dict(rule.split(" ", 1) for rule in csp.split("; "))
    assert rules["default-src"] == "'self'" and rules["script-src"] == "'self'" and rules["style-src"] == "'self'"
    assert rules["img-src"] == "'self' blob: http://127.0.0.1:9000"
    assert rules["connect-src"] == "'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080"
    assert rules["frame-ancestors"] == "'none'" and rules["object-src"] == "'none'"
    assert "unsafe" not in csp


def test_a_host_header_that_is_not_a_host_never_reaches_the_policy():
    csp = content_security_policy(None, "evil; script-src *")
    assert "evil" not in csp and "connect-src 'self';" in csp


def test_the_bundle_names_its_build_in_the_page_and_changes_when_a_file_does(tmp_path: Path):
    (tmp_path / "index.html").write_text('<script type="module" src="/assets/__BUILD__/js/app.js"></script>')
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text("export const x = 1;\n" * 50)
    first = load_bundle(tmp_path)
    assert f"/assets/{first.build}/js/app.js".encode() in first.page.body
    assert set(first.assets) == {"js/app.js"} and first.assets["js/app.js"].gzipped is not None
    (tmp_path / "js" / "app.js").write_text("export const x = 2;\n")
    assert load_bundle(tmp_path).build != first.build


def test_the_real_client_has_no_inline_html_insertion():
    # User text reaches the page as text nodes only: no innerHTML, outerHTML, insertAdjacentHTML
    # or document.write anywhere in the client.
    bundle = load_bundle()
    for name, asset in bundle.assets.items():
        if name.endswith(".js"):
            text = asset.body.decode()
            for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
                assert sink not in text, f"{sink} in web/{name}"


def test_avatar_paths_are_built_from_avatar_keys_only():
    from media.avatars import avatar_key, avatar_path

    assert avatar_path(avatar_key(42, "thumb")) == "/avatars/42/thumb"
    assert avatar_path(None) is None and avatar_path("") is None
    assert avatar_path("media/42/thumb.jpg") is None        # a post's object is never named as an avatar


def test_the_sweeper_reads_avatar_ids_back_from_avatar_keys_only():
    from media.avatars import avatar_id_of, avatar_key

    assert avatar_id_of(avatar_key(42, "medium")) == 42
    assert avatar_id_of("media/42/thumb.jpg") is None and avatar_id_of("avatars/x/thumb") is None
    assert avatar_id_of("avatars/\u0661\u0662/thumb") is None          # Arabic-Indic digits are not an id
