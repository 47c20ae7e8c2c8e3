"""schemathesis against the OpenAPI document: every operation, called with real tokens of a
customer, a store owner and an organisation's operator, answers every generated request
(valid and invalid) without a server error. Runs on the access matrix's world, with the
path parameters half of the time set to that world's objects so that requests reach the
code behind the 404s."""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from dangol.accounts.models import User
from dangol.accounts.services import api_token_create
from tests.access.world import World, build_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("schemathesis")]

ACTORS = ("customer", "owner", "operator")
# Enough to find an offset of 2^63, a NUL byte or an unconvertible datetime in every operation
# that takes one, within about a minute of CPU on the 2-CPU CI machine.
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 8, schemathesis.GenerationMode.NEGATIVE: 4}


@pytest.fixture
def wsgi_app(settings):
    """Django's WSGI application, with the test's connection kept open between requests
    (as Django's test client does)."""
    settings.ALLOWED_HOSTS = ["*"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _tokens(world: World) -> dict[str, str]:
    operator = User.objects.get(email="operator@x.example.kr")
    _token, operator_secret = api_token_create(user=operator, name="schemathesis")
    return {
        "customer": world.tokens["customer"], "owner": world.tokens["owner"],
        "operator": operator_secret,
    }


def _world_ids(world: World) -> dict[str, object]:
    return {
        "store_id": world.stores["A1"].pk, "market_id": world.markets["A"].pk,
        "template_id": world.templates["A1"].pk, "voucher_id": world.vouchers["A1"].pk,
        "campaign_id": world.campaigns["A1"].pk, "delivery_id": world.deliveries["A1"].pk,
        "run_id": world.run.pk if world.run else 1, "code": world.region.code if world.region
        else "26",
    }


def _strategy(operation, mode, headers, ids):
    names = {parameter.name for parameter in operation.path_parameters}
    generated = operation.as_strategy(generation_mode=mode, headers=headers)
    if not names:
        return generated
    real = operation.as_strategy(
        generation_mode=mode, headers=headers,
        path_parameters={name: ids[name] for name in names if name in ids},
    )
    return st.one_of(real, generated)


def _takes_input(operation) -> bool:
    """Return whether `operation` takes any parameter or body (else no input is invalid)."""
    return bool(operation.definition.raw.get("parameters") or operation.body)


def _run(operation, mode, examples, headers, ids, app) -> int:
    """Call `operation` with `examples` generated cases; return how many requests were made.
    Raise the first failed check."""
    made = 0

    @settings(
        max_examples=examples, deadline=None, database=None, derandomize=True,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, mode, headers, ids))
    def call(case):
        nonlocal made
        made += 1
        response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    call()
    return made


def test_no_operation_answers_a_server_error(wsgi_app, record_property):
    world = build_world()
    tokens, ids = _tokens(world), _world_ids(world)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    requests, failures, operations = 0, [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for actor in ACTORS:
            headers = {"Authorization": f"Bearer {tokens[actor]}"}
            for mode, examples in EXAMPLES.items():
                if mode is schemathesis.GenerationMode.NEGATIVE and not _takes_input(operation):
                    continue  # nothing to make invalid: no parameter, no body
                try:
                    requests += _run(operation, mode, examples, headers, ids, wsgi_app)
                # FailureGroup (a failed check) is a BaseExceptionGroup, not an Exception
                except (Exception, FailureGroup) as error:  # noqa: BLE001 (reported below)
                    requests += examples
                    failures.append(f"{operation.label} as {actor} ({mode.value}): {error}")

    record_property("schemathesis_requests", requests)
    print(f"schemathesis: {requests} requests to {operations} operations")  # noqa: T201
    assert operations >= 40
    assert not failures, "\n\n".join(failures)
