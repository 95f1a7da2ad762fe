"""The envkeeper policy pack: `pulumi preview --policy-pack policy`. Every rule is mandatory."""

# Pulumi runs the pack from its own folder (on its own, once published): `rules` is a
# module beside this file, and nothing of the project around it is importable.
import rules  # pyright: ignore[reportMissingImports]
from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

# Rules about one resource at a time, then rules that need the whole stack.
RESOURCE_RULES = {
    "resource-types-envkeeper-makes": rules.types_are_envkeepers,
    "cloudflare-token-short-lived-and-scoped": rules.token_is_short_lived_and_scoped,
    "postgres-logins-not-privileged": rules.logins_are_not_privileged,
}
STACK_RULES = {
    "cloudflare-deploy-token-scope-exact": rules.deploy_tokens_carry_exactly_the_deploy_scope,
    "production-environment-protected": rules.production_environment_is_protected,
    "github-environment-names-unique": rules.environment_names_differ_by_more_than_case,
    "postgres-runtime-logins-own-nothing": rules.runtime_logins_own_nothing,
    "postgres-memberships-as-designed": rules.memberships_are_as_designed,
    "github-no-repository-wide-secrets": rules.no_repository_wide_secret_holds_a_catalog_value,
    "secrets-stay-in-their-stack": rules.secrets_stay_in_this_stack,
    "cors-origins-exact": rules.cors_origins_are_exact,
}

PolicyPack(
    name="envkeeper",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *(
            ResourceValidationPolicy(name=name, description=rule.__doc__ or name, validate=rule)
            for name, rule in RESOURCE_RULES.items()
        ),
        *(
            StackValidationPolicy(name=name, description=rule.__doc__ or name, validate=rule)
            for name, rule in STACK_RULES.items()
        ),
    ],
)
