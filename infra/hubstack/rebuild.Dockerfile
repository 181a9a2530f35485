# The image of the bulk re-clustering task (infra/hubstack/rebuild.py): the functions' code asset that
# `make package` builds (the core, its manylinux wheels for CPython 3.12, members.toml, policies/), which copies
# this file into it as its Dockerfile, on the official Python 3.12 image (the CPython the wheels are built for).
# `cdk deploy` builds it with Docker and pushes it to the CDK's ECR repository.
FROM public.ecr.aws/docker/library/python:3.12-slim
WORKDIR /opt/hub
COPY . /opt/hub
ENV PYTHONPATH=/opt/hub PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOME=/tmp
USER nobody
ENTRYPOINT ["python", "-m", "consortium"]
CMD ["dedup", "rebuild", "--json"]
