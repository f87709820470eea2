"""Nothing acknowledged is lost (issue 14, point 3): the API's changes journaled in a state
directory, through boto3 against a server process that is SIGKILLed while a client applies
batches, then restarted on the same directory (r53emu.api.durable, r53emu.api.statefiles).

The server here is a small aiohttp process mounting `ApiDispatcher` with `DurableZones`, as the
admin port will; everything stays on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest

from tests.support.helpers import REPO

SERVER = """
import asyncio, random, sys
from datetime import UTC, datetime
from pathlib import Path
from aiohttp import web
from r53emu.api.dispatch import ApiDispatcher
from r53emu.api.durable import DurableZones
from r53emu.api.hostedzones import ApiZones
from r53emu.api.ids import RandomIds

zones = ApiZones(clock=lambda: datetime.now(UTC), ids=RandomIds(random.Random()))
durable = DurableZones.open(zones, Path(sys.argv[1]))
dispatcher = ApiDispatcher(zones, durable)

async def forward(request):
    reply = dispatcher.handle(
        request.method, request.raw_path, request.query, request.headers, await request.read()
    )
    return web.Response(status=reply.status, headers=reply.headers, body=reply.body)

async def main():
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print("ready", site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


class Server:
    def __init__(self, directory: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(directory)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("ready"):
            assert self.process.stderr is not None
            said = self.process.stderr.read()
            self.kill()
            raise AssertionError(f"server did not start: {said}")
        self.port = int(line.split()[1])

    def client(self) -> Any:
        return boto3.client(
            "route53",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=2),
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def batch(n: int) -> dict[str, Any]:
    """Three record sets at once: b<n>-0, -1, -2."""
    return {
        "Changes": [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": f"b{n}-{k}.durable.test.",
                    "Type": "A",
                    "TTL": 60,
                    "ResourceRecords": [{"Value": f"192.0.2.{k + 1}"}],
                },
            }
            for k in range(3)
        ]
    }


def names_held(client: Any, zone_id: str) -> set[str]:
    pages = client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    return {rrset["Name"] for page in pages for rrset in page["ResourceRecordSets"]}


def test_a_server_killed_while_changing_keeps_every_acknowledged_batch_whole(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "state"
    server = Server(directory)
    created = server.client().create_hosted_zone(Name="durable.test", CallerReference="one")
    zone_id = created["HostedZone"]["Id"]
    change_id = created["ChangeInfo"]["Id"]
    acknowledged: list[int] = []
    rng = random.Random(3)
    numbers = itertools.count()  # a batch sent as the server died may be in or not: never reused
    for _round in range(3):
        client = server.client()
        stop = threading.Event()

        def apply(client: Any = client, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                n = next(numbers)
                try:
                    client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch(n))
                except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
                    return  # killed mid-request: not acknowledged
                acknowledged.append(n)

        worker = threading.Thread(target=apply)
        worker.start()
        time.sleep(rng.uniform(0.2, 0.6))
        server.kill()
        stop.set()
        worker.join(10)
        server = Server(directory)
        held = names_held(server.client(), zone_id)
        for number in acknowledged:
            assert {f"b{number}-{k}.durable.test." for k in range(3)} <= held
        batches = [name.split("-")[0] for name in held if name.startswith("b")]
        assert all(batches.count(b) == 3 for b in set(batches))  # never half a batch
    again = server.client()
    assert again.get_change(Id=change_id)["ChangeInfo"]["Status"] == "INSYNC"
    assert again.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"] == "durable.test."
    with pytest.raises(again.exceptions.HostedZoneAlreadyExists):
        again.create_hosted_zone(Name="durable.test", CallerReference="one")
    server.kill()
    assert len(acknowledged) > 10


def test_a_damaged_journal_stops_the_start_with_the_file_and_line(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    server = Server(directory)
    client = server.client()
    zone_id = client.create_hosted_zone(Name="durable.test", CallerReference="x")["HostedZone"][
        "Id"
    ]
    for n in range(3):
        client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch(n))
    server.kill()
    journal = directory / "journal-0.log"
    lines = journal.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"192.0.2.1", b"192.0.2.9")
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(AssertionError, match=f"{journal}:2: a damaged line before the last one"):
        Server(directory)
