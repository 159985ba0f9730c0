"""Provider secrets at rest: encryption round trip, key separation, sealing and redaction."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from ibm_watsonx_orchestrate_core.types.models.types import (  # type: ignore[import-untyped,unused-ignore]
    ProviderConfig as IBMProviderConfig,
)

from wxo.llm import crypto
from wxo.llm.exceptions import SecretDecryptionError

KEY = "server-secret-for-tests-" + "x" * 24
SECRET = "sk-test-0123456789abcdef"


def test_secret_box_round_trips_strings_and_objects() -> None:
    box = crypto.SecretBox(KEY)

    for value in (SECRET, {"private_key": "-----BEGIN...", "client_email": "a@b"}, ""):
        stored = box.encrypt(value)
        assert set(stored) == {crypto.ENCRYPTED}
        assert box.decrypt(stored) == value


def test_secret_box_ciphertext_hides_the_value_and_is_randomised() -> None:
    box = crypto.SecretBox(KEY)

    first, second = box.encrypt(SECRET), box.encrypt(SECRET)

    assert SECRET not in json.dumps(first)
    assert first != second  # a fresh IV each time


def test_secret_box_key_is_hkdf_sha256_of_the_server_key() -> None:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"wxo model provider secrets"
    ).derive(KEY.encode())
    fernet = Fernet(base64.urlsafe_b64encode(derived))

    stored = crypto.SecretBox(KEY).encrypt(SECRET)

    assert json.loads(fernet.decrypt(stored[crypto.ENCRYPTED].encode())) == SECRET


def test_secret_box_wrong_key_fails_with_a_clear_error() -> None:
    stored = crypto.SecretBox(KEY).encrypt(SECRET)

    with pytest.raises(SecretDecryptionError, match="cannot be decrypted") as excinfo:
        crypto.SecretBox("another-server-key").decrypt(stored)

    assert SECRET not in str(excinfo.value)


def test_secret_box_refuses_a_value_that_is_not_a_ciphertext() -> None:
    with pytest.raises(SecretDecryptionError):
        crypto.SecretBox(KEY).decrypt(SECRET)


def test_secret_box_repr_hides_key_material() -> None:
    box = crypto.SecretBox(KEY)

    assert KEY not in repr(box)
    assert repr(box) == "SecretBox(<hidden>)"


def test_secret_box_is_cached_per_key() -> None:
    assert crypto.secret_box(KEY) is crypto.secret_box(KEY)
    assert crypto.secret_box(KEY) is not crypto.secret_box(KEY + "2")


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "aws_secret_access_key",
        "aws_session_token",
        "azure_ad_token",
        "azure_entra_client_secret",
        "watsonx_cpd_password",
        "vertex_service_account_json",
        "some_new_token",
    ],
)
def test_is_secret_true_for_credentials(name: str) -> None:
    assert crypto.is_secret(name)


@pytest.mark.parametrize(
    "name", ["provider", "custom_host", "watsonx_space_id", "aws_region", "request_timeout"]
)
def test_is_secret_false_for_plain_settings(name: str) -> None:
    assert not crypto.is_secret(name)


def test_seal_encrypts_secrets_keeps_settings_and_drops_nulls() -> None:
    box = crypto.SecretBox(KEY)

    sealed = crypto.seal(
        {"provider": "openai", "api_key": SECRET, "custom_host": None, "request_timeout": 5000},
        box,
    )

    assert sealed["provider"] == "openai"
    assert sealed["request_timeout"] == 5000
    assert "custom_host" not in sealed
    assert crypto.is_encrypted(sealed["api_key"])
    assert crypto.unseal(sealed, box) == {
        "provider": "openai",
        "api_key": SECRET,
        "request_timeout": 5000,
    }


def test_seal_placeholder_keeps_the_stored_secret() -> None:
    box = crypto.SecretBox(KEY)
    stored = crypto.seal({"api_key": SECRET}, box)

    resealed = crypto.seal({"api_key": crypto.REDACTED}, box, stored=stored)

    assert resealed["api_key"] == stored["api_key"]
    assert crypto.unseal(resealed, box)["api_key"] == SECRET


def test_seal_placeholder_without_a_stored_secret_is_dropped() -> None:
    box = crypto.SecretBox(KEY)

    assert crypto.seal({"api_key": crypto.REDACTED}, box, stored={}) == {}
    assert crypto.seal({"vertex_service_account_json": crypto.REDACTED_OBJECT}, box) == {}


def test_redact_replaces_secret_values_by_placeholder_under_the_same_key() -> None:
    box = crypto.SecretBox(KEY)
    stored = crypto.seal(
        {
            "provider": "vertex-ai",
            "api_key": SECRET,
            "aws_secret_access_key": "aws-secret",
            "vertex_service_account_json": {"private_key": "pk"},
            "vertex_region": "us-east1",
        },
        box,
    )

    shown = crypto.redact(stored)

    assert shown == {
        "provider": "vertex-ai",
        "api_key": "********",
        "aws_secret_access_key": "********",
        "vertex_service_account_json": {"redacted": "********"},
        "vertex_region": "us-east1",
    }
    assert IBMProviderConfig.model_validate(shown).api_key == "********"  # extra="forbid"
