"""A synthesized stage of the hub made real on moto's server and osmem-server, without deploying anything.

:class:`StandIn` reads the stage's templates (CloudFormation JSON) and resolves the values they give the functions,
schedules and queues: ``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::ImportValue`` (through the exporting stack's
``Outputs``) and the pseudo parameters. The first time a value names a resource, the resource is made on moto's
server from the template's own properties: DynamoDB tables (key schema, billing, indexes), SQS queues (with their
redrive policy), KMS keys, S3 buckets, the Cognito user pool (its schema) and its app client, the SES identity,
the EventBridge Scheduler schedule groups and schedules. The OpenSearch domain's endpoint is osmem-server's
address. What the stand-in needs only a name of (a REST API's id, a function's, a state machine's or a role's ARN)
gets one in moto's account and region. A value it cannot make raises :class:`StandInError` naming the resource, so
a template that changes shape fails the test rather than passing unexamined.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlparse

import boto3

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["ACCOUNT", "StandIn", "StandInError"]

ACCOUNT: Final = "123456789012"
"""moto's default account."""


class StandInError(LookupError):
    """The templates name something the stand-in cannot resolve or make (the message says what)."""


class StandIn:
    """The stage's resources on moto's server (see the module notes).

    Parameters
    ----------
    templates
        The stage's templates by short stack name (``data``, ``api``, ``functions``, ``portal``).
    endpoint
        moto's server.
    search_url
        osmem-server's address (``http://127.0.0.1:PORT``): the OpenSearch domain's endpoint.
    region
        The region the stacks deploy to (``AWS::Region``).
    """

    def __init__(self, templates: dict[str, dict[str, Any]], *, endpoint: str, search_url: str, region: str) -> None:
        self.templates = templates
        self.endpoint = endpoint
        self.search_host = urlparse(search_url).netloc
        self.region = region
        self.prefix = f"e2e-{uuid.uuid4().hex[:6]}"
        self.made: dict[tuple[str, str], dict[str, str]] = {}
        self._makers: dict[str, Callable[[str, str, dict[str, Any]], dict[str, str]]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::SQS::Queue": self._queue,
            "AWS::KMS::Key": self._key,
            "AWS::S3::Bucket": self._bucket,
            "AWS::OpenSearchService::Domain": self._domain,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::SES::EmailIdentity": self._mail_identity,
            "AWS::Scheduler::ScheduleGroup": self._schedule_group,
            "AWS::Scheduler::Schedule": self._schedule,
            "AWS::ApiGateway::RestApi": self._named("apigateway", "restapi"),
            "AWS::Lambda::Function": self._named("lambda", "function"),
            "AWS::StepFunctions::StateMachine": self._named("states", "stateMachine"),
            "AWS::IAM::Role": self._named("iam", "role"),
            "AWS::CloudFront::Distribution": self._distribution,
        }

    # -- reading the templates

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` on moto's server."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def resources(self, stack: str, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The ``(logical id, properties)`` of every resource of type ``kind`` in ``stack``."""
        for logical, resource in self.templates[stack]["Resources"].items():
            if resource["Type"] == kind:
                yield logical, resource.get("Properties", {})

    def make_all(self, kind: str) -> list[tuple[str, str]]:
        """Make every resource of type ``kind`` in every stack (what no function's value names, such as the mail
        identity and the schedules); their ``(stack, logical id)``."""
        made = []
        for stack in self.templates:
            for logical, _ in list(self.resources(stack, kind)):
                self.attribute(stack, logical, "Ref")
                made.append((stack, logical))
        return made

    def kind_of(self, stack: str, logical: str) -> str:
        """The CloudFormation type of resource ``logical`` of ``stack``."""
        try:
            return str(self.templates[stack]["Resources"][logical]["Type"])
        except KeyError:
            raise StandInError(f"stack {stack} has no resource {logical!r}") from None

    def find(self, value: str) -> tuple[str, str]:
        """The ``(stack, logical id)`` of the resource made with ARN or name ``value``."""
        for key, attributes in self.made.items():
            if value in (attributes.get("Arn"), attributes.get("Ref")):
                return key
        raise StandInError(f"no resource of the stage is {value!r}")

    # -- resolving values

    def resolve(self, value: Any, stack: str) -> Any:
        """``value`` of ``stack``'s template with every intrinsic function and pseudo parameter resolved."""
        if isinstance(value, list):
            return [self.resolve(item, stack) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
            return {key: self.resolve(item, stack) for key, item in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            return self._pseudo(argument) if argument.startswith("AWS::") else self.attribute(stack, argument, "Ref")
        if function == "Fn::GetAtt":
            logical, name = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.attribute(stack, logical, name)
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(str(self.resolve(part, stack)) for part in parts)
        if function == "Fn::ImportValue":
            return self._import(argument)
        raise StandInError(f"stack {stack}: the stand-in does not resolve {function} ({json.dumps(value)[:200]})")

    def attribute(self, stack: str, logical: str, name: str) -> str:
        """Attribute ``name`` (``Ref`` for what a ``Ref`` gives) of resource ``logical``, made on first use."""
        key = (stack, logical)
        if key not in self.made:
            kind = self.kind_of(stack, logical)
            maker = self._makers.get(kind)
            if maker is None:
                raise StandInError(f"stack {stack}: the stand-in cannot make {logical} ({kind})")
            properties = self.templates[stack]["Resources"][logical].get("Properties", {})
            self.made[key] = maker(stack, logical, properties)
        attributes = self.made[key]
        if name not in attributes:
            raise StandInError(f"stack {stack}: {logical} has no attribute {name!r} in the stand-in")
        return attributes[name]

    def _pseudo(self, name: str) -> str:
        values = {"AWS::Region": self.region, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
                  "AWS::URLSuffix": "amazonaws.com"}  # fmt: skip
        if name not in values:
            raise StandInError(f"the stand-in has no pseudo parameter {name}")
        return values[name]

    def _import(self, name: str) -> Any:
        for stack, template in self.templates.items():
            for output in (template.get("Outputs") or {}).values():
                if (output.get("Export") or {}).get("Name") == name:
                    return self.resolve(output["Value"], stack)
        raise StandInError(f"no stack exports {name!r}")

    # -- making resources

    def _name(self, logical: str) -> str:
        return f"{self.prefix}-{logical}".lower()[:63]

    def _arn(self, service: str, kind: str, name: str) -> str:
        separator = "/" if service in ("iam",) else ":"
        region = "" if service == "iam" else self.region
        return f"arn:aws:{service}:{region}:{ACCOUNT}:{kind}{separator}{name}"

    def _named(self, service: str, kind: str) -> Callable[[str, str, dict[str, Any]], dict[str, str]]:
        def make(stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
            name = self._name(logical)
            arn = self._arn(service, kind, name)
            attributes = {"Ref": arn if service == "states" else name, "Arn": arn, "Name": name}
            if service == "apigateway":
                attributes.update(Ref=uuid.uuid4().hex[:10], RootResourceId="root")
            return attributes

        return make

    def _table(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        name = self._name(logical)
        kept = ("KeySchema", "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        client = self.client("dynamodb")
        client.create_table(TableName=name, **{k: v for k, v in properties.items() if k in kept})
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        return {"Ref": name, "Arn": client.describe_table(TableName=name)["Table"]["TableArn"]}

    def _queue(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        attributes: dict[str, str] = {}
        if "RedrivePolicy" in properties:
            attributes["RedrivePolicy"] = json.dumps(self.resolve(properties["RedrivePolicy"], stack))
        for name in ("VisibilityTimeout", "MessageRetentionPeriod"):
            if name in properties:
                attributes[name] = str(properties[name])
        client = self.client("sqs")
        url = client.create_queue(QueueName=self._name(logical), Attributes=attributes)["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return {"Ref": url, "Arn": arn, "QueueName": self._name(logical), "QueueUrl": url}

    def _key(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        metadata = self.client("kms").create_key(Description=str(properties.get("Description", logical)))
        return {"Ref": metadata["KeyMetadata"]["KeyId"], "Arn": metadata["KeyMetadata"]["Arn"]}

    def _bucket(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        name = self._name(logical)
        self.client("s3").create_bucket(Bucket=name)
        return {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}

    def _domain(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        name = str(properties.get("DomainName", self._name(logical)))
        return {"Ref": name, "DomainEndpoint": self.search_host, "Arn": self._arn("es", "domain", name)}

    def _distribution(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        """Only its address (the portal's origin, which the API's functions answer CORS for): nothing serves it."""
        distribution = "e" + uuid.uuid4().hex[:13]
        return {"Ref": distribution.upper(), "DomainName": f"{distribution}.cloudfront.net", "Id": distribution.upper()}

    def _user_pool(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        pool = self.client("cognito-idp").create_user_pool(
            PoolName=f"{properties.get('UserPoolName', logical)}-{self.prefix}",
            Schema=properties.get("Schema", []),
            Policies=properties.get("Policies", {}),
            AdminCreateUserConfig=properties.get("AdminCreateUserConfig", {}),
        )["UserPool"]
        return {"Ref": pool["Id"], "Arn": pool["Arn"], "ProviderName": f"cognito-idp.{self.region}.amazonaws.com/"}

    def _user_pool_client(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        created = self.client("cognito-idp").create_user_pool_client(
            UserPoolId=self.resolve(properties["UserPoolId"], stack),
            ClientName=properties.get("ClientName", logical),
            ExplicitAuthFlows=properties.get("ExplicitAuthFlows", []),
            ReadAttributes=properties.get("ReadAttributes", []),
            GenerateSecret=bool(properties.get("GenerateSecret", False)),
        )["UserPoolClient"]
        return {"Ref": created["ClientId"]}

    def _mail_identity(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        identity = str(properties["EmailIdentity"])
        self.client("sesv2").create_email_identity(EmailIdentity=identity)
        return {"Ref": identity}

    def _schedule_group(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        name = str(properties.get("Name", self._name(logical)))
        arn = self.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
        return {"Ref": name, "Arn": arn}

    def _schedule(self, stack: str, logical: str, properties: dict[str, Any]) -> dict[str, str]:
        group = self._group_of(stack, str(properties["GroupName"]))
        target = self.resolve(properties["Target"], stack)
        window = properties["FlexibleTimeWindow"]
        arn = self.client("scheduler").create_schedule(
            Name=properties["Name"],
            GroupName=group,
            ScheduleExpression=properties["ScheduleExpression"],
            ScheduleExpressionTimezone=properties.get("ScheduleExpressionTimezone", "UTC"),
            FlexibleTimeWindow=window,
            Target={key: target[key] for key in ("Arn", "RoleArn", "Input") if key in target},
        )["ScheduleArn"]
        return {"Ref": str(properties["Name"]), "Arn": arn}

    def _group_of(self, stack: str, name: str) -> str:
        """Make the schedule group ``name`` of ``stack`` (a schedule depends on its group)."""
        for logical, properties in self.resources(stack, "AWS::Scheduler::ScheduleGroup"):
            if properties.get("Name") == name:
                return self.attribute(stack, logical, "Ref")
        raise StandInError(f"stack {stack} has no schedule group {name!r}")
