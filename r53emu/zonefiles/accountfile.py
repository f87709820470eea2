"""The account-level sections of every zone file, merged (zone-format.md).

Any YAML file may carry `health_checks:`, `cidr_collections:` and `client_locations:`, with or
without a `zone:`. `AccountSections` reads them file by file, reports an id, collection or
client network defined twice (naming both places), and once every file is read checks what
crosses files: the children of CALCULATED checks (semantics §5). Record sets then resolve their
references through `refs()`.
"""

from __future__ import annotations

from r53emu.model.catalog import CidrCollection, ClientLocationRule, HealthCheckSpec, IPNetwork
from r53emu.model.healthtypes import CALCULATED
from r53emu.zonefiles.cidr_file import parse_cidr_collections
from r53emu.zonefiles.client_locations_file import parse_client_locations
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.healthchecks_file import ParsedCheck, parse_health_checks
from r53emu.zonefiles.quoting import quoted
from r53emu.zonefiles.routing_field_rules import AccountRefs
from r53emu.zonefiles.sourcefile import LineDict

ACCOUNT_KEYS = ("health_checks", "cidr_collections", "client_locations")


class AccountSections:
    """The account-level sections read so far, in file order."""

    def __init__(self) -> None:
        self.checks: dict[str, ParsedCheck] = {}  # every id defined, valid or not
        self.collections: dict[str, Field] = {}
        self.cidr_locations: dict[str, dict[str, tuple[IPNetwork, ...]]] = {}
        self.cidr_collections: dict[str, CidrCollection] = {}
        self.client_locations: list[ClientLocationRule] = []
        self.client_networks: dict[IPNetwork, Field] = {}

    def read(self, mapping: LineDict, top: Field, errors: list[ZoneError]) -> None:
        """Read the account-level sections of one file's top-level mapping."""
        if "health_checks" in mapping:
            at = top.child(mapping, "health_checks")
            for check in parse_health_checks(mapping["health_checks"], at, errors):
                first = self.checks.get(check.id)
                if first is not None:
                    errors.append(check.at.error(_again("health check", check.id, first.at)))
                else:
                    self.checks[check.id] = check
        if "cidr_collections" in mapping:
            at = top.child(mapping, "cidr_collections")
            for parsed in parse_cidr_collections(mapping["cidr_collections"], at, errors):
                if parsed.id in self.collections:
                    first_at = self.collections[parsed.id]
                    errors.append(parsed.at.error(_again("CIDR collection", parsed.id, first_at)))
                    continue
                self.collections[parsed.id] = parsed.at
                self.cidr_locations[parsed.id] = parsed.locations
                if parsed.collection is not None:
                    self.cidr_collections[parsed.id] = parsed.collection
        if "client_locations" in mapping:
            at = top.child(mapping, "client_locations")
            for rule, rule_at in parse_client_locations(mapping["client_locations"], at, errors):
                earlier = self.client_networks.get(rule.network)
                if earlier is not None:
                    errors.append(
                        rule_at.child(None, "cidr").error(
                            _again("client location", str(rule.network), earlier)
                        )
                    )
                    continue
                self.client_networks[rule.network] = rule_at
                self.client_locations.append(rule)

    def check_children(self, errors: list[ZoneError]) -> None:
        """Children of CALCULATED checks exist and are not CALCULATED themselves (§5).

        Children whose own definition has an error are not reported again.
        """
        for check in self.checks.values():
            for child_id, child_at in check.children:
                child = self.checks.get(child_id)
                if child is None:
                    errors.append(
                        child_at.error(
                            f"no health check {quoted(child_id)} in any `health_checks:`"
                        )
                    )
                elif child.type == CALCULATED:
                    errors.append(
                        child_at.error(
                            f"{child_id} is a CALCULATED health check; a calculated check's "
                            "children cannot be calculated checks"
                        )
                    )

    @property
    def health_checks(self) -> dict[str, HealthCheckSpec]:
        return {key: check.spec for key, check in self.checks.items() if check.spec is not None}

    def refs(self) -> AccountRefs:
        """What record sets may reference: every health check id and collection defined."""
        return AccountRefs(
            health_check_ids=frozenset(self.checks), cidr_locations=self.cidr_locations
        )


def _again(what: str, name: str, first: Field) -> str:
    return f"{what} {name} is already defined at {first.file}:{first.line} ({first.path})"
