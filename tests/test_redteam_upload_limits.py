"""Red team, issue 12, finding 8: uploads over 2 MB got 413, not the documented 20 MB.

The CSRF check read ``request.form`` under MAX_CONTENT_LENGTH (2 MB) before
the documents blueprint raised the limit to UPLOAD_MAX_BYTES (20 MB) for
``/documents``, ``/documents/rdf`` and ``/lessons/import``. Now the upload
limit is set before anything reads the form; every other route keeps 2 MB.
The app runs with the testing profile's defaults for both limits.
"""

from __future__ import annotations

import io

import pytest

from support import csrf_token_of, signed_in, writable_app

MB = 1024 * 1024
PADDING = 3 * MB


@pytest.fixture(scope="module")
def app(curated_store_path, tmp_path_factory):
    app = writable_app(curated_store_path, tmp_path_factory.mktemp("redteam-limits"),
                       users=(("cy", "curator"),))
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * MB
    assert app.config["UPLOAD_MAX_BYTES"] == 20 * MB
    return app


@pytest.fixture(scope="module")
def cy(app):
    return signed_in(app, "cy")


def post_file(client, url: str, data: bytes, filename: str, **fields):
    form = {"csrf_token": csrf_token_of(client, "/documents"), **fields,
            "file": (io.BytesIO(data), filename)}
    return client.post(url, data=form, content_type="multipart/form-data",
                       headers={"Accept": "application/json"})


# Valid 3 MB files, quick to read (the padding is white space or a comment).
THREE_MB = [
    ("/documents", "padded.txt", b"1. Patrols near the camps at dusk.\n" + b" " * PADDING, {}),
    ("/documents/rdf", "padded.ttl",
     b"#" + b"x" * PADDING + b"\n<urn:x:a> <urn:x:b> \"c\" .\n", {"name": "padded"}),
    ("/lessons/import", "padded.csv",
     b"title,observation,missions,protection tiers,publicity\n"
     b"Padded,Night patrols deterred raids,operation/MONUC,concept/T2,concept/PUB-PUBLIC\n"
     + (b" " * 100_000 + b"\n") * (PADDING // 100_000 + 1), {}),     # blank rows are no rows
]


@pytest.mark.parametrize("url, filename, data, fields", THREE_MB,
                         ids=[url for url, *_ in THREE_MB])
def test_finding8_a_3_mb_upload_is_not_refused_for_its_size(cy, url, filename, data, fields):
    """Finding 8: uploads over 2 MB got 413 although the documented limit is 20 MB."""
    assert len(data) > 3 * MB
    answer = post_file(cy, url, data, filename, **fields)
    assert answer.status_code != 413, answer.get_data(as_text=True)[:500]
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)[:500]


@pytest.mark.parametrize("url", ["/lessons/new", "/documents/x/review", "/login"])
def test_finding8_other_routes_keep_the_2_mb_limit(cy, url):
    """Finding 8 (guard): raising the upload limit must not raise it elsewhere."""
    answer = post_file(cy, url, b"x" * PADDING, "big.txt")
    assert answer.status_code == 413


@pytest.mark.parametrize("url", ["/documents", "/documents/rdf", "/lessons/import"])
def test_finding8_uploads_over_the_upload_limit_get_413(cy, url):
    """Finding 8 (guard): the upload limit (20 MB) still holds."""
    answer = post_file(cy, url, b"x" * (20 * MB + 1), "huge.txt", name="huge")
    assert answer.status_code == 413
