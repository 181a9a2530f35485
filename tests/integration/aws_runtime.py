"""What AWS itself would do with the stage's templates, done in the test process over a :class:`StandIn`.

Lambda
    :class:`LambdaFunction` runs a function's handler (``functions.push.app.push_shard``) from its own fresh import
    of the app (a Lambda environment), with exactly the ``CONSORTIUM_*`` variables its template gives it, plus the
    stand-in's few differences from AWS (:attr:`Runtime.overrides`): nothing else from the test's environment.
API Gateway
    :meth:`Runtime.request` finds the method the REST API's template declares for a path (its resources' path
    parts) and the function its integration names, and calls that function's handler with a REST proxy event, the
    Cognito authorizer's claims in ``requestContext.authorizer`` when the method has that authorizer (a call
    without a bearer token is refused there, as API Gateway does). A method with a Lambda (REQUEST) authorizer
    has it invoked first with API Gateway's authorizer event: an ``Unauthorized`` error is a 401; a method
    requiring an API key (``apiKeySource: AUTHORIZER``) takes the authorizer's ``usageIdentifierKey``, which must
    be the value of a template's API key in a usage plan of the stage (else 403); :attr:`Runtime.usage` records
    the plan each such request counted against. The member API for IAM (``AWS_IAM`` methods, its own REST API) is
    reached with ``api="members-iam"``: the request's Signature Version 4 is checked by moto's own IAM request
    check (the secret of the access key, an IAM user's or an assumed role's, as moto's IAM and STS issued it), the
    signature's age (15 minutes), the caller's IAM policies for ``execute-api:Invoke`` on the method's ARN (moto's
    policy evaluation) and the API's resource policy (the caller's account among its principals); the verified
    principal reaches the function as ``requestContext.identity.userArn`` with the API's id, as API Gateway passes
    them.
Lambda's SQS poller
    :meth:`Runtime.drain` receives what an event source mapping's queue holds, in batches of its ``BatchSize``,
    and deletes the messages the function did not list in ``batchItemFailures``.
ECS
    :meth:`Runtime.run_task` runs a task definition's container command in a process of its own, as its image does.
EventBridge Scheduler and Step Functions
    :meth:`Runtime.fire` reads a schedule back from moto's Scheduler and starts its target with its input: a
    function, or a state machine, whose definition (from the template) :meth:`Runtime.execute` interprets: Task
    (``lambda:invoke``), Pass, Choice, Succeed and Fail, the JSONPath and the intrinsic functions the hub's machine
    uses.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any
from unittest import mock
from urllib.parse import urlencode

import jwt
from aws_stand_in import ACCOUNT

if TYPE_CHECKING:
    from aws_stand_in import StandIn

__all__ = ["LambdaFunction", "Runtime"]

REPO = Path(__file__).resolve().parents[2]


@dataclass
class LambdaFunction:
    """One function of the stage: its handler and the environment its template gives it."""

    logical: str
    handler: str
    environment: dict[str, str]
    overrides: dict[str, str]
    invocations: int = 0
    _module: ModuleType | None = field(default=None, repr=False)

    def _environ(self) -> dict[str, str]:
        kept = {k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_")}
        return {**kept, "AWS_REGION": self.environment["CONSORTIUM_AWS_REGION"], **self.environment, **self.overrides}

    def invoke(self, event: Any) -> Any:
        """Call the handler with ``event`` in the function's environment (importing its app the first time)."""
        module_path, _, name = self.handler.rpartition(".")
        with mock.patch.dict(os.environ, self._environ(), clear=True):
            if self._module is None:
                spec = importlib.util.spec_from_file_location(
                    f"lambda_{self.logical}", REPO / (module_path.replace(".", "/") + ".py")
                )
                assert spec is not None and spec.loader is not None, self.handler
                self._module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = self._module
                spec.loader.exec_module(self._module)
            self.invocations += 1
            context = SimpleNamespace(
                function_name=self.logical,
                aws_request_id=str(uuid.uuid4()),
                get_remaining_time_in_millis=lambda: 300_000,
            )
            return getattr(self._module, name)(event, context)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    cognito: bool
    authorizer: str | None = None
    """The function of the method's Lambda authorizer."""
    key_required: bool = False
    api: str = ""
    """The logical id of the method's REST API."""
    iam: bool = False
    """The method's authorization is ``AWS_IAM``."""


class Runtime:
    """Lambda, API Gateway, the SQS poller, Scheduler and Step Functions over ``stand_in`` (module notes).

    ``overrides`` are the variables the stand-in sets beyond the templates' (its endpoint...); ``rewrite`` maps a
    template's value of a variable to what the stand-in serves it at (osmem-server speaks plain HTTP).
    """

    def __init__(self, stand_in: StandIn, overrides: dict[str, str], rewrite: dict[str, str]) -> None:
        self.stand_in = stand_in
        self.overrides = overrides
        self.rewrite = rewrite
        self.functions: dict[str, LambdaFunction] = {}
        for stack in stand_in.templates:
            for logical, properties in stand_in.resources(stack, "AWS::Lambda::Function"):
                handler = str(properties["Handler"])
                if not handler.startswith("functions."):
                    continue  # CDK's own helpers (the portal's bucket deployment)
                variables = stand_in.resolve(properties["Environment"]["Variables"], stack)
                environment = {name: rewrite.get(str(value), str(value)) for name, value in variables.items()}
                self.functions[logical] = LambdaFunction(logical, handler, environment, overrides)
        apis = {str(p["Name"]): logical for logical, p in stand_in.resources("api", "AWS::ApiGateway::RestApi")}
        (self.iam_api,) = [logical for name, logical in apis.items() if name.endswith("-members-iam")]
        routes = self._routes("api")
        self.routes = [route for route in routes if route.api != self.iam_api]
        """The routes of the readers' (and everyone's) REST API."""
        self.iam_routes = [route for route in routes if route.api == self.iam_api]
        """The routes of the member API for IAM."""
        self.plans = self._plans("api")
        """The usage plan (its name) of each API key value of the templates."""
        self.usage: list[tuple[str, str, str]] = []
        """``(usage plan, method, path)`` of each request a usage plan counted."""
        self.preflights = self._preflights("api")
        """The readers' REST API's ``OPTIONS`` mocks: each path's answer headers, as API Gateway sends them."""
        self.gateway_answers = self._gateway_answers("api")
        """The readers' REST API's own refusals (GatewayResponse) by response type: status, headers, template."""
        self.last_headers: dict[str, str] = {}
        """The headers of the last answer :meth:`request` gave (the function's, or the gateway's own)."""

    def function(self, handler: str) -> LambdaFunction:
        """The one function whose handler is ``handler``."""
        (found,) = [f for f in self.functions.values() if f.handler == handler]
        return found

    def _function_of_arn(self, arn: str) -> LambdaFunction:
        _stack, logical = self.stand_in.find(arn)
        return self.functions[logical]

    # -- API Gateway

    def _routes(self, stack: str) -> list[Route]:
        resources = dict(self.stand_in.resources(stack, "AWS::ApiGateway::Resource"))

        def path_of(reference: Any) -> str:
            if "Fn::GetAtt" in reference:  # the API's root resource
                return ""
            logical = reference["Ref"]
            properties = resources[logical]
            return f"{path_of(properties['ParentId'])}/{properties['PathPart']}"

        authorizers = {}
        for logical, properties in self.stand_in.resources(stack, "AWS::ApiGateway::Authorizer"):
            uri = json.dumps(properties.get("AuthorizerUri", {}))
            found = [name for name in self.functions if f'["{name}", "Arn"]' in uri]
            if properties["Type"] == "REQUEST":
                (authorizers[logical],) = found
        routes = []
        for _logical, properties in self.stand_in.resources(stack, "AWS::ApiGateway::Method"):
            integration = json.dumps(properties.get("Integration", {}))
            targets = [name for name in self.functions if f'["{name}", "Arn"]' in integration]
            if not targets:
                continue  # OPTIONS (CORS) answered by API Gateway itself
            (target,) = targets
            routes.append(
                Route(
                    method=str(properties["HttpMethod"]),
                    path=path_of(properties["ResourceId"]) or "/",
                    function=target,
                    cognito=properties.get("AuthorizationType") == "COGNITO_USER_POOLS",
                    authorizer=authorizers.get(properties.get("AuthorizerId", {}).get("Ref", ""))
                    if properties.get("AuthorizationType") == "CUSTOM"
                    else None,
                    key_required=properties.get("ApiKeyRequired") is True,
                    api=str(properties["RestApiId"]["Ref"]),
                    iam=properties.get("AuthorizationType") == "AWS_IAM",
                )
            )
        return routes

    def _resource_paths(self, stack: str) -> dict[str, str]:
        resources = dict(self.stand_in.resources(stack, "AWS::ApiGateway::Resource"))

        def path_of(logical: str) -> str:
            parent = resources[logical]["ParentId"]
            above = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
            return f"{above}/{resources[logical]['PathPart']}"

        return {logical: path_of(logical) for logical in resources}

    def _preflights(self, stack: str) -> dict[str, dict[str, str]]:
        paths = self._resource_paths(stack)
        found = {}
        for _logical, properties in self.stand_in.resources(stack, "AWS::ApiGateway::Method"):
            integration = properties.get("Integration", {})
            if properties["HttpMethod"] != "OPTIONS" or integration.get("Type") != "MOCK":
                continue
            if properties["RestApiId"]["Ref"] == self.iam_api:
                continue
            resource = properties["ResourceId"]
            path = "/" if "Fn::GetAtt" in resource else paths[resource["Ref"]]
            (answer,) = integration["IntegrationResponses"]
            parameters = self.stand_in.resolve(answer["ResponseParameters"], stack)
            found[path] = {
                name.removeprefix("method.response.header."): str(value).strip("'")
                for name, value in parameters.items()
            } | {":status": str(answer.get("StatusCode", "200"))}
        return found

    def _gateway_answers(self, stack: str) -> dict[str, dict[str, Any]]:
        found = {}
        for _logical, properties in self.stand_in.resources(stack, "AWS::ApiGateway::GatewayResponse"):
            if properties["RestApiId"]["Ref"] == self.iam_api:
                continue
            parameters = self.stand_in.resolve(properties.get("ResponseParameters", {}), stack)
            found[properties["ResponseType"]] = {
                "status": properties.get("StatusCode"),
                "headers": {
                    k.removeprefix("gatewayresponse.header."): str(v).strip("'") for k, v in parameters.items()
                },
                "template": properties.get("ResponseTemplates", {}).get("application/json"),
            }
        return found

    def _refused(self, kind: str, status: int, message: str, api: str = "readers") -> tuple[int, Any]:
        """API Gateway's own refusal of ``kind`` (``UNAUTHORIZED``...), as the REST API's GatewayResponses make it
        (the specific one, else DEFAULT_4XX or DEFAULT_5XX); API Gateway's default body without one."""
        answers = self.gateway_answers if api == "readers" else {}
        default = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        answer = answers.get(kind) or answers.get(default)
        self.last_headers = dict(answer["headers"]) if answer else {}
        if answer is None or answer["template"] is None:
            return status, {"message": message}
        body = answer["template"].replace("$context.error.messageString", json.dumps(message))
        return int(answer["status"] or status), json.loads(body)

    def preflight(self, path: str, origin: str) -> tuple[int, dict[str, str]]:
        """A browser's preflight of ``path`` from ``origin`` on the readers' REST API: API Gateway's mock answers
        it with the template's headers, whatever the origin (the browser compares them with its own)."""
        del origin
        for pattern, headers in self.preflights.items():
            regex = re.sub(r"\\{(\w+)\\}", r"[^/]+", re.escape(pattern))
            if re.fullmatch(regex, path):
                self.last_headers = {k: v for k, v in headers.items() if k != ":status"}
                return int(headers[":status"]), self.last_headers
        return self._refused("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")[0], {}

    def _plans(self, stack: str) -> dict[str, str]:
        keys = dict(self.stand_in.resources(stack, "AWS::ApiGateway::ApiKey"))
        plans = dict(self.stand_in.resources(stack, "AWS::ApiGateway::UsagePlan"))
        found = {}
        for _logical, link in self.stand_in.resources(stack, "AWS::ApiGateway::UsagePlanKey"):
            assert link["KeyType"] == "API_KEY"
            key, plan = keys[link["KeyId"]["Ref"]], plans[link["UsagePlanId"]["Ref"]]
            assert key.get("Enabled", True) is not False
            assert [s["Stage"] for s in plan["ApiStages"]], plan  # the plan covers the stage
            found[str(key["Value"])] = str(plan["UsagePlanName"])
        return found

    def _authorize(self, route: Route, method: str, path: str, headers: dict[str, str]) -> tuple[int, Any] | None:
        """API Gateway's Lambda authorizer and usage plan for one request: ``None`` to go on, or the refusal."""
        assert route.authorizer is not None
        method_arn = f"arn:aws:execute-api:{self.stand_in.region}:123456789012:stand-in/api/{method}{path}"
        event = {"type": "REQUEST", "methodArn": method_arn, "resource": route.path, "path": path,
                 "httpMethod": method, "headers": headers, "requestContext": {"stage": "api"}}  # fmt: skip
        try:
            answer = self.functions[route.authorizer].invoke(event)
        except Exception as exc:
            if str(exc) == "Unauthorized":
                return self._refused("UNAUTHORIZED", 401, "Unauthorized")
            return self._refused("AUTHORIZER_FAILURE", 500, f"authorizer failed: {exc!r}")
        (statement,) = answer["policyDocument"]["Statement"]
        if statement["Effect"] != "Allow" or statement["Resource"] not in (method_arn, "*"):
            return self._refused("ACCESS_DENIED", 403, "User is not authorized to access this resource")
        if route.key_required:
            plan = self.plans.get(str(answer.get("usageIdentifierKey")))
            if plan is None:  # no such key in any usage plan of the stage
                return self._refused("INVALID_API_KEY", 403, "Forbidden")
            self.usage.append((plan, method, path))
        return None

    def _verify_signature(
        self, method: str, url: str, headers: dict[str, str], body: str | None, method_arn: str
    ) -> tuple[int, Any] | dict[str, str]:
        """API Gateway's ``AWS_IAM`` authorization of one request: the identity it passes on, or the refusal."""
        from moto.core.exceptions import AccessDeniedError, InvalidClientTokenIdError, SignatureDoesNotMatchError
        from moto.iam.access_control import IAMRequest

        authorization = headers.get("Authorization", "")
        if not authorization.startswith("AWS4-HMAC-SHA256 "):
            return 403, {"message": "Missing Authentication Token"}
        signed_at = dt.datetime.strptime(headers.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        if abs(dt.datetime.now(dt.UTC) - signed_at) > dt.timedelta(minutes=15):
            return 403, {"message": "Signature expired"}
        try:
            check = IAMRequest(ACCOUNT, method, url, {}, (body or "").encode(), headers, "Invoke")
            check.check_signature()
            check.check_action_permitted(method_arn)
        except (InvalidClientTokenIdError, SignatureDoesNotMatchError, AccessDeniedError) as exc:
            return 403, {"message": exc.message}
        principal: str = check._access_key.arn
        account = principal.split(":")[4]
        (api,) = [
            p for logical, p in self.stand_in.resources("api", "AWS::ApiGateway::RestApi") if logical == self.iam_api
        ]
        policy = self.stand_in.resolve(api["Policy"], "api")
        allowed = {
            str(arn).split(":")[4]
            for statement in policy["Statement"]
            if statement["Effect"] == "Allow" and "execute-api:Invoke" in _listed(statement["Action"])
            for arn in _listed(statement["Principal"]["AWS"])
        }
        if account not in allowed:
            return 403, {"message": f"User: {principal} is not authorized to perform: execute-api:Invoke"}
        return {"userArn": principal, "accountId": account, "accessKey": authorization.split("Credential=")[1][:20]}

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        api_key: str | None = None,
        body: Any = None,
        form: str | None = None,
        query: dict[str, str] | None = None,
        api: str = "readers",
        signed: dict[str, str] | None = None,
        origin: str | None = None,
    ) -> tuple[int, Any]:
        """Send one request through a REST API (a JSON ``body`` or a urlencoded ``form``; from a page of
        ``origin``); the status and the decoded JSON answer (or its text), the answer's headers in
        :attr:`last_headers`. ``api="members-iam"`` sends it to the member API for IAM, with the
        ``signed`` headers a SigV4 signer made for :meth:`iam_url` (``body`` then is the text signed)."""
        routes = self.iam_routes if api == "members-iam" else self.routes
        self.last_headers = {}
        for route in routes:
            pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(route.path))
            found = re.fullmatch(pattern, path)
            if route.method == method and found:
                break
        else:
            if api == "members-iam":
                return 403, {"message": "Missing Authentication Token"}  # what API Gateway answers an unknown path
            return self._refused("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
        content_type = "application/x-www-form-urlencoded" if form is not None else "application/json"
        host = self.iam_url("/").split("/")[2] if api == "members-iam" else "api.example"
        headers = {
            "Content-Type": content_type,
            "Host": host,
            **(signed or {}),
            **({"Origin": origin} if origin else {}),
        }
        context: dict[str, Any] = {"httpMethod": method, "resourcePath": route.path, "stage": "api",
                                   "identity": {"sourceIp": "127.0.0.1"}, "path": f"/api{path}"}  # fmt: skip
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if api_key is not None:
            headers["X-Api-Key"] = api_key
        text = body if route.iam and isinstance(body, str) else None
        if route.iam:
            api_id = self.stand_in.attribute("api", self.iam_api, "Ref")
            method_arn = f"arn:aws:execute-api:{self.stand_in.region}:{ACCOUNT}:{api_id}/api/{method}{path}"
            verified = self._verify_signature(method, self.iam_url(path, query), headers, text, method_arn)
            if isinstance(verified, tuple):
                return verified
            context["identity"].update(verified)
            context["apiId"] = api_id
        if route.authorizer is not None and (refused := self._authorize(route, method, path, headers)) is not None:
            return refused
        if route.cognito:
            if token is None:
                return self._refused("UNAUTHORIZED", 401, "Unauthorized")  # the Cognito authorizer, before any function
            context["authorizer"] = {"claims": jwt.decode(token, options={"verify_signature": False})}
        event = {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
            "pathParameters": found.groupdict() or None,
            "stageVariables": None,
            "requestContext": context,
            "body": form
            if form is not None
            else text
            if text is not None
            else json.dumps(body)
            if body is not None
            else None,
            "isBase64Encoded": False,
        }
        answer = self.functions[route.function].invoke(event)
        several = {name: ", ".join(values) for name, values in (answer.get("multiValueHeaders") or {}).items()}
        self.last_headers = {**answer.get("headers", {}), **several}
        text = answer.get("body") or ""
        try:
            return int(answer["statusCode"]), json.loads(text) if text else None
        except ValueError:
            return int(answer["statusCode"]), text

    def iam_url(self, path: str, query: dict[str, str] | None = None) -> str:
        """The address of ``path`` on the member API for IAM, the one a member's system signs."""
        api_id = self.stand_in.attribute("api", self.iam_api, "Ref")
        address = f"https://{api_id}.execute-api.{self.stand_in.region}.amazonaws.com/api{path}"
        return f"{address}?{urlencode(sorted(query.items()))}" if query else address

    # -- SQS event sources

    def drain(self, function: LambdaFunction) -> list[dict[str, Any]]:
        """Deliver what the queues of ``function``'s event source mappings hold until they are empty; the
        function's answers."""
        answers = []
        sqs = self.stand_in.client("sqs")
        for stack in self.stand_in.templates:
            for _logical, mapping in self.stand_in.resources(stack, "AWS::Lambda::EventSourceMapping"):
                if mapping["FunctionName"] != {"Ref": function.logical}:
                    continue
                queue_arn = self.stand_in.resolve(mapping["EventSourceArn"], stack)
                queue_url = self.stand_in.attribute(*self.stand_in.find(queue_arn), "QueueUrl")
                batch = min(int(mapping.get("BatchSize", 10)), 10)
                while True:
                    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=batch).get("Messages", [])
                    if not received:
                        break
                    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                                "eventSource": "aws:sqs", "eventSourceARN": queue_arn} for m in received]  # fmt: skip
                    answer = function.invoke({"Records": records})
                    failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
                    assert "ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []) or not failed
                    for message in received:
                        if message["MessageId"] not in failed:
                            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                    answers.append(answer)
                    if failed:
                        break  # redelivered after the visibility timeout: the test looks at them itself
        return answers

    # -- ECS tasks

    def run_task(
        self, stack: str, logical: str, cwd: Path, command: list[str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run task definition ``logical``'s one container as its image would (``python -m consortium`` and the
        template's command, or ``command`` as a state machine's container override gives it) in a process of
        its own, with the template's environment and the stand-in's overrides, from ``cwd`` (not the
        repository: the image runs from its own folder)."""
        properties = self.stand_in.templates[stack]["Resources"][logical]["Properties"]
        (container,) = properties["ContainerDefinitions"]
        variables = {v["Name"]: str(self.stand_in.resolve(v["Value"], stack)) for v in container["Environment"]}
        kept = {k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_")}
        environ = {**kept, **{k: self.rewrite.get(v, v) for k, v in variables.items()}, **self.overrides,
                   "PYTHONPATH": str(REPO), "AWS_REGION": variables["CONSORTIUM_AWS_REGION"]}  # fmt: skip
        argv = [sys.executable, "-m", "consortium", *(container["Command"] if command is None else command)]
        return subprocess.run(argv, env=environ, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)

    # -- Scheduler and Step Functions

    def fire(self, group: str, name: str) -> Any:
        """What the schedule ``group/name`` starts when it fires: the answer of its function, or the end state of
        its state machine's execution."""
        target = self.stand_in.client("scheduler").get_schedule(GroupName=group, Name=name)["Target"]
        payload = json.loads(target.get("Input") or "{}")
        stack, logical = self.stand_in.find(target["Arn"])
        if self.stand_in.kind_of(stack, logical) == "AWS::StepFunctions::StateMachine":
            return self.execute(stack, logical, payload)
        return self.functions[logical].invoke(payload)

    def execute(self, stack: str, logical: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Run state machine ``logical`` on ``payload``: ``{"status", "output" or "error"/"cause", "states"}``."""
        properties = self.stand_in.templates[stack]["Resources"][logical]["Properties"]
        definition = json.loads(self.stand_in.resolve(properties["DefinitionString"], stack))
        arn = self.stand_in.attribute(stack, logical, "Arn")
        state_name, data, visited = definition["StartAt"], payload, []
        while True:
            visited.append(state_name)
            assert len(visited) < 10_000, "the state machine does not end"
            state = definition["States"][state_name]
            kind = state["Type"]
            if kind == "Succeed":
                return {"status": "SUCCEEDED", "output": data, "states": visited}
            if kind == "Fail":
                cause = _path(data, state["CausePath"]) if "CausePath" in state else state.get("Cause")
                return {"status": "FAILED", "error": state.get("Error"), "cause": cause, "states": visited}
            if kind == "Pass":
                data = _parameters(state["Parameters"], data, arn) if "Parameters" in state else data
                state_name = state["Next"]
            elif kind == "Choice":
                chosen = next((c["Next"] for c in state["Choices"] if _rule(c, data)), state.get("Default"))
                assert chosen is not None, f"{state_name}: no choice matched and no Default"
                state_name = chosen
            elif kind == "Task":
                parameters = _parameters(state.get("Parameters", {}), data, arn)
                if not state["Resource"].endswith(":states:::lambda:invoke"):
                    return {"status": "FAILED", "error": f"the stand-in does not run {state['Resource']}",
                            "cause": parameters, "states": visited}  # fmt: skip
                result: Any = {"Payload": self._function_of_arn(parameters["FunctionName"]).invoke(
                    parameters["Payload"])}  # fmt: skip
                if "ResultSelector" in state:
                    result = _parameters(state["ResultSelector"], result, arn)
                data = _put(data, state.get("ResultPath", "$"), result)
                if state.get("End"):
                    return {"status": "SUCCEEDED", "output": data, "states": visited}
                state_name = state["Next"]
            else:
                raise AssertionError(f"{state_name}: the stand-in does not run {kind} states")


def _path(data: Any, path: str) -> Any:
    """``$.a.b`` of ``data`` (KeyError when absent)."""
    found = data
    for part in [p for p in path.removeprefix("$").split(".") if p]:
        found = found[part]
    return found


def _present(data: Any, path: str) -> bool:
    try:
        _path(data, path)
    except (KeyError, TypeError):
        return False
    return True


def _put(data: dict[str, Any], path: str, value: Any) -> Any:
    if path == "$":
        return value
    parts = path.removeprefix("$.").split(".")
    copied = json.loads(json.dumps(data))
    where = copied
    for part in parts[:-1]:
        where = where.setdefault(part, {})
    where[parts[-1]] = value
    return copied


def _parameters(template: Any, data: Any, arn: str) -> Any:
    """A Parameters (or ResultSelector) block applied to ``data``."""
    if isinstance(template, list):
        return [_parameters(item, data, arn) for item in template]
    if not isinstance(template, dict):
        return template
    found: dict[str, Any] = {}
    for key, value in template.items():
        if not key.endswith(".$"):
            found[key] = _parameters(value, data, arn)
        elif value == "$$.StateMachine.Id":
            found[key[:-2]] = arn
        elif value.startswith("States.MathAdd("):
            left, right = value.removeprefix("States.MathAdd(").removesuffix(")").split(",")
            found[key[:-2]] = _path(data, left.strip()) + int(right)
        else:
            found[key[:-2]] = _path(data, value)
    return found


def _rule(rule: dict[str, Any], data: Any) -> bool:
    """Whether a Choice rule holds for ``data``."""
    if "And" in rule:
        return all(_rule(r, data) for r in rule["And"])
    if "Or" in rule:
        return any(_rule(r, data) for r in rule["Or"])
    if "Not" in rule:
        return not _rule(rule["Not"], data)
    variable = rule["Variable"]
    if "IsPresent" in rule:
        return _present(data, variable) is rule["IsPresent"]
    if not _present(data, variable):
        raise AssertionError(f"States.Runtime: {variable} is absent from {data}")
    value = _path(data, variable)
    if "BooleanEquals" in rule:
        return bool(value is rule["BooleanEquals"])
    if "NumericGreaterThanEquals" in rule:
        return bool(value >= rule["NumericGreaterThanEquals"])
    if "StringEquals" in rule:
        return bool(value == rule["StringEquals"])
    raise AssertionError(f"the stand-in does not evaluate the Choice rule {rule}")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
