"""Push transports: FCM HTTP v1 through pyfcm against a local FCM + OAuth server, and the
push-outbox folder used without credentials."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import pytest

from server.jobs.push_transports import (
    FcmTransport,
    PushMessage,
    PushOutboxFileTransport,
    push_transport_from,
)
from tests.fakes.fcm import FakeFcm


@pytest.fixture
async def transport_for() -> AsyncIterator[Callable[..., FcmTransport]]:
    """FCM transports that are all closed after the test (each keeps an HTTP session)."""
    made: list[FcmTransport] = []

    def make(fcm: FakeFcm, **kw) -> FcmTransport:
        made.append(
            FcmTransport(
                project_id=fcm.project_id,
                service_account_file=fcm.service_account_file,
                base_url=kw.pop("base_url", fcm.url),
                **kw,
            )
        )
        return made[-1]

    yield make
    for transport in made:
        await transport.close()


async def test_sends_through_fcm_v1_with_a_service_account_token(fcm, transport_for):
    transport = transport_for(fcm)
    assert transport.endpoint == f"{fcm.url}/v1/projects/{fcm.project_id}/messages:send"
    results = await transport.send(
        [
            PushMessage(token="tok-a", title="New grade", body="Task 1: 9/10", data={"k": "v"}),
            PushMessage(token="tok-b", title="Reminder", body="Due tomorrow"),
        ]
    )
    assert [r.ok for r in results] == [True, True]
    assert [r.message_id for r in results] == [s["name"] for s in fcm.sent]
    assert fcm.token_requests == 1  # one OAuth exchange, signed with the service account key
    by_token = {s["message"]["token"]: s["message"] for s in fcm.sent}
    assert by_token["tok-a"]["notification"] == {"title": "New grade", "body": "Task 1: 9/10"}
    assert by_token["tok-a"]["data"] == {"k": "v"}
    assert "data" not in by_token["tok-b"]
    await transport.close()


async def test_dead_tokens_and_outages_are_told_apart(fcm, transport_for):
    fcm.unregistered.add("dead-token")
    fcm.failures.append(503)
    transport = transport_for(fcm)
    results = await transport.send(
        [
            PushMessage(token="any", title="t", body="b"),
            PushMessage(token="dead-token", title="t", body="b"),
        ]
    )
    outage, dead = sorted(results, key=lambda r: r.token == "dead-token")
    assert not outage.ok and outage.retry and not outage.unregistered
    assert not dead.ok and dead.unregistered and not dead.retry and "UNREGISTERED" in dead.error
    assert fcm.sent == []


async def test_a_wrong_project_is_refused_and_not_retried(fcm, transport_for):
    # pyfcm prefers the service account's project over the argument, so change it in the file.
    info = json.loads(fcm.service_account_file.read_text())
    info["project_id"] = "someone-else"
    fcm.service_account_file.write_text(json.dumps(info))
    [result] = await transport_for(fcm).send([PushMessage(token="t", title="t", body="b")])
    assert not result.ok and not result.retry and "SENDER_ID_MISMATCH" in result.error
    assert result.configuration and not result.unregistered


async def test_unreachable_fcm_is_a_retry_for_every_message(fcm, transport_for):
    # OAuth answers, the FCM endpoint does not (nothing listens on port 1).
    transport = transport_for(fcm, base_url="http://127.0.0.1:1")
    messages = [PushMessage(token=f"t{i}", title="t", body="b") for i in range(3)]
    results = await transport.send(messages)
    assert all(r.retry and not r.ok for r in results)
    assert [r.token for r in results] == ["t0", "t1", "t2"]


@pytest.mark.parametrize(
    ("failure", "retry", "unregistered", "configuration", "retry_after"),
    [
        ("UNREGISTERED", False, True, False, None),
        ("INVALID_TOKEN", False, True, False, None),
        ("QUOTA_EXCEEDED", True, False, False, 7.0),
        ("UNAVAILABLE", True, False, False, 7.0),
        (500, True, False, False, None),
        ("SENDER_ID_MISMATCH", False, False, True, None),
        ("THIRD_PARTY_AUTH_ERROR", False, False, True, None),
    ],
)
async def test_each_fcm_error_code_is_classified(
    fcm, transport_for, failure, retry, unregistered, configuration, retry_after
):
    fcm.failures.append(failure)
    fcm.retry_after = 7
    [result] = await transport_for(fcm).send([PushMessage(token="t", title="t", body="b")])
    assert not result.ok
    assert (result.retry, result.unregistered, result.configuration) == (
        retry,
        unregistered,
        configuration,
    )
    assert result.retry_after == retry_after


async def test_outbox_transport_writes_one_file_per_push(tmp_path):
    transport = PushOutboxFileTransport(tmp_path / "push-outbox")
    messages = [
        PushMessage(token=f"t{i}", title=f"T{i}", body="b", data={"i": str(i)}) for i in range(3)
    ]
    results = await transport.send(messages)
    assert all(r.ok for r in results)
    files = sorted((tmp_path / "push-outbox").glob("*.json"))
    written = [json.loads(p.read_text()) for p in files]
    assert [w["token"] for w in written] == ["t0", "t1", "t2"]
    assert written[1] == {
        "id": messages[1].id,
        "token": "t1",
        "title": "T1",
        "body": "b",
        "data": {"i": "1"},
    }


def test_choice_of_transport(settings, fcm):
    assert isinstance(push_transport_from(settings), PushOutboxFileTransport)
    settings.fcm_project_id = fcm.project_id
    settings.fcm_service_account_file = fcm.service_account_file
    settings.fcm_base_url = fcm.url
    assert isinstance(push_transport_from(settings), FcmTransport)
