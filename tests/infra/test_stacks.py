"""The synthesized stacks, asserted as CloudFormation: encryption, backups per table, queues and their dead
letters, schedules, alarms, the permission sets and environments, the API's routes and authorizer, the portal's
headers; then cdk-nag (AwsSolutions, zero errors) and cfn-lint (zero errors) on every template."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from cdk_synth import Synthesized, needs_node, synthesize

if TYPE_CHECKING:
    from pathlib import Path


def resources(hub: Synthesized, stack: str, kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = hub.templates[stack].find_resources(kind)
    return found


def test_tables_are_on_demand_encrypted_and_backed_up_except_the_readers_secrets(hub: Synthesized) -> None:
    tables = resources(hub, "data", "AWS::DynamoDB::Table")
    by_name = {name.removesuffix("Table").split("Table")[0]: t["Properties"] for name, t in tables.items()}
    assert len(tables) == 4
    for name, table in by_name.items():
        assert table["BillingMode"] == "PAY_PER_REQUEST", name
        assert table["SSESpecification"]["SSEEnabled"] is True and table["SSESpecification"]["SSEType"] == "KMS"
        assert "KMSMasterKeyId" in table["SSESpecification"], name  # the customer-managed data key
        pitr = table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        assert pitr is (not name.startswith("ReaderSecrets")), name
    secrets = next(t for n, t in by_name.items() if n.startswith("ReaderSecrets"))
    assert [k["AttributeName"] for k in secrets["KeySchema"]] == ["pk"]
    assert not resources(hub, "data", "AWS::Backup::BackupPlan")


def test_keys_rotate_and_the_archive_is_private_encrypted_and_tls_only(hub: Synthesized) -> None:
    keys = resources(hub, "data", "AWS::KMS::Key")
    assert len(keys) == 2 and all(k["Properties"]["EnableKeyRotation"] is True for k in keys.values())
    buckets = resources(hub, "data", "AWS::S3::Bucket")
    raw = next(b["Properties"] for n, b in buckets.items() if n.startswith("RawArchive"))
    rule = raw["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] == "aws:kms" and "KMSMasterKeyID" in rule
    assert raw["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    policies = json.dumps(resources(hub, "data", "AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policies


def test_the_search_domain_is_encrypted_https_only_with_fine_grained_access(hub: Synthesized) -> None:
    (domain,) = resources(hub, "data", "AWS::OpenSearchService::Domain").values()
    props = domain["Properties"]
    assert props["EncryptionAtRestOptions"]["Enabled"] is True
    assert props["NodeToNodeEncryptionOptions"]["Enabled"] is True
    assert props["DomainEndpointOptions"]["EnforceHTTPS"] is True
    assert props["AdvancedSecurityOptions"]["Enabled"] is True
    (statement,) = props["AccessPolicies"]["Statement"]
    assert "*" not in json.dumps(statement["Principal"])


def test_push_queue_dead_letters_and_partial_batch_failures(hub: Synthesized) -> None:
    queues = resources(hub, "functions", "AWS::SQS::Queue")
    push = next(q["Properties"] for n, q in queues.items() if n.startswith("PushQueue"))
    assert push["RedrivePolicy"]["maxReceiveCount"] == 3
    assert push["VisibilityTimeout"] > 900 and "KmsMasterKeyId" in push
    mappings = resources(hub, "functions", "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 2  # push_shard on the push queue, harvest_run on the harvest queue
    for mapping in mappings.values():
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    sizes = sorted(m["Properties"]["BatchSize"] for m in mappings.values())
    assert sizes == [1, 10]
    harvest = next(
        q["Properties"] for n, q in resources(hub, "data", "AWS::SQS::Queue").items() if n.startswith("HarvestQueue")
    )
    assert harvest["RedrivePolicy"]["maxReceiveCount"] == 3


def test_a_schedule_per_member_source_and_per_push_frequency(hub: Synthesized) -> None:
    from consortium.members import load_registry
    from hubstack.config import REPO_ROOT

    schedules = [s["Properties"] for s in resources(hub, "functions", "AWS::Scheduler::Schedule").values()]
    registry = load_registry(REPO_ROOT / "members.toml")
    sources = [(m.id, s) for m in registry.members for s in m.sources if not s.paused]
    harvests = {json.loads(s["Target"]["Input"])["source"]: s for s in schedules if "harvest" in s["Name"]}
    assert len([s for s in schedules if "harvest" in s["Name"]]) == len(sources)
    for member, source in sources:
        schedule = next(s for s in schedules if s["Name"] == f"harvest-{member}-{source.id}")
        assert schedule["ScheduleExpression"] == source.schedule
        assert json.loads(schedule["Target"]["Input"]) == {"member": member, "source": source.id, "steps": 0}
    assert harvests
    push = {s["Name"]: json.loads(s["Target"]["Input"]) for s in schedules if s["Name"].startswith("push-")}
    assert push == {f"push-{f}": {"shards": 8, "frequency": f} for f in ("daily", "weekly", "monthly")}
    [evidence] = [s for s in schedules if s["Name"] == "ranking-evidence"]
    assert evidence["ScheduleExpression"] == "cron(0 5 * * ? *)"  # daily, two hours before the push schedules
    function = _functions(hub)["push_evidence"]["logical"]
    assert evidence["Target"]["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert len(schedules) == len(sources) + 4
    machines = resources(hub, "functions", "AWS::StepFunctions::StateMachine")
    assert len([name for name in machines if name.startswith("HarvestMachine")]) == 1


def test_a_schedule_or_daily_rule_that_cannot_start_its_job_is_retried_then_kept_in_dead_letters(
    hub: Synthesized,
) -> None:
    from hubstack.functions import SCHEDULE_RETRIES, SCHEDULE_RETRY_SECONDS

    queues = resources(hub, "functions", "AWS::SQS::Queue")
    (dead,) = [name for name in queues if name.startswith("ScheduleDeadLetters")]
    assert "KmsMasterKeyId" in queues[dead]["Properties"]
    arn = {"Fn::GetAtt": [dead, "Arn"]}
    schedules = [s["Properties"] for s in resources(hub, "functions", "AWS::Scheduler::Schedule").values()]
    assert schedules
    for schedule in schedules:
        assert schedule["Target"]["DeadLetterConfig"] == {"Arn": arn}, schedule["Name"]
        assert schedule["Target"]["RetryPolicy"] == {
            "MaximumEventAgeInSeconds": SCHEDULE_RETRY_SECONDS,
            "MaximumRetryAttempts": SCHEDULE_RETRIES,
        }
    rules = [r["Properties"] for r in resources(hub, "functions", "AWS::Events::Rule").values()]
    daily = [t for rule in rules if rule.get("ScheduleExpression") == "rate(1 day)" for t in rule["Targets"]]
    assert len(daily) == 3  # the purge, the pruning of old harvest runs, the analytics report
    for target in daily:
        assert target["DeadLetterConfig"] == {"Arn": arn}
        assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == SCHEDULE_RETRY_SECONDS
    # The schedules' role may write there (Scheduler sends a schedule's dead letters as it), and EventBridge may
    # as its service (the rules'), through the queue's policy.
    policies = resources(hub, "functions", "AWS::IAM::Policy")
    role_statements = [
        st
        for policy in policies.values()
        if any("SchedulerRole" in str(r) for r in policy["Properties"]["Roles"])
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any("sqs:SendMessage" in st["Action"] and st["Resource"] == arn for st in role_statements)
    queue_policies = resources(hub, "functions", "AWS::SQS::QueuePolicy")
    allowed = [
        st
        for policy in queue_policies.values()
        if {"Ref": dead} in policy["Properties"]["Queues"]
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
        if st["Effect"] == "Allow"
    ]
    assert any(st["Principal"] == {"Service": "events.amazonaws.com"} for st in allowed)
    key_statements = [
        st
        for key in resources(hub, "data", "AWS::KMS::Key").values()
        for st in key["Properties"]["KeyPolicy"]["Statement"]
    ]
    assert any(
        st["Principal"] == {"Service": "events.amazonaws.com"} and "kms:GenerateDataKey*" in st["Action"]
        for st in key_statements
    )  # the queue is encrypted with the data key: EventBridge must be able to use it


def test_the_portal_elsewhere_may_call_the_api_preflights_gateway_refusals_and_the_functions_answers(
    hub: Synthesized,
) -> None:
    """The portal is on CloudFront, the API on API Gateway: without CORS for the portal's origin a browser reads
    none of the API's answers."""
    from consortium.http import cors
    from consortium.http.problems import API_ERRORS
    from hubstack.api_cors import GATEWAY_CODES

    methods = resources(hub, "api", "AWS::ApiGateway::Method")
    by_resource: dict[str, set[str]] = {}
    for method in methods.values():
        props = method["Properties"]
        if props.get("RestApiId", {}).get("Ref", "").startswith("Api"):
            by_resource.setdefault(json.dumps(props["ResourceId"]), set()).add(props["HttpMethod"])
    served = {key: verbs for key, verbs in by_resource.items() if verbs - {"OPTIONS"}}
    assert served and all("OPTIONS" in verbs for verbs in served.values())  # every path the portal may call
    preflight = next(m["Properties"] for m in methods.values() if m["Properties"]["HttpMethod"] == "OPTIONS")
    assert preflight["AuthorizationType"] == "NONE" and preflight["Integration"]["Type"] == "MOCK"
    answer = preflight["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
    origin = answer["method.response.header.Access-Control-Allow-Origin"]
    assert "Distribution" in json.dumps(origin)  # the portal's CloudFront address
    assert answer["method.response.header.Access-Control-Allow-Headers"] == "'" + ",".join(cors.ALLOWED_HEADERS) + "'"

    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in resources(hub, "api", "AWS::ApiGateway::GatewayResponse").values()
    }
    assert {"DEFAULT_4XX", "DEFAULT_5XX", *GATEWAY_CODES} <= set(responses)
    for kind, props in responses.items():
        assert props["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == origin, kind
    for kind, (code, _, status) in GATEWAY_CODES.items():
        body = responses[kind]["ResponseTemplates"]["application/json"]
        assert f'"code": "{code}"' in body and "$context.error.messageString" in body
        assert code in API_ERRORS
        if status:
            assert int(responses[kind]["StatusCode"]) == status == API_ERRORS[code].status

    quoted = origin["Fn::Join"][1]  # "'https://", the distribution's domain, "'"
    assert quoted[0] == "'https://" and quoted[2] == "'"
    functions = _functions(hub)
    for name in ("discovery", "members", "profile", "push", "cooperation"):
        variables = functions[name]["Environment"]["Variables"]
        assert variables["CONSORTIUM_PORTAL_ORIGINS"] == {"Fn::Join": ["", ["https://", quoted[1]]]}, name
    assert "CONSORTIUM_PORTAL_ORIGINS" not in functions["push_shard"]["Environment"]["Variables"]


def test_every_table_alarms_on_system_errors_and_throttled_requests(hub: Synthesized) -> None:
    alarms = [a["Properties"] for a in resources(hub, "functions", "AWS::CloudWatch::Alarm").values()]
    tables = resources(hub, "data", "AWS::DynamoDB::Table")
    math = [a for a in alarms if "Metrics" in a]
    assert len(math) == 2 * len(tables) == 8
    for alarm in math:
        metrics = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
        assert 0 < len(alarm["Metrics"]) <= 10 and alarm["AlarmActions"]  # what CloudWatch takes in one alarm
        assert {m["MetricName"] for m in metrics} in ({"SystemErrors"}, {"ThrottledRequests"})
        assert len({json.dumps(d["Value"]) for m in metrics for d in m["Dimensions"] if d["Name"] == "TableName"}) == 1
    described = " ".join(a["AlarmDescription"] for a in math)
    for name in ("records", "clusters", "profiles", "reader_secrets"):
        assert f"{name} table: DynamoDB failed" in described and f"{name} table: DynamoDB throttled" in described


def test_api_stages_alarm_on_server_errors(hub: Synthesized) -> None:
    from hubstack.functions import API_SERVER_ERRORS

    alarms = [a["Properties"] for a in resources(hub, "functions", "AWS::CloudWatch::Alarm").values()]
    errors = [a for a in alarms if a.get("MetricName") == "5XXError"]
    assert len(errors) == 2  # the readers' and members' API, and the member API for IAM
    for alarm in errors:
        assert alarm["Threshold"] == API_SERVER_ERRORS and alarm["Statistic"] == "Sum" and alarm["AlarmActions"]
        assert {d["Name"] for d in alarm["Dimensions"]} == {"ApiName", "Stage"}


def test_alarms_on_every_function_and_dead_letter_queue(hub: Synthesized) -> None:
    alarms = [a["Properties"] for a in resources(hub, "functions", "AWS::CloudWatch::Alarm").values()]
    by_metric: dict[str, int] = {}
    for alarm in alarms:
        if "Metrics" in alarm:  # metric math: the tables' (test below)
            continue
        by_metric[alarm["MetricName"]] = by_metric.get(alarm["MetricName"], 0) + 1
        assert alarm["AlarmActions"], alarm["AlarmDescription"]
    assert by_metric == {
        "Errors": 15,
        "Throttles": 15,
        "ApproximateNumberOfMessagesVisible": 3,
        "5XXError": 2,
        "ExecutionsFailed": 3,
        "ExecutionsTimedOut": 1,
        "ClusterStatus.red": 1,
        "ClusterIndexWritesBlocked": 1,
        "FreeStorageSpace": 1,
        "AutomatedSnapshotFailure": 1,
        "JVMMemoryPressure": 1,
    }
    (identity,) = resources(hub, "functions", "AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == "consortium.example.edu"
    assert identity["Properties"]["DkimSigningAttributes"]["NextSigningKeyLength"] == "RSA_2048_BIT"


def test_a_failed_scheduled_harvest_and_an_unhealthy_search_domain_raise_alarms(hub: Synthesized) -> None:
    """A failed page ends the harvest machine's execution in its Fail state (harvest_step answers ``ok: false``
    rather than raising), so no function alarm sees it: the machine's own failures must."""
    alarms = resources(hub, "functions", "AWS::CloudWatch::Alarm")
    machines = resources(hub, "functions", "AWS::StepFunctions::StateMachine")
    (harvest,) = [name for name in machines if name.startswith("HarvestMachine")]
    on_harvest = {
        a["Properties"]["MetricName"]
        for a in alarms.values()
        if {"Name": "StateMachineArn", "Value": {"Ref": harvest}} in a["Properties"].get("Dimensions", [])
    }
    assert on_harvest == {"ExecutionsFailed", "ExecutionsTimedOut"}
    search = {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in alarms.values()
        if a["Properties"].get("Namespace") == "AWS/ES"
    }
    assert set(search) == {
        "ClusterStatus.red",
        "ClusterIndexWritesBlocked",
        "FreeStorageSpace",
        "AutomatedSnapshotFailure",
        "JVMMemoryPressure",
    }
    assert search["FreeStorageSpace"]["ComparisonOperator"] == "LessThanOrEqualToThreshold"
    assert search["FreeStorageSpace"]["Threshold"] == 10 * 1024 * 0.2  # a fifth of dev's 10 GB, in MiB
    assert all(alarm["AlarmActions"] for alarm in search.values())


def test_the_runbook_finds_the_alarm_topic_the_harvest_machine_and_the_dead_letter_queues(hub: Synthesized) -> None:
    outputs = hub.templates["functions"].to_json()["Outputs"]
    named = {name.rstrip("0123456789ABCDEF"): output for name, output in outputs.items()}
    for name in (
        "AlarmTopicArn",
        "HarvestMachineArn",
        "HarvestDeadLetterQueueUrl",
        "HarvestDeadLetterQueueArn",
        "PushDeadLetterQueueUrl",
        "PushDeadLetterQueueArn",
        "ScheduleDeadLetterQueueUrl",
        "HarvestStepLogGroup",
        "HarvestRunLogGroup",
        "PushShardLogGroup",
    ):
        assert name in named, sorted(outputs)
    topics = resources(hub, "functions", "AWS::SNS::Topic")
    assert named["AlarmTopicArn"]["Value"] == {"Ref": next(iter(topics))}
    dead = [name for name in resources(hub, "functions", "AWS::SQS::Queue") if name.startswith("PushDeadLetters")]
    assert named["PushDeadLetterQueueArn"]["Value"] == {"Fn::GetAtt": [dead[0], "Arn"]}


def _functions(hub: Synthesized) -> dict[str, dict[str, Any]]:
    from hubstack.lambdas import API_FUNCTIONS, FUNCTIONS

    found = {}
    for stack, specs in (("api", API_FUNCTIONS), ("functions", FUNCTIONS)):
        for name, fn in resources(hub, stack, "AWS::Lambda::Function").items():
            handler = fn["Properties"]["Handler"]
            for spec_name, spec in specs.items():
                if handler == spec.handler_path:
                    found[spec_name] = {"logical": name, "stack": stack, **fn["Properties"]}
    assert set(found) == set(API_FUNCTIONS) | set(FUNCTIONS)
    return found


def test_each_function_gets_exactly_the_settings_its_code_reads(hub: Synthesized) -> None:
    from hubstack.permissions import load_permissions

    sets = load_permissions()
    for name, fn in _functions(hub).items():
        variables = fn["Environment"]["Variables"]
        assert sorted(variables) == sorted(sets.of(name).environment_names()), name
        assert variables["CONSORTIUM_BACKEND"] == "aws"


def _statements(hub: Synthesized, stack: str, role_logical: str) -> list[dict[str, Any]]:
    found = []
    for policy in resources(hub, stack, "AWS::IAM::Policy").values():
        if {"Ref": role_logical} in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def test_each_role_holds_its_permission_set_and_nothing_wider(hub: Synthesized) -> None:
    from hubstack.permissions import load_permissions

    sets = load_permissions()
    for name, fn in _functions(hub).items():
        role = fn["Role"]["Fn::GetAtt"][0]
        statements = _statements(hub, fn["stack"], role)
        actions = set()
        for statement in statements:
            listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            actions |= set(listed)
            assert not any(a.endswith(":*") or a == "*" for a in listed), (name, listed)
            if any(a.startswith(("dynamodb:", "kms:")) for a in listed):
                assert statement["Resource"] != "*", (name, listed)
        expected = {f"dynamodb:{a}" for t in sets.of(name).dynamodb.values() for a in t}
        assert {a for a in actions if a.startswith("dynamodb:")} == expected, name
        assert ("ses:SendEmail" in actions) is (name in ("push_shard", "cooperation")), name  # ILL notices
        assert ("kms:GenerateDataKey" in actions) is bool(
            sets.of(name).kms.get("readers", [])
            or any(
                set(a) & {"PutItem", "DeleteItem", "BatchWriteItem", "PutObject", "SendMessage"}
                for a in [*sets.of(name).dynamodb.values(), *sets.of(name).s3.values(), *sets.of(name).sqs.values()]
            )
        ), name


def test_the_ranking_evidence_is_one_s3_object_written_by_its_job_and_read_by_push_shards(hub: Synthesized) -> None:
    functions = _functions(hub)
    s3 = {}
    for name in ("push_evidence", "push_shard", "push_schedule", "push"):
        found = _statements(hub, functions[name]["stack"], functions[name]["Role"]["Fn::GetAtt"][0])
        s3[name] = [st for st in found if any(str(a).startswith("s3:") for a in _listed(st["Action"]))]
    writer = s3["push_evidence"]
    assert [_listed(st["Action"]) for st in writer] == [["s3:PutObject"]]
    assert "/evidence/ranking-evidence.json" in json.dumps(writer[0]["Resource"])
    reads = {tuple(_listed(st["Action"])): st for st in s3["push_shard"]}
    assert set(reads) == {("s3:GetObject",), ("s3:ListBucket",)}
    assert "/evidence/ranking-evidence.json" in json.dumps(reads[("s3:GetObject",)]["Resource"])
    assert reads[("s3:ListBucket",)]["Condition"] == {"StringEquals": {"s3:prefix": ["evidence/ranking-evidence.json"]}}
    assert s3["push_schedule"] == [] and s3["push"] == []
    assert "CONSORTIUM_RAW_BUCKET" in functions["push_shard"]["Environment"]["Variables"]


def _listed(action: str | list[str]) -> list[str]:
    return action if isinstance(action, list) else [action]


def test_every_route_is_a_method_and_bearer_only_routes_have_the_authorizer(hub: Synthesized) -> None:
    from hubstack.routes import api_routes

    routes = api_routes()
    readers_api = _rest_api(hub, "consortium-dev")
    methods = [
        m["Properties"]
        for m in resources(hub, "api", "AWS::ApiGateway::Method").values()
        if m["Properties"]["RestApiId"] == {"Ref": readers_api} and m["Properties"]["HttpMethod"] != "OPTIONS"
    ]
    assert len(methods) == len(routes)  # besides the CORS preflights
    cognito = [m for m in methods if m["AuthorizationType"] == "COGNITO_USER_POOLS"]
    assert len(cognito) == sum(route.bearer_only for route in routes) > 0
    (client,) = resources(hub, "api", "AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["AllowedOAuthFlows"] == ["code"] and props["GenerateSecret"] is False
    assert "login.html" in json.dumps(props["CallbackURLs"])
    assert "custom:member" not in json.dumps(props.get("WriteAttributes", []))
    (pool,) = resources(hub, "api", "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["UserPoolTier"] == "LITE"  # priced per active user: see infra/README.md's estimate
    assert len(resources(hub, "api", "AWS::WAFv2::WebACLAssociation")) == 2  # both APIs' stages
    stages = resources(hub, "api", "AWS::ApiGateway::Stage").values()
    assert [s["Properties"]["StageName"] for s in stages] == ["api", "api"]
    config = hub.stage.api.portal_config("https://portal.example")
    assert config["auth"]["mode"] == "cognito" and config["auth"]["redirect_uri"] == "https://portal.example/login.html"
    assert config["auth"]["authorize_endpoint"].endswith("/oauth2/authorize")
    assert config["auth"]["token_endpoint"].endswith("/oauth2/token")


def test_member_routes_count_on_usage_plans_named_by_the_usage_authorizer(hub: Synthesized) -> None:
    from consortium.http.gateway import member_usage_key, shared_usage_key
    from consortium.members import load_registry
    from hubstack.config import REPO_ROOT, StageConfig
    from hubstack.routes import api_routes

    apis = resources(hub, "api", "AWS::ApiGateway::RestApi").values()
    (api,) = [api for api in apis if api["Properties"]["Name"] != "consortium-dev-members-iam"]
    assert api["Properties"]["ApiKeySourceType"] == "AUTHORIZER"
    (authorizer,) = [a for a in resources(hub, "api", "AWS::ApiGateway::Authorizer").items() if a[1]["Properties"]
                     ["Type"] == "REQUEST"]  # fmt: skip
    logical, props = authorizer[0], authorizer[1]["Properties"]
    assert props["AuthorizerResultTtlInSeconds"] == 0 and not props.get("IdentitySource")
    assert "ApiAuthorizer" in json.dumps(props["AuthorizerUri"])  # the members app's api_authorizer function
    functions = resources(hub, "api", "AWS::Lambda::Function")
    (gatekeeper,) = [f["Properties"] for f in functions.values() if f["Properties"]["Handler"].endswith(
        "members.app.api_authorizer")]  # fmt: skip
    assert gatekeeper["Environment"]["Variables"]["CONSORTIUM_API_USAGE_KEY_PREFIX"] == "consortium-dev"
    # every route a member system may call: the usage authorizer and a usage plan's key; the others neither
    routes = api_routes()
    methods = [m["Properties"] for m in resources(hub, "api", "AWS::ApiGateway::Method").values()]
    metered = [m for m in methods if m.get("ApiKeyRequired")]
    assert len(metered) == sum(route.member_key for route in routes) > 0
    assert all(m["AuthorizationType"] == "CUSTOM" and m["AuthorizerId"] == {"Ref": logical} for m in metered)
    assert not any(m.get("ApiKeyRequired") for m in methods if m["AuthorizationType"] != "CUSTOM")
    # the plans: a shared one at the stage's throttle, one per member with the member_* defaults and a daily quota
    plans = {p["Properties"]["UsagePlanName"]: (name, p["Properties"])
             for name, p in resources(hub, "api", "AWS::ApiGateway::UsagePlan").items()}  # fmt: skip
    members = [m.id for m in load_registry(REPO_ROOT / "members.toml").members]
    assert set(plans) == {"consortium-dev-shared"} | {f"consortium-dev-member-{m}" for m in members}
    defaults = StageConfig(stage="dev")
    shared = plans["consortium-dev-shared"][1]
    assert shared["Throttle"] == {"RateLimit": defaults.api_throttle_rate, "BurstLimit": defaults.api_throttle_burst}
    assert "Quota" not in shared
    for member in members:
        plan = plans[f"consortium-dev-member-{member}"][1]
        assert plan["Throttle"] == {"RateLimit": 20, "BurstLimit": 40}
        assert plan["Quota"] == {"Limit": 100_000, "Period": "DAY"}
        assert len(plan["ApiStages"]) == 1 and "Stage" in plan["ApiStages"][0]
    # each plan's key: the value the authorizer answers with, linked to that plan only
    keys = resources(hub, "api", "AWS::ApiGateway::ApiKey")
    links = [k["Properties"] for k in resources(hub, "api", "AWS::ApiGateway::UsagePlanKey").values()]
    linked = {keys[k["KeyId"]["Ref"]]["Properties"]["Value"]: k["UsagePlanId"]["Ref"] for k in links}
    assert linked == {
        shared_usage_key("consortium-dev"): plans["consortium-dev-shared"][0],
        **{member_usage_key("consortium-dev", m): plans[f"consortium-dev-member-{m}"][0] for m in members},
    }


def test_member_limits_from_the_context_are_validated() -> None:
    from hubstack.config import stage_config

    config = stage_config({"stage": "dev", "member_limits": '{"riverside": {"rate": 5, "quota_per_day": 1000}}'})
    assert config.member_plan("riverside") == (5, 40, 1000)
    assert config.member_plan("lakeside") == (20, 40, 100_000)
    config.check_member_limits(["riverside", "lakeside"])
    with pytest.raises(ValueError, match=r"'member_limits': \['nowhere'\] not in the member registry"):
        stage_config({"stage": "dev", "member_limits": {"nowhere": {"rate": 1}}}).check_member_limits(["riverside"])
    with pytest.raises(ValueError, match=r"member_limits.riverside: a burst of 2 below a rate of 5"):
        stage_config({"stage": "dev", "member_limits": {"riverside": {"rate": 5, "burst": 2}}})
    with pytest.raises(ValueError, match=r"member_\*: a rate of 500 a second above the stage's api_throttle_rate"):
        stage_config({"stage": "dev", "member_throttle_rate": "500", "member_throttle_burst": "900"})
    with pytest.raises(ValueError, match=r"member_limits.riverside.rat"):
        stage_config({"stage": "dev", "member_limits": {"riverside": {"rat": 5}}})
    with pytest.raises(ValueError, match="'member_limits': not JSON"):
        stage_config({"stage": "dev", "member_limits": "{riverside"})


def test_a_misspelt_context_key_is_refused_naming_the_setting_it_resembles() -> None:
    from hubstack.config import check_context_keys

    check_context_keys(["stage", "stages", "push_shards", "@aws-cdk/core:newStyleStackSynthesis", "aws:cdk:x"])
    with pytest.raises(ValueError, match=r"'opensearch_instance_cout' is not a stage setting \(did you mean "):
        check_context_keys(["stage", "opensearch_instance_cout"])


def test_the_app_says_a_bad_context_key_and_a_bad_registry_in_one_line(tmp_path: Path) -> None:
    """``python infra/app.py`` (``make synth``; the CDK CLI runs it too): a typo in ``--context`` was ignored, a
    registry error was a traceback from inside the stage."""
    import os
    import subprocess
    import sys

    from hubstack.config import REPO_ROOT

    needs_node()
    (tmp_path / "asset" / "consortium").mkdir(parents=True)
    registry = tmp_path / "members.toml"
    registry.write_text('[[members]]\nid = "x"\nname = "X"\n[[members.sources]]\nid = "a"\nprotocol = "oai-pmh"\n'
                        'format = "oai_dc"\nurl = "ftp://x"\n', encoding="utf-8")  # fmt: skip
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path / "out"), "PYTHONPATH": f"{REPO_ROOT / 'infra'}:{REPO_ROOT}"}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = env["JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION"] = "1"
    base = [
        sys.executable,
        str(REPO_ROOT / "infra" / "app.py"),
        "-c",
        "stage=dev",
        "-c",
        f"lambda_asset={tmp_path}/asset",
    ]
    for extra, said in (
        (["-c", "opensearch_instance_cout=2"], "Error: context 'opensearch_instance_cout' is not a stage setting"),
        (["-c", f"members_file={registry}"], f"Error: {registry}: member 'x', source 'a', field 'url': must be"),
    ):
        done = subprocess.run([*base, *extra], env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith(said), done.stderr
    assert last.endswith("(line 8)")


def _rest_api(hub: Synthesized, name: str) -> str:
    (logical,) = [
        key
        for key, api in resources(hub, "api", "AWS::ApiGateway::RestApi").items()
        if api["Properties"]["Name"] == name
    ]
    return logical


def test_members_systems_sign_with_iam_on_the_member_api_for_iam(hub: Synthesized) -> None:
    """Every route a member's API key opens (public ones aside) is on the member API for IAM with AWS_IAM; nothing
    else is; the functions behind them know the API's id (the only API whose principal they believe); its resource
    policy lets the hub's own account invoke it, no one else by default."""
    from hubstack.member_iam_api import member_system_routes
    from hubstack.routes import api_routes

    iam_api = _rest_api(hub, "consortium-dev-members-iam")
    methods = [
        m["Properties"]
        for m in resources(hub, "api", "AWS::ApiGateway::Method").values()
        if m["Properties"]["RestApiId"] == {"Ref": iam_api}
    ]
    wanted = member_system_routes(api_routes())
    assert len(methods) == len(wanted) > 15
    assert {m["AuthorizationType"] for m in methods} == {"AWS_IAM"}
    assert {m["HttpMethod"] for m in methods} >= {"GET", "POST", "PATCH"}
    assert {r.path for r in wanted} >= {"/members/{member_id}/events", "/readers/{reader_id}/events", "/readers"}
    assert not {r.path for r in wanted} & {"/search", "/readers/{reader_id}/export", "/members/{member_id}/sharing"} - {
        "/members/{member_id}/sharing"  # GET is the library's; PUT (an administrator's) is not on this API
    }
    assert all(r.method == "GET" for r in wanted if r.path == "/members/{member_id}/sharing")
    policy = resources(hub, "api", "AWS::ApiGateway::RestApi")[iam_api]["Properties"]["Policy"]
    (statement,) = policy["Statement"]
    assert statement["Action"] == "execute-api:Invoke" and statement["Effect"] == "Allow"
    assert "AWS::AccountId" in json.dumps(statement["Principal"])
    functions = _functions(hub)
    for name in ("members", "profile", "cooperation"):
        variable = functions[name]["Environment"]["Variables"]["CONSORTIUM_MEMBER_IAM_API_ID"]
        assert variable == {"Ref": iam_api}, name
    for name in ("discovery", "push"):
        assert "CONSORTIUM_MEMBER_IAM_API_ID" not in functions[name]["Environment"]["Variables"]


def test_member_accounts_may_invoke_the_member_api_for_iam_and_bad_ones_are_refused(tmp_path: Path) -> None:
    from hubstack.config import stage_config

    with pytest.raises(ValueError, match=r"member_iam_accounts.*'12345' is not an AWS account id"):
        stage_config({"stage": "dev", "member_iam_accounts": "111111111111,12345"})
    assert stage_config({"stage": "dev", "member_iam_accounts": "111111111111, 222222222222"}).member_iam_accounts == (
        "111111111111",
        "222222222222",
    )
    needs_node()
    hub = synthesize(tmp_path / "out", tmp_path / "asset", member_iam_accounts="111111111111,222222222222")
    iam_api = _rest_api(hub, "consortium-dev-members-iam")
    (statement,) = resources(hub, "api", "AWS::ApiGateway::RestApi")[iam_api]["Properties"]["Policy"]["Statement"]
    principals = json.dumps(statement["Principal"])
    assert "arn:aws:iam::111111111111:root" in principals.replace('"', "") or "111111111111" in principals
    assert "222222222222" in principals


def test_the_portal_sends_the_local_servers_security_headers(hub: Synthesized) -> None:
    from consortium.http.portal import SECURITY_HEADERS

    (policy,) = resources(hub, "portal", "AWS::CloudFront::ResponseHeadersPolicy").values()
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    csp = json.dumps(config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for directive in SECURITY_HEADERS["Content-Security-Policy"].split("; "):
        if not directive.startswith("connect-src"):
            assert directive in csp
    assert "amazoncognito.com" in csp and "execute-api" in csp
    assert "connect-src 'self' https://*.execute-api." in csp  # the local server's policy, extended (one function)
    assert config["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"] == "DENY"
    assert resources(hub, "portal", "AWS::CloudFront::OriginAccessControl")


def test_cdk_nag_finds_no_error_in_any_stack(hub: Synthesized) -> None:
    from aws_cdk.assertions import Annotations, Match

    for stack in hub.stage.stacks:
        errors = Annotations.from_stack(stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
        assert [f"{e.id}: {e.entry.data}" for e in errors] == [], stack.stack_name


def test_cfn_lint_passes_every_template(hub: Synthesized) -> None:
    from cfnlint.api import ManualArgs, lint

    for name, template in hub.templates.items():
        matches = lint(json.dumps(template.to_json()), config=ManualArgs(regions=["us-east-1"]))
        errors = [f"{m.rule.id} {m.message}" for m in matches if m.rule.severity == "error"]
        assert errors == [], name


def test_a_stage_without_the_authorizer_does_not_synthesize(tmp_path: Path) -> None:
    needs_node()
    with pytest.raises(RuntimeError, match="no authorizer"):
        synthesize(tmp_path / "out", tmp_path / "asset", authorizer=False)


def test_the_bulk_rebuild_is_a_fargate_task_with_its_own_permission_set_started_by_a_state_machine(
    hub: Synthesized,
) -> None:
    from hubstack.permissions import load_permissions
    from hubstack.rebuild import COMMAND, REBUILD

    tasks = resources(hub, "functions", "AWS::ECS::TaskDefinition")
    (task,) = [t for name, t in tasks.items() if "PartitionTask" not in name]
    props = task["Properties"]
    assert props["RequiresCompatibilities"] == ["FARGATE"] and props["NetworkMode"] == "awsvpc"
    assert (props["Cpu"], props["Memory"]) == ("8192", "32768")  # the dev stage's defaults: 8 vCPU, 32 GB
    (partition,) = [t["Properties"] for name, t in tasks.items() if "PartitionTask" in name]
    assert (partition["Cpu"], partition["Memory"]) == ("2048", "16384")  # each partition's: 2 vCPU, 16 GB
    assert partition["ContainerDefinitions"] == props["ContainerDefinitions"]  # the same image, role, environment
    assert partition["TaskRoleArn"] == props["TaskRoleArn"]
    (container,) = props["ContainerDefinitions"]
    assert container["Command"] == COMMAND and container["ReadonlyRootFilesystem"] is True
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    permissions = load_permissions().of(REBUILD)
    assert [v["Name"] for v in container["Environment"]] == permissions.environment_names()
    # Its task role holds exactly the permission set's statements: the records read, the clusters written.
    roles = resources(hub, "functions", "AWS::IAM::Policy")
    task_role = props["TaskRoleArn"]["Fn::GetAtt"][0]
    (policy,) = [p["Properties"] for p in roles.values() if p["Properties"]["Roles"] == [{"Ref": task_role}]]
    actions = {a for s in policy["PolicyDocument"]["Statement"] for a in _list(s["Action"])}
    assert {"dynamodb:Query", "dynamodb:BatchWriteItem", "es:ESHttpDelete"} <= actions
    assert not any("*" in a for a in actions) and "dynamodb:Scan" not in actions
    records_statement = next(s for s in policy["PolicyDocument"]["Statement"] if "dynamodb:Query" in _list(s["Action"])
                             and "Records" in json.dumps(s["Resource"]))  # fmt: skip
    assert "dynamodb:PutItem" not in _list(records_statement["Action"])
    # A network of its own without NAT gateways, flow logs on; a state machine that waits for the task.
    assert not resources(hub, "functions", "AWS::EC2::NatGateway")
    assert len(resources(hub, "functions", "AWS::EC2::FlowLog")) == 1
    (cluster,) = resources(hub, "functions", "AWS::ECS::Cluster").values()
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["Properties"]["ClusterSettings"]
    machines = resources(hub, "functions", "AWS::StepFunctions::StateMachine")
    (rebuild,) = [m["Properties"] for name, m in machines.items() if name.startswith("DedupRebuildMachine")]
    assert ":states:::ecs:runTask.sync" in json.dumps(rebuild["DefinitionString"])
    outputs = hub.templates["functions"].to_json()["Outputs"]
    assert any(name.startswith("RebuildMachineArn") for name in outputs)


def test_the_partitioned_rebuild_plans_then_maps_its_partitions_then_finishes(hub: Synthesized) -> None:
    from hubstack.config import StageConfig
    from hubstack.rebuild import max_partition_records, partition_commands

    machines = resources(hub, "functions", "AWS::StepFunctions::StateMachine")
    (machine,) = [m["Properties"] for name, m in machines.items() if "PartitionedMachine" in name]
    definition = json.loads(_joined(machine["DefinitionString"]))
    states = definition["States"]
    assert definition["StartAt"] == "PlanCommand"
    order = ["PlanCommand", "PlanPartitions", "Partitions", "EachPartition", "FinishCommand", "FinishRebuild"]
    assert [states[name].get("Next") for name in order] == [*order[1:], None]
    assert states["FinishRebuild"]["End"] is True
    defaults = StageConfig(stage="dev")
    last = defaults.rebuild_partitions - 1
    assert states["Partitions"]["Parameters"] == {"partitions.$": f"States.ArrayRange(0, {last}, 1)"}
    each = states["EachPartition"]
    assert each["Type"] == "Map" and each["MaxConcurrency"] == defaults.rebuild_concurrency
    assert each["ItemsPath"] == "$.partitions"
    (inner,) = each["ItemProcessor"]["States"].values()
    for state in (states["PlanPartitions"], inner, states["FinishRebuild"]):
        assert state["Resource"].endswith(":states:::ecs:runTask.sync")
        (override,) = state["Parameters"]["Overrides"]["ContainerOverrides"]
        assert override["Command.$"] == "$.command"
    limit = max_partition_records(defaults.rebuild_partition_memory_gb)
    assert limit == 1_600_000  # 16 GB: about 10 KB a record
    expected = partition_commands(defaults.rebuild_partitions, limit, "RUN", "PART")
    assert expected["plan"][3:6] == ["4", "--max-records", "1600000"]
    for step, given in (("plan", states["PlanCommand"]["Parameters"]), ("partition", each["ItemSelector"]),
                        ("finish", states["FinishCommand"]["Parameters"])):  # fmt: skip
        words = ", ".join(f"'{word}'" for word in expected[step])
        words = words.replace("'RUN'", "$$.Execution.Name").replace("'PART'", "States.Format('{}', $$.Map.Item.Value)")
        assert given == {"command.$": f"States.Array({words})"}, step
    outputs = hub.templates["functions"].to_json()["Outputs"]
    assert any(name.startswith("PartitionedRebuildMachineArn") for name in outputs)
    # the plan is kept in the raw bucket: the task reads and writes objects there
    for task in resources(hub, "functions", "AWS::ECS::TaskDefinition").values():
        (container,) = task["Properties"]["ContainerDefinitions"]
        assert "CONSORTIUM_RAW_BUCKET" in [v["Name"] for v in container["Environment"]]
    # the plan and finish steps run the large task, each partition the partition-sized one
    assert "DedupRebuildTask" in json.dumps(states["PlanPartitions"]["Parameters"]["TaskDefinition"])
    assert "PartitionTask" in json.dumps(inner["Parameters"]["TaskDefinition"])


def _joined(value: Any) -> str:
    """A definition string as CloudFormation joins it, the references left as their logical names."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(_joined(part) for part in value["Fn::Join"][1])
    return json.dumps(value).replace('"', "")


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_the_search_domain_maps_every_role_that_reaches_the_index_at_deployment(hub: Synthesized) -> None:
    from hubstack.search_roles import HANDLER

    (mapping,) = resources(hub, "functions", "Custom::SearchRoleMapping").values()
    props = mapping["Properties"]
    searching = json.dumps(props["Search"])  # searches only: the discovery API, the analytics job's zero results
    assert len(props["Search"]) == 2 and "Discovery" in searching and "AnalyticsBuild" in searching
    writers = json.dumps(props["Index"])
    writing = ("HarvestStep", "HarvestRun", "DedupRebuild", "SearchReindex")
    assert len(props["Index"]) == 4 and all(name in writers for name in writing)
    functions = resources(hub, "functions", "AWS::Lambda::Function")
    (admin,) = [f["Properties"] for f in functions.values() if f["Properties"]["Handler"] == HANDLER]
    assert "SearchAdmin" in json.dumps(admin["Role"])  # the domain's master user
    master = resources(hub, "data", "AWS::OpenSearchService::Domain")
    assert "SearchAdmin" in json.dumps(next(iter(master.values()))["Properties"]["AdvancedSecurityOptions"])


def test_custom_domains_for_the_api_and_the_portal_from_the_context(tmp_path: Path) -> None:
    needs_node()
    api_cert = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    portal_cert = "arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000"
    hub = synthesize(
        tmp_path / "out",
        tmp_path / "asset",
        api_domain="api.library.example.edu",
        api_certificate_arn=api_cert,
        portal_domain="catalogue.library.example.edu",
        portal_certificate_arn=portal_cert,
    )
    (domain,) = resources(hub, "api", "AWS::ApiGateway::DomainName").values()
    assert domain["Properties"]["RegionalCertificateArn"] == api_cert
    assert domain["Properties"]["SecurityPolicy"] == "TLS_1_2"
    (mapping,) = resources(hub, "api", "AWS::ApiGateway::BasePathMapping").values()
    assert mapping["Properties"]["BasePath"] == "api"
    for function in resources(hub, "api", "AWS::Lambda::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        if "CONSORTIUM_PUBLIC_URL" in variables:
            assert variables["CONSORTIUM_PUBLIC_URL"] == "https://api.library.example.edu/api"
    (distribution,) = resources(hub, "portal", "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == ["catalogue.library.example.edu"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == portal_cert
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    headers = json.dumps(resources(hub, "portal", "AWS::CloudFront::ResponseHeadersPolicy"))
    assert "connect-src 'self' https://api.library.example.edu " in headers and "execute-api" not in headers
    (client,) = resources(hub, "api", "AWS::Cognito::UserPoolClient").values()
    assert client["Properties"]["CallbackURLs"] == ["https://catalogue.library.example.edu/login.html"]
    from aws_cdk.assertions import Annotations, Match

    for stack in hub.stage.stacks:
        errors = Annotations.from_stack(stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
        assert [f"{e.id}: {e.entry.data}" for e in errors] == [], stack.stack_name


def test_a_domain_without_its_certificate_is_refused_naming_both() -> None:
    from hubstack.config import stage_config

    with pytest.raises(ValueError, match="api_domain and api_certificate_arn go together"):
        stage_config({"stage": "dev", "api_domain": "api.library.example.edu"})
    with pytest.raises(ValueError, match="us-east-1 only"):
        stage_config({"stage": "dev", "portal_domain": "p.example.edu",
                      "portal_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"})  # fmt: skip


def test_a_deployment_reindexes_when_its_layout_changed_and_runs_are_pruned_daily(hub: Synthesized) -> None:
    (trigger,) = resources(hub, "functions", "Custom::Trigger").values()
    props = trigger["Properties"]
    assert "SearchReindex" in json.dumps(props["HandlerArn"]) and props["InvocationType"] == "Event"
    assert any("SearchRoleMapping" in dependency for dependency in trigger.get("DependsOn", []))  # roles mapped first
    rules = [r["Properties"] for r in resources(hub, "functions", "AWS::Events::Rule").values()]
    daily = [r for r in rules if r.get("ScheduleExpression") == "rate(1 day)"]
    assert len(daily) == 2  # the retention purges; the analytics report
    targets = json.dumps([rule["Targets"] for rule in daily])
    assert "ProfilePurge" in targets and "HarvestPrune" in targets and "AnalyticsBuild" in targets


def test_the_portal_is_deployed_with_the_chart_library_from_node_modules_not_a_cdn(tmp_path: Path) -> None:
    from consortium.http.portal import VENDOR_FILES
    from hubstack.config import REPO_ROOT
    from hubstack.portal import staged_portal

    if not (REPO_ROOT / VENDOR_FILES["assets/vendor/echarts.min.js"]).is_file():
        pytest.skip("node_modules has no echarts: run make install (npm ci)")
    staged = staged_portal(REPO_ROOT / "portal")
    assert (staged / "analytics.html").is_file() and not (staged / "config.json").exists()
    assert (staged / "assets" / "vendor" / "echarts.min.js").stat().st_size > 500_000
    with pytest.raises(ValueError, match=r"node_modules/echarts/dist/echarts.min.js is not installed"):
        staged_portal(REPO_ROOT / "portal", repository=tmp_path)
