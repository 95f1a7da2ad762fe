"""One environment's Neon database: the project, least-privilege roles, rotating logins.

The project's owner login is an admin credential: it configures the PostgreSQL provider
and nothing else. It is never handed to a Worker or to CI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pulumi

from components import bridged
from components.login_sessions import LoginSessionsArgs
from components.neon_owner import NeonOwnerPassword
from components.slot_switch import SlotSwitch, SlotSwitchArgs, standby_end
from envkeeper.config.clock import utc_today
from envkeeper.infra import database as db
from envkeeper.infra import resource_types
from envkeeper.stack.settings import NeonSettings, SlotDates

TYPE = resource_types.NEON_DATABASE


@dataclass(frozen=True)
class NeonDatabaseArgs:
    settings: NeonSettings
    runtime_slots: SlotDates  # DATABASE_URL's two keeper dates
    standby_grace_days: int  # how long the standby runtime login outlives the switch
    migrator_rotated: date  # MIGRATION_DATABASE_URL's keeper date
    readonly_rotated: date  # DATABASE_URL_READONLY's keeper date
    # Only for an adopted project: its owner's connection URL, a secret Output.
    owner_url: pulumi.Output[str] | None = None
    # Only for a created project: its owner password's keeper date (NEON_OWNER_PASSWORD).
    owner_rotated: date | None = None


@dataclass(frozen=True)
class _Admin:
    user: pulumi.Output[str]
    password: pulumi.Output[str]
    direct_host: pulumi.Output[str]
    pooled_host: pulumi.Output[str]
    maintenance_db: pulumi.Output[str]
    port: pulumi.Input[int]
    # A created project's owner URL, for what ends old sessions; an adopted project's
    # comes from secret config when that provider runs.
    owner_url: pulumi.Output[str] | None = None
    # A created project's id and its default compute endpoint's (what a restart names).
    endpoint: tuple[pulumi.Output[str], pulumi.Output[str]] | None = None


class NeonDatabase(pulumi.ComponentResource):
    """Outputs `urls`: the catalog's three database URLs, each a secret Output."""

    urls: dict[str, pulumi.Output[str]]
    active_slot: str
    standby_ends: pulumi.Output[date]  # the day the standby runtime login stops working
    # What ends each login's old sessions, once its new URL is delivered (Environment).
    sessions: list[LoginSessionsArgs]
    roles: list[bridged.Role]
    # A created project's id and its default (read-write) compute endpoint's; None adopted.
    endpoint: tuple[pulumi.Output[str], pulumi.Output[str]] | None

    def __init__(
        self, name: str, args: NeonDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        admin = self._admin(settings, args.owner_url, args.owner_rotated)
        self.endpoint = admin.endpoint

        sql = bridged.PostgresqlProvider(
            db.SQL_PROVIDER,
            bridged.PostgresqlProviderArgs(
                host=admin.direct_host,  # DDL and grants need the direct, unpooled host
                port=admin.port,
                username=admin.user,
                password=admin.password,
                database=admin.maintenance_db,
                sslmode="require",
                superuser=False,  # the Neon owner is not a superuser
            ),
            opts=self._child,
        )
        on_sql = pulumi.ResourceOptions(parent=self, provider=sql)

        dates = {
            db.MIGRATOR: args.migrator_rotated,
            db.READONLY: args.readonly_rotated,
            db.runtime_login("a"): args.runtime_slots.a,
            db.runtime_login("b"): args.runtime_slots.b,
        }
        passwords = {login: self._password(login, when) for login, when in dates.items()}
        # The active runtime login never expires (one that did would take the app down;
        # rotation status is what keeps it fresh). The standby dies after the grace, which
        # counts from the day its switch is deployed (slot_switch.py).
        switch = SlotSwitch(
            SlotSwitchArgs("DATABASE_URL", args.runtime_slots, args.standby_grace_days),
            opts=self._child,
        )
        self.standby_ends = standby_end(switch)
        standby = db.runtime_login(args.runtime_slots.inactive)
        expires = {standby: self.standby_ends}

        roles: dict[str, bridged.Role] = {}
        for spec in db.ROLES:
            roles[spec.name] = bridged.Role(
                spec.name,
                bridged.RoleArgs(
                    name=spec.name,
                    login=spec.login,
                    password=passwords[spec.name].result if spec.login else None,
                    valid_until=(
                        expires[spec.name].apply(db.valid_until)
                        if spec.name in expires
                        else db.valid_until(None)
                    )
                    if spec.slot
                    else None,
                    roles=list(spec.member_of),
                    inherit=True,
                    superuser=False,
                    create_database=False,
                    create_role=False,
                    replication=False,
                    bypass_row_level_security=False,
                    assume_role=spec.assumes,
                ),
                opts=pulumi.ResourceOptions.merge(
                    on_sql,
                    pulumi.ResourceOptions(
                        depends_on=[roles[m] for m in spec.member_of if m in roles],
                        retain_on_delete=spec.kept,
                    ),
                ),
            )

        # The database, its schema and their owner hold the product's data: a `pulumi
        # destroy` lets go of them, it never drops them. Every login goes. The database
        # is protected as the Neon project is, and keeps its name: a changed
        # envkeeper:neon.database never reaches the provider (ignore_changes) and is refused
        # below, with the deployed name, before anything changes.
        database = bridged.Database(
            db.DATABASE_RESOURCE,
            bridged.DatabaseArgs(name=settings.database),
            opts=pulumi.ResourceOptions.merge(
                on_sql,
                pulumi.ResourceOptions(
                    protect=True,
                    retain_on_delete=True,
                    ignore_changes=["name"],
                    aliases=[pulumi.Alias(name=settings.database)]
                    if settings.database != db.DATABASE_RESOURCE
                    else None,
                ),
            ),
        )
        database.name.apply(lambda deployed: _keep_name(deployed, settings.database))
        schema = bridged.Schema(
            db.SCHEMA,
            bridged.SchemaArgs(name=db.SCHEMA, database=database.name, owner=db.OWNER),
            opts=pulumi.ResourceOptions.merge(
                on_sql,
                pulumi.ResourceOptions(depends_on=[roles[db.OWNER]], retain_on_delete=True),
            ),
        )
        after_schema = pulumi.ResourceOptions.merge(
            on_sql, pulumi.ResourceOptions(depends_on=[schema, *roles.values()])
        )
        grants: list[pulumi.CustomResource] = [
            bridged.Grant(
                grant.key,
                bridged.GrantArgs(
                    role=grant.role,
                    database=(
                        admin.maintenance_db
                        if grant.database == db.MAINTENANCE_DATABASE
                        else database.name
                    ),
                    schema=grant.schema,
                    object_type=grant.object_type,
                    privileges=list(grant.privileges),
                ),
                opts=after_schema,
            )
            for grant in db.GRANTS
        ]
        grants += [
            bridged.DefaultPrivileges(
                f"default-{grant.key}",
                bridged.DefaultPrivilegesArgs(
                    role=grant.role,
                    database=database.name,
                    schema=grant.schema,
                    owner=db.OWNER,
                    object_type=grant.object_type,
                    privileges=list(grant.privileges),
                ),
                opts=after_schema,
            )
            for grant in db.DEFAULT_GRANTS
        ]

        self.active_slot = args.runtime_slots.active

        # Everything a login needs before its URL may be handed out: its role (with the
        # password just set) and every grant. A URL never reaches a Worker or CI before
        # the database accepts it.
        ready = [r.id for r in roles.values()] + [g.id for g in grants]

        def url(login: str, pooled: bool) -> pulumi.Output[str]:
            host = admin.pooled_host if pooled else admin.direct_host
            return pulumi.Output.secret(
                pulumi.Output.all(
                    passwords[login].result, host, database.name, admin.port, *ready
                ).apply(lambda parts: db.connection_url(login, *parts[:3], port=int(parts[3])))
            )

        today = utc_today()
        self.roles = list(roles.values())
        self.sessions = [
            LoginSessionsArgs(
                login=login,
                rotated=when,
                password=passwords[login].result,
                # A standby past its end is retired: no password, no session, ever again.
                retired=self.standby_ends.apply(lambda ends: ends <= today)
                if login == standby
                else False,
                database=database.name,
                owner=admin.owner_url,
            )
            for login, when in dates.items()
        ]

        self.urls = {"DATABASE_URL": url(db.runtime_login(self.active_slot), pooled=True)}
        for name, (login, pooled) in db.URL_LOGINS.items():
            self.urls[name] = url(login, pooled)
        self.register_outputs({"urls": self.urls, "activeSlot": self.active_slot})

    def _password(self, login: str, rotated: date) -> bridged.RandomPassword:
        return bridged.RandomPassword(
            db.password_resource(login),
            bridged.RandomPasswordArgs(
                length=db.PASSWORD_LENGTH,
                special=True,
                override_special=db.PASSWORD_SPECIALS,
                keepers={"rotated": rotated.isoformat()},
            ),
            opts=self._child,
        )

    def _admin(
        self,
        settings: NeonSettings,
        owner_url: pulumi.Output[str] | None,
        owner_rotated: date | None,
    ) -> _Admin:
        if settings.adopted:
            assert owner_url is not None, "an adopted Neon project needs envkeeper:neonOwnerUrl"
            owner = pulumi.Output.secret(owner_url).apply(_parse_owner)
            return _Admin(
                user=owner.apply(lambda o: o.user),
                password=pulumi.Output.secret(owner.apply(lambda o: o.password)),
                direct_host=owner.apply(lambda o: o.host),
                pooled_host=owner.apply(lambda o: db.pooled_host(o.host)),
                maintenance_db=owner.apply(lambda o: o.database),
                port=owner.apply(lambda o: o.port),
            )
        # Only a stack that creates its project loads the Neon SDK and its plugin.
        import pulumi_neon as neon

        project = neon.Project(
            "project",
            neon.ProjectArgs(name=settings.project_name, org_id=settings.org_id),
            opts=pulumi.ResourceOptions(
                parent=self,
                # The project holds the environment's data: `pulumi destroy` stops at it
                # while it is protected, and forgets it rather than deleting it after.
                protect=True,
                retain_on_delete=True,
                # A project cannot change organization in place (the provider would replace
                # it, data and all): a changed orgId is refused below instead.
                ignore_changes=["orgId"],
            ),
        )
        project.org_id.apply(lambda deployed: _keep_org(deployed, settings.org_id))
        # The owner's password as its keeper date last had Neon reset it: the one it was
        # made with dies in the first `up`.
        assert owner_rotated is not None, "a created Neon project needs NEON_OWNER_PASSWORD"
        reset = NeonOwnerPassword(
            db.OWNER_PASSWORD_RESOURCE,
            project_id=project.id,
            branch_id=project.default_branch_id,
            role=project.database_user,
            rotated=owner_rotated.isoformat(),
            opts=self._child,
        )
        password = pulumi.Output.secret(reset.password)
        owner_url = pulumi.Output.all(
            project.database_user, password, project.database_host, project.database_name
        ).apply(lambda parts: db.connection_url(*parts))
        return _Admin(
            user=project.database_user,
            password=password,
            direct_host=project.database_host,
            pooled_host=project.database_host_pooler,
            maintenance_db=project.database_name,
            port=db.DEFAULT_PORT,
            owner_url=pulumi.Output.secret(owner_url),
            endpoint=(project.id, project.default_endpoint_id),
        )


def _keep_org(deployed: str | None, wanted: str | None) -> None:
    if deployed and wanted and deployed != wanted:
        raise pulumi.RunError(
            f"envkeeper:neon.orgId: the deployed project belongs to {deployed}, not {wanted}; "
            "a project moves organization only in the Neon console (Organization settings > "
            f"Transfer projects), then set orgId to the new one (or back to {deployed})"
        )


def _keep_name(deployed: str, wanted: str) -> None:
    refused = db.rename_refused(deployed, wanted)
    if refused:
        raise pulumi.RunError(refused)


def _parse_owner(url: str) -> db.OwnerLogin:
    try:
        return db.parse_owner_url(url)
    except ValueError as exc:
        # The message names the key and the rule, never the URL, which holds a password.
        raise pulumi.RunError(f"envkeeper:neonOwnerUrl: {exc}") from None
