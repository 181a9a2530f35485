"""The hub end to end on AWS's APIs without AWS (issue 13): nothing is deployed. The stage is synthesized from the
CDK app in-process (its member registry a member whose OAI-PMH source is the test server), its resources made on
moto's server and osmem-server from the templates (:mod:`aws_stand_in`), and the real Lambda entry points run with
the environment each function's template gives it (:mod:`aws_runtime`): a variable the template forgets fails here.

The flow: the member source's schedule fires the harvest state machine, which calls ``harvest_step`` page by page
→ records and clusters in DynamoDB, raw records in S3 → the index → a reader signs in (a Cognito ID token), creates
their profile with consent, sends events, follows a class and subscribes by email through the REST API → the push
schedule fires ``push_schedule`` → one SQS message per shard → ``push_shard`` through the queue's event source
mapping → the digest through SES; once, and not again when the schedules fire again.

The stand-in's only differences from AWS, set on every function beside its template's variables: the endpoint of
every AWS client (moto), the registry file (``make package`` copies it into the asset as ``members.toml``), and
the search domain served over plain HTTP without the smartcn and ICU plugins (osmem-server).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from typing import TYPE_CHECKING, Any
from unittest import mock

import jwt
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import RawMessage, ses_backends
from oai_server import FixtureRepository, OaiTestServer, marcxml_record

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from aws_runtime import Runtime
    from aws_stand_in import StandIn

REGION = "us-east-1"
MEMBER = "eastlake"
BOOKS = [  # (id, title, author, isbn, clc): two editions of one book held under two ids are one work
    ("e1", "Programming in Rust", "Blandy, Jim", "9781492052593", "TP312"),
    ("e2", "Programming in Rust", "Blandy, Jim", "9781492052593", "TP312"),
    ("e3", "Structure and interpretation of computer programs", "Abelson, Harold", "9780262510875", "TP311"),
    ("e4", "Tang poems", "Li, Bai", "9787020002207", "I222.742"),
    ("e5", "Dream of the red chamber", "Cao, Xueqin", "9787020002214", "I242.47"),
    ("e6", "Database system concepts", "Silberschatz, Abraham", "9780078022159", "TP311.13"),
    ("e7", "A history of China", "Eberhard, Wolfram", "9780520032682", "K20"),
]


@pytest.fixture(scope="module")
def oai_source() -> Iterator[OaiTestServer]:
    repo = FixtureRepository()
    for n, (local_id, title, author, isbn, clc) in enumerate(BOOKS, start=1):
        record = marcxml_record(local_id, title, author, isbn, 2020, clc)
        repo.add(f"oai:eastlake:{local_id}", dt.datetime(2026, 1, n, tzinfo=dt.UTC), marcxml=record)
    with OaiTestServer(repo, page_size=3) as server:
        yield server


@pytest.fixture(scope="module")
def stage(
    tmp_path_factory: pytest.TempPathFactory, oai_source: OaiTestServer, moto_server: str, opensearch_server: str
) -> Iterator[tuple[StandIn, Runtime]]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the CDK's Python library synthesizes the stage with node")
    from aws_runtime import Runtime
    from aws_stand_in import StandIn
    from cdk_synth import synthesize

    root = tmp_path_factory.mktemp("e2e")
    members = root / "members.toml"
    members.write_text(
        f'[[members]]\nid = "{MEMBER}"\nname = "Eastlake Library"\niam_principals = ["{_role_arn(MEMBER)}"]\n'
        f'[[members.sources]]\nid = "oai"\nprotocol = "oai-pmh"\nurl = "{oai_source.base_url}"\nformat = "marcxml"\n'
        f'schedule = "rate(1 day)"\n\n[[members]]\nid = "westbrook"\nname = "Westbrook College Library"\n'
        f'iam_principals = ["{_role_arn("westbrook")}"]\n',
        encoding="utf-8",
    )
    synthesized = synthesize(root / "cdk.out", root / "asset", members_file=str(members))
    templates = {name: template.to_json() for name, template in synthesized.templates.items()}
    stand_in = StandIn(templates, endpoint=moto_server, search_url=opensearch_server, region=REGION)
    domain = stand_in.attribute("data", _logical(stand_in, "data", "AWS::OpenSearchService::Domain"), "DomainEndpoint")
    overrides = {
        "CONSORTIUM_AWS_ENDPOINT_URL": moto_server,
        "CONSORTIUM_MEMBERS_FILE": str(members),
        "CONSORTIUM_OPENSEARCH_CHINESE_ANALYZER": "false",
    }
    runtime = Runtime(stand_in, overrides, rewrite={f"https://{domain}": opensearch_server})
    yield stand_in, runtime


def _logical(stand_in: StandIn, stack: str, kind: str, prefix: str = "") -> str:
    (found,) = [logical for logical, _ in stand_in.resources(stack, kind) if logical.startswith(prefix)]
    return found


def _table(stand_in: StandIn, prefix: str) -> list[dict[str, Any]]:
    name = stand_in.attribute("data", _logical(stand_in, "data", "AWS::DynamoDB::Table", prefix), "Ref")
    pages = stand_in.client("dynamodb").get_paginator("scan").paginate(TableName=name)
    return [item for page in pages for item in page["Items"]]


def _sent_to(address: str) -> list[RawMessage]:
    """The mail SES (moto's) sent to ``address``."""
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    return [m for m in sent if isinstance(m, RawMessage) and f"To: {address}" in m.raw_data]


def _sign_in(stand_in: StandIn, runtime: Runtime, username: str, member: str) -> str:
    """A Cognito ID token of a reader of ``member`` (an administrator made the account: the pool takes no
    sign-ups)."""
    function = runtime.function("functions.profile.app.app")
    pool, client_id = (function.environment[f"CONSORTIUM_COGNITO_{name}"] for name in ("USER_POOL_ID", "CLIENT_ID"))
    cognito = stand_in.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=username,
        UserAttributes=[{"Name": "custom:member", "Value": member}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password="Reading-room-42!", Permanent=True)
    answer = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Reading-room-42!"},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def test_harvest_index_reader_push_and_digest_once_on_the_stage_s_own_environment(
    stage: tuple[StandIn, Runtime], tmp_path: Path
) -> None:
    stand_in, runtime = stage
    stand_in.make_all("AWS::SES::EmailIdentity")
    # the source's; daily, weekly, monthly push; the ranking evidence
    assert len(stand_in.make_all("AWS::Scheduler::Schedule")) == 5
    schedules = {p["Name"]: p for _, p in stand_in.resources("functions", "AWS::Scheduler::Schedule")}
    harvest_schedule, push_schedule = schedules[f"harvest-{MEMBER}-oai"], schedules["push-daily"]

    # 1. The member source's schedule fires: the state machine harvests its three OAI-PMH pages.
    execution = runtime.fire(harvest_schedule["GroupName"], harvest_schedule["Name"])
    assert execution["status"] == "SUCCEEDED", execution
    assert execution["states"].count("HarvestPage") == 3  # 7 records, 3 a page
    assert execution["output"]["page"]["result"]["added"] == len(BOOKS)

    records = {i["sk"]["S"] for i in _table(stand_in, "RecordsTable") if i["pk"]["S"] == f"REC#{MEMBER}"}
    assert records == {f"oai:eastlake:{b[0]}" for b in BOOKS}
    checkpoints = [i for i in _table(stand_in, "RecordsTable") if i["pk"]["S"].startswith("CP")]
    assert len(checkpoints) == 1 and f"{MEMBER}" in json.dumps(checkpoints)  # the source's checkpoint
    assert _table(stand_in, "ClustersTable"), "no clusters in DynamoDB"
    raw_bucket = runtime.function("functions.harvest.app.harvest_step").environment["CONSORTIUM_RAW_BUCKET"]
    assert stand_in.client("s3").list_objects_v2(Bucket=raw_bucket)["KeyCount"] == len(BOOKS)

    # 2. The index: anyone searches through the discovery function.
    status, found = runtime.request("GET", "/search", query={"q": "programming rust"})
    assert status == 200, found
    [rust] = found["hits"]
    assert rust["title"] == "Programming in Rust"
    status, everything = runtime.request("GET", "/search", query={"q": ""})
    assert status == 200 and everything["total"] == len(BOOKS) - 1  # e1 and e2 are one work

    # 2a. Usage plans: the authorizer counts anonymous searches on the shared plan, a member system's calls (its
    # hub API key, made as `consortium members key create` makes it) on its member's plan; a bad key is refused
    # before the members function runs.
    assert runtime.usage[-1] == ("consortium-dev-shared", "GET", "/search")
    from consortium.adapters.aws.dynamodb_api_keys import DynamoDbApiKeyStore
    from consortium.auth.api_keys import ApiKeys

    records_table = runtime.function("functions.harvest.app.harvest_step").environment["CONSORTIUM_RECORDS_TABLE"]
    issued = ApiKeys(DynamoDbApiKeyStore(records_table, client=stand_in.client("dynamodb"))).create(MEMBER, "e2e")
    status, sources = runtime.request("GET", f"/members/{MEMBER}/sources", api_key=issued.secret)
    assert status == 200 and [s["source"]["id"] for s in sources["sources"]] == ["oai"], sources
    assert runtime.usage[-1] == (f"consortium-dev-member-{MEMBER}", "GET", f"/members/{MEMBER}/sources")
    members_function = runtime.function("functions.members.app.app")
    calls = members_function.invocations
    forged_key = issued.secret[:-4] + ("AAAA" if not issued.secret.endswith("AAAA") else "BBBB")
    assert runtime.request("GET", f"/members/{MEMBER}/sources", api_key=forged_key)[0] == 401
    assert members_function.invocations == calls  # refused by the authorizer

    # 2b. The bulk re-clustering task, as its task definition runs it: the same works again, under new ids.
    task = _logical(stand_in, "functions", "AWS::ECS::TaskDefinition", "DedupRebuildTask")
    before = rust["cluster_id"]
    rebuilt = runtime.run_task("functions", task, cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert json.loads(rebuilt.stdout) == {"records": len(BOOKS), "clusters": len(BOOKS) - 1}
    status, found = runtime.request("GET", "/search", query={"q": "programming rust"})
    [rust] = found["hits"]
    assert status == 200 and rust["title"] == "Programming in Rust" and rust["cluster_id"] != before

    # 2c. The same re-clustering in partitions, as the partitioned state machine's steps override the command:
    # the plan into the raw bucket, each partition, then the stale clusters swept and the index rebuilt.
    from hubstack.rebuild import partition_commands

    steps = partition_commands(2, 1_000, "e2e-run", "{}")
    planned = runtime.run_task("functions", task, cwd=tmp_path, command=steps["plan"])
    assert planned.returncode == 0, planned.stderr[-2000:]
    assert sum(json.loads(planned.stdout)["partitions"]) == len(BOOKS)
    assert stand_in.client("s3").get_object(Bucket=raw_bucket, Key="rebuild/e2e-run/plan.json")["Body"].read()
    partition_task = _logical(stand_in, "functions", "AWS::ECS::TaskDefinition", "DedupRebuildPartitionTask")
    for index in range(2):
        words = [word.format(index) for word in steps["partition"]]
        done = runtime.run_task("functions", partition_task, cwd=tmp_path, command=words)
        assert done.returncode == 0, done.stderr[-2000:]
    finished = runtime.run_task("functions", task, cwd=tmp_path, command=steps["finish"])
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert json.loads(finished.stdout) == {"records": len(BOOKS), "clusters": len(BOOKS) - 1, "run": "e2e-run",
                                           "stale_deleted": 0}  # fmt: skip
    status, found = runtime.request("GET", "/search", query={"q": "programming rust"})
    [again] = found["hits"]
    assert status == 200 and again["title"] == "Programming in Rust" and again["cluster_id"] != rust["cluster_id"]
    status, everything = runtime.request("GET", "/search", query={"q": ""})
    assert status == 200 and everything["total"] == len(BOOKS) - 1
    rust = again

    # 3. A reader signs in, creates their profile with consent, sends events, follows a class, subscribes.
    token = _sign_in(stand_in, runtime, "daiyu", MEMBER)
    assert runtime.request("POST", "/readers", body={"reader_id": "x", "member": MEMBER})[0] == 401
    reader_id = _subject(token)
    forged = _forged(token)  # the same claims, signed by a key that is not the pool's: the function refuses it
    assert runtime.request("GET", f"/readers/{reader_id}/profile", token=forged)[0] == 401
    status, reader = runtime.request(
        "POST", "/readers", token=token, body={"reader_id": reader_id, "member": MEMBER,
                                              "consents": ["personalization", "push"]})  # fmt: skip
    assert status == 201, reader
    now = dt.datetime.now(dt.UTC).isoformat()
    for n, event in enumerate(
        ({"type": "search", "query": "programming"}, {"type": "view", "cluster_id": rust["cluster_id"]})
    ):
        status, answer = runtime.request(
            "POST", f"/readers/{reader_id}/events", token=token, body={"event_id": f"ev{n}", "at": now, **event}
        )
        assert status == 200, answer
    status, interests = runtime.request(
        "PUT", f"/readers/{reader_id}/interests", token=token, body={"key": "class:clc:TP31"}
    )
    assert status == 200, interests
    status, subscription = runtime.request(
        "PUT",
        f"/readers/{reader_id}/subscriptions/new_in_class",
        token=token,
        body={"channel": "email", "email": "daiyu@example.org", "frequency": "daily", "first_window_days": 1},
    )
    assert status == 200, subscription
    assert subscription["unsubscribe_url"].startswith("https://") and "/api/push/unsubscribe/" in subscription[
        "unsubscribe_url"]  # fmt: skip
    profile_items = _table(stand_in, "ProfilesTable")
    assert profile_items and not any(
        b"daiyu@example.org" in i.get("ciphertext", {}).get("B", b"") for i in profile_items
    )

    # 3b. The evidence schedule fires: the ranking evidence, counts only, in the raw bucket (push shards read it).
    evidence_schedule = schedules["ranking-evidence"]
    built = runtime.fire(evidence_schedule["GroupName"], evidence_schedule["Name"])
    assert built["ok"] is True and built["works"] == len(BOOKS) - 1 and built["work_pairs"] == 0, built
    stored = stand_in.client("s3").get_object(Bucket=raw_bucket, Key="evidence/ranking-evidence.json")["Body"].read()
    assert json.loads(stored)["built_at"] == built["built_at"] and reader_id.encode() not in stored

    # 4. The daily push schedule fires: one message per shard, each shard through the queue's worker, one digest.
    started = runtime.fire(push_schedule["GroupName"], push_schedule["Name"])
    shards = json.loads(push_schedule["Target"]["Input"])["shards"]
    assert started["ok"] is True and started["mode"] != "in_process" and started["messages"] == shards, started
    worker = runtime.function("functions.push.app.push_shard")
    answers = runtime.drain(worker)
    assert sum(1 for _ in answers) >= 1 and all(a == {"batchItemFailures": []} for a in answers)
    assert worker.invocations == len(answers) and len(answers) == -(-shards // 10)
    [mail] = _sent_to("daiyu@example.org")
    text = mail.raw_data
    assert "Programming in Rust" in text and "Database system concepts" in text
    assert "Tang poems" not in text and "A history of China" not in text
    api_id = stand_in.attribute("api", _logical(stand_in, "api", "AWS::ApiGateway::RestApi", "Api"), "Ref")
    api_url = f"https://{api_id}.execute-api.{REGION}.amazonaws.com/api"
    [unsubscribe] = re.findall(r"List-Unsubscribe: <([^>]+)>", text)
    assert unsubscribe.startswith(f"{api_url}/push/unsubscribe/")  # the REST API's own address, from the stack

    # 5. Everything fires again: nothing new is harvested, and no second digest is sent.
    again = runtime.fire(harvest_schedule["GroupName"], harvest_schedule["Name"])
    assert again["status"] == "SUCCEEDED" and again["output"]["page"]["result"]["added"] == 0
    assert runtime.fire(push_schedule["GroupName"], push_schedule["Name"])["ok"] is True
    assert all(a == {"batchItemFailures": []} for a in runtime.drain(worker))
    assert len(_sent_to("daiyu@example.org")) == 1
    status, history = runtime.request("GET", f"/readers/{reader_id}/push/history", token=token)
    assert status == 200 and {i["title"] for i in history["items"]} >= {"Programming in Rust"}
    token_path = unsubscribe.removeprefix(api_url)
    assert runtime.request("POST", token_path, form="List-Unsubscribe=One-Click")[0] == 200
    status, ended = runtime.request("GET", f"/readers/{reader_id}/subscriptions/new_in_class", token=token)
    assert status == 200 and ended["active"] is False


def _subject(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


def _forged(token: str) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    claims = jwt.decode(token, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})


# -- member systems signing with IAM (the member API for IAM)


def _role_arn(member: str) -> str:
    return f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/{member}-ils"


def _role_session(stand_in: StandIn, runtime: Runtime, role: str, *, may_invoke: bool = True) -> Credentials:
    """Temporary credentials of a session of ``role``, made in moto's IAM (with an identity policy letting it
    invoke the member API for IAM, unless ``may_invoke`` is false) and assumed through moto's STS."""
    iam = stand_in.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root"}}]}  # fmt: skip
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    api_id = stand_in.attribute("api", runtime.iam_api, "Ref")
    resource = f"arn:aws:execute-api:{REGION}:{DEFAULT_ACCOUNT_ID}:{api_id}/*"
    action = "execute-api:Invoke" if may_invoke else "execute-api:ManageConnections"
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    iam.put_role_policy(RoleName=role, PolicyName="invoke", PolicyDocument=json.dumps(policy))
    assumed = stand_in.client("sts").assume_role(RoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/{role}",
                                                 RoleSessionName="catalogue-sync")["Credentials"]  # fmt: skip
    return Credentials(assumed["AccessKeyId"], assumed["SecretAccessKey"], assumed["SessionToken"])


def _signed(
    runtime: Runtime, credentials: Credentials, method: str, path: str, *, body: str | None = None,
    query: dict[str, str] | None = None, when: dt.datetime | None = None,
) -> dict[str, str]:  # fmt: skip
    """The headers a member's system sends: its request signed with Signature Version 4 by botocore."""
    request = AWSRequest(method=method, url=runtime.iam_url(path, query), data=body or "",
                         headers={"Content-Type": "application/json"})  # fmt: skip
    signed_at = (when or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    return dict(request.headers.items())


def test_a_member_system_signing_with_its_iam_role_acts_for_its_member_only(stage: tuple[StandIn, Runtime]) -> None:
    stand_in, runtime = stage
    eastlake = _role_session(stand_in, runtime, "eastlake-ils")
    path = f"/members/{MEMBER}/sources"
    status, sources = runtime.request("GET", path, api="members-iam", signed=_signed(runtime, eastlake, "GET", path))
    assert status == 200, sources
    assert [s["source"]["id"] for s in sources["sources"]] == ["oai"]
    other = "/members/westbrook/sources"
    status, refused = runtime.request("GET", other, api="members-iam", signed=_signed(runtime, eastlake, "GET", other))
    assert status == 403, refused
    # a change it makes names the principal that made it
    pause = f"/members/{MEMBER}/sources/oai/pause"
    status, paused = runtime.request("POST", pause, api="members-iam", body="{}",
                                     signed=_signed(runtime, eastlake, "POST", pause, body="{}"))  # fmt: skip
    assert status == 200 and paused["source"]["paused"] is True, paused
    assert "eastlake-ils" in paused["updated_by"], paused
    resume = f"/members/{MEMBER}/sources/oai/resume"
    status, resumed = runtime.request(
        "POST", resume, api="members-iam", signed=_signed(runtime, eastlake, "POST", resume)
    )
    assert status == 200 and resumed["source"]["paused"] is False, resumed


def test_api_gateway_refuses_unsigned_forged_stale_and_unpermitted_calls_before_the_function(
    stage: tuple[StandIn, Runtime],
) -> None:
    stand_in, runtime = stage
    function = runtime.function("functions.members.app.app")
    westbrook = _role_session(stand_in, runtime, "westbrook-ils")
    path = "/members/westbrook/statistics"
    before = function.invocations
    assert runtime.request("GET", path, api="members-iam") == (403, {"message": "Missing Authentication Token"})
    forged = Credentials(westbrook.access_key, "not-the-secret", westbrook.token)
    status, answer = runtime.request("GET", path, api="members-iam", signed=_signed(runtime, forged, "GET", path))
    assert status == 403 and "signature we calculated does not match" in answer["message"]
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    signed = _signed(runtime, westbrook, "GET", path, when=stale)
    assert runtime.request("GET", path, api="members-iam", signed=signed) == (403, {"message": "Signature expired"})
    signed = _signed(runtime, westbrook, "GET", path)
    signed["X-Amz-Date"] = _signed(runtime, westbrook, "GET", path, when=stale)["X-Amz-Date"]
    status, answer = runtime.request("GET", path, api="members-iam", signed=signed)
    assert status == 403, answer  # a fresh signature with the date moved back no longer matches
    unpermitted = _role_session(stand_in, runtime, "westbrook-reports", may_invoke=False)
    status, answer = runtime.request("GET", path, api="members-iam", signed=_signed(runtime, unpermitted, "GET", path))
    assert status == 403 and "not authorized to perform: execute-api:Invoke" in answer["message"]
    assert function.invocations == before  # none of these reached the function
    status, statistics = runtime.request(
        "GET", path, api="members-iam", signed=_signed(runtime, westbrook, "GET", path)
    )
    assert status == 200 and statistics["member"] == "westbrook", statistics


def test_a_verified_principal_no_member_names_is_refused_by_the_hub(stage: tuple[StandIn, Runtime]) -> None:
    stand_in, runtime = stage
    stranger = _role_session(stand_in, runtime, "stranger-ils")
    path = f"/members/{MEMBER}/sources"
    status, answer = runtime.request("GET", path, api="members-iam", signed=_signed(runtime, stranger, "GET", path))
    assert status == 403 and "acts for no member" in answer["Message"], answer
    # the readers' API takes no AWS principal: a signed call there is anonymous
    status, answer = runtime.request("GET", path, signed=_signed(runtime, stranger, "GET", path))
    assert status == 401, answer


def test_the_portal_on_cloudfront_may_read_the_api_and_its_gateways_refusals(stage: tuple[StandIn, Runtime]) -> None:
    """What a browser on the portal's CloudFront address needs of the readers' REST API, from the templates: the
    preflight of API Gateway's mock, the functions' answers, and API Gateway's own refusals (the Cognito
    authorizer's 401, a path no route has) each naming the portal's origin, the refusals with the API's code."""
    _, runtime = stage
    portal = runtime.function("functions.discovery.app.app").environment["CONSORTIUM_PORTAL_ORIGINS"]
    assert portal.startswith("https://") and portal.endswith(".cloudfront.net")  # the distribution of the stage
    status, allowed = runtime.preflight("/readers/someone/profile", portal)
    assert status == 204 and allowed["Access-Control-Allow-Origin"] == portal
    assert "Authorization" in allowed["Access-Control-Allow-Headers"]
    assert runtime.request("GET", "/search", query={"q": "rust"}, origin=portal)[0] == 200
    assert runtime.last_headers["Access-Control-Allow-Origin"] == portal
    assert runtime.request("GET", "/search", query={"q": "rust"}, origin="https://elsewhere.example")[0] == 200
    assert "Access-Control-Allow-Origin" not in runtime.last_headers  # a page elsewhere reads nothing
    status, refused = runtime.request("GET", "/readers/someone/profile", origin=portal)  # no token: Cognito says no
    assert (status, refused["code"], refused["Message"]) == (401, "invalid_credentials", "Unauthorized")
    assert runtime.last_headers["Access-Control-Allow-Origin"] == portal
    status, missing = runtime.request("GET", "/nowhere", origin=portal)
    assert (status, missing["code"]) == (404, "no_route")
    assert runtime.last_headers["Access-Control-Allow-Origin"] == portal
