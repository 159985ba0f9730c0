"""Request and response bodies of the model registry (`/v1/models`), shaped after IBM's client.

IBM's `ModelsClient.create` posts `VirtualModel.model_dump(exclude_none=True)`; its `list()`
validates each item as `ListVirtualModel`, whose `provider_config` forbids unknown keys. So
`ProviderConfigFields` mirrors IBM's `ProviderConfig` field for field (snake_case names and
camelCase aliases both accepted), and reads return exactly those keys, secrets redacted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from wxo.core.storable import StorableBody
from wxo.llm.crypto import redact
from wxo.llm.models import Model

ModelTypeName = Literal["chat", "chat_vision", "completion", "embedding"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*(/[A-Za-z0-9._:-]+)+$"
VIRTUAL_PREFIX = "virtual-model/"

ModelName = Annotated[
    str,
    StringConstraints(pattern=NAME_PATTERN, max_length=256),
    Field(
        description="`virtual-model/<provider>/<model>`, e.g. "
        "`virtual-model/watsonx/ibm/granite-3-8b-instruct` (unique in the tenant)."
    ),
]


def _secret(alias: str) -> Any:
    """A secret field: hidden from `repr` (so a logged body never shows it)."""
    return Field(None, alias=alias, repr=False)


class ProviderConfigFields(BaseModel):
    """IBM's `ProviderConfig` (Portkey-style gateway config): how to reach the provider.

    Used by this server: `provider`, `api_key`, `custom_host` (base URL), `request_timeout`
    (milliseconds), `watsonx_*` (project/space/deployment id, API version), `azure_api_version`,
    `forward_headers` and `metadata`; the other keys are stored and returned as given.
    Unknown keys are refused (422), as IBM's own type does.
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    provider: str | None = None
    api_key: str | None = Field(  # `apiKey` is ours: IBM's type has no alias for it
        None, validation_alias=AliasChoices("api_key", "apiKey"), repr=False
    )
    url_to_fetch: str | None = Field(None, alias="urlToFetch")
    custom_host: str | None = Field(None, alias="customHost")
    forward_headers: list[str] | None = Field(None, alias="forwardHeaders")
    index: int | None = None
    cache: str | dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    request_timeout: int | None = Field(None, alias="requestTimeout")
    transform_to_form_data: bool | None = Field(None, alias="transformToFormData")
    server_cert: str | None = Field(None, alias="serverCert")
    azure_resource_name: str | None = Field(None, alias="resourceName")
    azure_deployment_id: str | None = Field(None, alias="deploymentId")
    azure_api_version: str | None = Field(None, alias="apiVersion")
    ad_auth: str | None = Field(None, alias="adAuth")
    azure_auth_mode: str | None = Field(None, alias="azureAuthMode")
    azure_managed_client_id: str | None = Field(None, alias="azureManagedClientId")
    azure_entra_client_id: str | None = Field(None, alias="azureEntraClientId")
    azure_entra_client_secret: str | None = _secret("azureEntraClientSecret")
    azure_entra_tenant_id: str | None = Field(None, alias="azureEntraTenantId")
    azure_ad_token: str | None = _secret("azureAdToken")
    azure_model_name: str | None = Field(None, alias="azureModelName")
    azure_inference_deployment_name: str | None = Field(None, alias="azureDeploymentName")
    azure_inference_api_version: str | None = Field(None, alias="azureApiVersion")
    azure_inference_extra_params: str | None = Field(None, alias="azureExtraParams")
    azure_inference_foundry_url: str | None = Field(None, alias="azureFoundryUrl")
    workers_ai_account_id: str | None = Field(None, alias="workersAiAccountId")
    aws_secret_access_key: str | None = _secret("awsSecretAccessKey")
    aws_access_key_id: str | None = Field(None, alias="awsAccessKeyId")
    aws_session_token: str | None = _secret("awsSessionToken")
    aws_region: str | None = Field(None, alias="awsRegion")
    aws_auth_type: str | None = Field(None, alias="awsAuthType")
    aws_role_arn: str | None = Field(None, alias="awsRoleArn")
    aws_external_id: str | None = Field(None, alias="awsExternalId")
    aws_s3_bucket: str | None = Field(None, alias="awsS3Bucket")
    aws_s3_object_key: str | None = Field(None, alias="awsS3ObjectKey")
    aws_bedrock_model: str | None = Field(None, alias="awsBedrockModel")
    aws_server_side_encryption: str | None = Field(None, alias="awsServerSideEncryption")
    aws_server_side_encryption_kms_key_id: str | None = Field(
        None, alias="awsServerSideEncryptionKMSKeyId"
    )
    amzn_sagemaker_custom_attributes: str | None = Field(
        None, alias="amznSagemakerCustomAttributes"
    )
    amzn_sagemaker_target_model: str | None = Field(None, alias="amznSagemakerTargetModel")
    amzn_sagemaker_target_variant: str | None = Field(None, alias="amznSagemakerTargetVariant")
    amzn_sagemaker_target_container_hostname: str | None = Field(
        None, alias="amznSagemakerTargetContainerHostname"
    )
    amzn_sagemaker_inference_id: str | None = Field(None, alias="amznSagemakerInferenceId")
    amzn_sagemaker_enable_explanations: str | None = Field(
        None, alias="amznSagemakerEnableExplanations"
    )
    amzn_sagemaker_inference_component: str | None = Field(
        None, alias="amznSagemakerInferenceComponent"
    )
    amzn_sagemaker_session_id: str | None = Field(None, alias="amznSagemakerSessionId")
    amzn_sagemaker_model_name: str | None = Field(None, alias="amznSagemakerModelName")
    stability_client_id: str | None = Field(None, alias="stabilityClientId")
    stability_client_user_id: str | None = Field(None, alias="stabilityClientUserId")
    stability_client_version: str | None = Field(None, alias="stabilityClientVersion")
    huggingface_base_url: str | None = Field(None, alias="huggingfaceBaseUrl")
    vertex_region: str | None = Field(None, alias="vertexRegion")
    vertex_project_id: str | None = Field(None, alias="vertexProjectId")
    vertex_service_account_json: dict[str, Any] | None = _secret("vertexServiceAccountJson")
    vertex_storage_bucket_name: str | None = Field(None, alias="vertexStorageBucketName")
    vertex_model_name: str | None = Field(None, alias="vertexModelName")
    filename: str | None = None
    after_request_hooks: list[dict[str, Any]] | None = Field(None, alias="afterRequestHooks")
    before_request_hooks: list[dict[str, Any]] | None = Field(None, alias="beforeRequestHooks")
    default_input_guardrails: list[dict[str, Any]] | None = Field(
        None, alias="defaultInputGuardrails"
    )
    default_output_guardrails: list[dict[str, Any]] | None = Field(
        None, alias="defaultOutputGuardrails"
    )
    openai_project: str | None = Field(None, alias="openaiProject")
    openai_organization: str | None = Field(None, alias="openaiOrganization")
    openai_beta: str | None = Field(None, alias="openaiBeta")
    azure_deployment_name: str | None = Field(None, alias="azureDeploymentName")
    azure_extra_params: str | None = Field(None, alias="azureExtraParams")
    azure_foundry_url: str | None = Field(None, alias="azureFoundryUrl")
    strict_open_ai_compliance: bool | None = Field(None, alias="strictOpenAiCompliance")
    mistral_fim_completion: str | None = Field(None, alias="mistralFimCompletion")
    anthropic_beta: str | None = Field(None, alias="anthropicBeta")
    anthropic_version: str | None = Field(None, alias="anthropicVersion")
    fireworks_account_id: str | None = Field(None, alias="fireworksAccountId")
    snowflake_account: str | None = Field(None, alias="snowflakeAccount")
    watsonx_version: str | None = Field(None, alias="watsonxVersion")
    watsonx_space_id: str | None = Field(None, alias="watsonxSpaceId")
    watsonx_project_id: str | None = Field(None, alias="watsonxProjectId")
    watsonx_deployment_id: str | None = Field(None, alias="watsonxDeploymentId")
    watsonx_cpd_url: str | None = Field(None, alias="watsonxCpdUrl")
    watsonx_cpd_username: str | None = Field(None, alias="watsonxCpdUsername")
    watsonx_cpd_password: str | None = _secret("watsonxCpdPassword")


def _check_config(value: dict[str, Any]) -> dict[str, Any]:
    fallbacks = value.get("fallbacks")
    if fallbacks is not None and not (
        isinstance(fallbacks, list) and all(isinstance(f, str) and f for f in fallbacks)
    ):
        raise ValueError("'fallbacks' must be a list of model names")
    headers = value.get("extra_headers")
    if headers is not None and not (
        isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
    ):
        raise ValueError("'extra_headers' must map header names to strings")
    return value


def _reject_null(value: object) -> object:
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


NotNull = BeforeValidator(_reject_null)


def _null_as_empty_list(value: object) -> object:
    return [] if value is None else value


def _unique_tags(value: list[str]) -> list[str]:
    return list(dict.fromkeys(value))


ConfigField = Annotated[
    dict[str, Any],
    AfterValidator(_check_config),
    Field(
        description="Non-secret settings: `fallbacks` (model names tried in order when this one "
        "fails), `extra_headers` (sent with each upstream request), and default parameters "
        "(`temperature`, `max_tokens`, ...)."
    ),
]
TagsField = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=128)]],
    BeforeValidator(_null_as_empty_list),
    AfterValidator(_unique_tags),
    Field(
        description="`default` marks the tenant's default chat model (on an embedding model: the "
        "default embedding model, as does `default_embedding`); at most one of each per tenant."
    ),
]
ModelTypeField = Annotated[ModelTypeName, BeforeValidator(lambda v: "chat" if v is None else v)]


class ModelCreate(StorableBody):
    """Body of `POST /v1/models` and `PUT /v1/models/{id}` (IBM's `VirtualModel`).

    Unknown top-level keys are ignored. On `PUT`, every field is replaced; a secret sent as
    `"********"` keeps the stored one.
    """

    name: ModelName
    display_name: str | None = None
    description: str | None = None
    config: ConfigField | None = None
    provider_config: ProviderConfigFields | None = None
    tags: TagsField = Field(default_factory=list)
    model_type: ModelTypeField = "chat"
    connection_id: str | None = None


class ModelPatch(StorableBody):
    """Body of `PATCH /v1/models/{id}`: only the keys sent change.

    `provider_config` and `config` are merged key by key (a `null` value removes the key; a
    secret sent as `"********"` keeps the stored one; `null` for the whole object empties it);
    other fields are replaced. `name` and `model_type` may be omitted but not sent as `null`.
    """

    name: Annotated[ModelName | None, NotNull] = None
    display_name: str | None = None
    description: str | None = None
    config: ConfigField | None = None
    provider_config: ProviderConfigFields | None = None
    tags: TagsField | None = None
    model_type: Annotated[ModelTypeName | None, NotNull] = None
    connection_id: str | None = None


class ModelRead(BaseModel):
    """A virtual model as the API returns it (IBM's `ListVirtualModel`, plus `config` and times)."""

    id: uuid.UUID
    name: str
    display_name: str | None
    description: str | None
    provider: str
    provider_config: dict[str, Any] = Field(
        description="IBM's provider-config keys; every secret value reads `********`."
    )
    tags: list[str]
    model_type: str
    connection_id: str | None
    config: dict[str, Any]
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, model: Model) -> ModelRead:
        """Build from a row, secrets redacted."""
        return cls(
            id=model.id,
            name=model.name,
            display_name=model.display_name,
            description=model.description,
            provider=model.provider,
            provider_config=redact(model.provider_config),
            tags=model.tags,
            model_type=model.model_type,
            connection_id=model.connection_id,
            config=model.config,
            created_by=model.created_by,
            created_at=model.created_at.astimezone(UTC),
            updated_at=model.updated_at.astimezone(UTC),
        )


class ModelDeleted(BaseModel):
    """The answer to a successful delete."""

    id: uuid.UUID
    deleted: bool = True


class CatalogEntry(BaseModel):
    """One row of `GET /v1/models/list` (IBM's `ModelListEntry`, plus type and provider)."""

    id: uuid.UUID | None = Field(default=None, description="Set for registered (custom) models.")
    name: str
    display_name: str | None = None
    description: str | None = None
    is_custom: bool = False
    is_default: bool = False
    is_denied: bool = False
    recommended: bool = False
    is_premier: bool = False
    model_type: str
    provider: str
    available: bool = Field(
        default=True, description="False for a built-in model whose optional runtime is missing."
    )
    dimensions: int | None = Field(default=None, description="Vector size of embedding models.")


class CatalogPage(BaseModel):
    """The answer of `GET /v1/models/list` and `/v1/models/list/embeddings`."""

    resources: list[CatalogEntry]
