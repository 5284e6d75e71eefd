"""Issue 11.4: failed authentications are limited per client address (429 ``rate_limited``);
requests without a token and successful ones are not counted."""
from __future__ import annotations

import pytest

from jiceng.platform.app import create_app

LISTS = "/api/v1/tenants/changsha/lists"


@pytest.fixture
def limited(fresh_api):
    """The fresh API's tokens on an app allowing 3 failures a minute per address."""
    db = fresh_api.app.extensions["jiceng"].db
    return fresh_api.__class__(create_app({"DATABASE": db, "AUTH_FAILURE_LIMIT": "3 per minute"}), fresh_api.tokens)


def get(api, token=None, addr="10.0.0.1", path=LISTS):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return api.client.get(path, headers=headers, environ_base={"REMOTE_ADDR": addr})


def test_the_fourth_failure_is_refused_with_429_and_then_everything_from_that_address(limited):
    good = limited.tokens[("changsha", "auditor")]
    for _ in range(10):  # successes and requests without a token are not failures
        assert get(limited, good).status_code == 200
        assert get(limited).status_code == 401
    for _ in range(3):
        assert get(limited, "jc_guess").status_code == 401
    r = get(limited, "jc_guess")
    assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited" and "过多" in r.json["error"]["message"]
    assert int(r.headers["Retry-After"]) >= 1
    assert get(limited, good).status_code == 429  # the address is held off, whatever it sends
    assert get(limited, good, addr="10.0.0.2").status_code == 200  # another address is not
    assert get(limited, path="/healthz").status_code == 200  # nor what needs no login


def test_failed_logins_count_too(limited):
    csrf = limited.csrf()
    for expected in (401, 401, 401, 429):
        r = limited.client.post("/login", data={"token": "jc_guess", "csrf_token": csrf},
                                environ_base={"REMOTE_ADDR": "10.0.0.3"})
        assert r.status_code == expected
    # the login form is a page: a person reads the refusal, with its code, and when to try again
    page = r.get_data(as_text=True)
    assert r.mimetype == "text/html" and "rate_limited" in page and "过多" in page
    assert f"请 {r.headers['Retry-After']} 秒后再试" in page
