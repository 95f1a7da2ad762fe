"""The envkeeper policy pack: `pulumi preview --policy-pack policy`."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policy import rules

MANDATORY = EnforcementLevel.MANDATORY

PolicyPack(
    name="envkeeper",
    enforcement_level=MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="cloudflare-token-short-lived-and-scoped",
            description=rules.token_is_short_lived_and_scoped.__doc__ or "",
            validate=rules.token_is_short_lived_and_scoped,
        ),
        ResourceValidationPolicy(
            name="postgres-logins-not-privileged",
            description=rules.logins_are_not_privileged.__doc__ or "",
            validate=rules.logins_are_not_privileged,
        ),
        StackValidationPolicy(
            name="production-environment-protected",
            description=rules.production_environment_is_protected.__doc__ or "",
            validate=rules.production_environment_is_protected,
        ),
        StackValidationPolicy(
            name="postgres-runtime-logins-own-nothing",
            description=rules.runtime_logins_own_nothing.__doc__ or "",
            validate=rules.runtime_logins_own_nothing,
        ),
        StackValidationPolicy(
            name="secrets-stay-in-their-stack",
            description=rules.secrets_stay_in_this_stack.__doc__ or "",
            validate=rules.secrets_stay_in_this_stack,
        ),
        StackValidationPolicy(
            name="cors-origins-exact",
            description=rules.cors_origins_are_exact.__doc__ or "",
            validate=rules.cors_origins_are_exact,
        ),
    ],
)
