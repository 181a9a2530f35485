"""The AWS CDK app that deploys the hub (``infra/app.py``): its stacks, the functions it packages, the permission
sets of ``policies/permissions.toml`` and the settings each stage takes from the CDK context."""
