"""Application commands in the fake Discord: what a client synced (bulk PUT), and the
`data` of a slash or autocomplete interaction built from those definitions, so a test can
only invoke what the client really registered, with the option types it declared."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import discord_payloads as p
from tests.fakes.discord_guilds import Guild, World, invalid_form

NAME = re.compile(r"^[-_\w]{1,32}$")
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


def _check_options(options: list[dict[str, Any]], where: str) -> None:
    if len(options) > 25:
        raise invalid_form(f"{where}.options", "BASE_TYPE_MAX_LENGTH", "25 options at most")
    seen_optional = False
    for index, option in enumerate(options):
        at = f"{where}.options.{index}"
        if not NAME.match(str(option.get("name", ""))) or option["name"] != option["name"].lower():
            raise invalid_form(f"{at}.name", "APPLICATION_COMMAND_INVALID_NAME", "Invalid name")
        if not 1 <= len(str(option.get("description", ""))) <= 100:
            raise invalid_form(f"{at}.description", "BASE_TYPE_BAD_LENGTH", "1-100 characters")
        if option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
            _check_options(option.get("options") or [], at)
            continue
        if option.get("required") and seen_optional:
            raise invalid_form(
                at,
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        seen_optional = seen_optional or not option.get("required")
        if option.get("autocomplete") and option.get("choices"):
            raise invalid_form(at, "AUTOCOMPLETE_AND_CHOICES", "autocomplete with choices")


def check_command(command: dict[str, Any], index: int) -> None:
    """The validation Discord does on a bulk PUT (the parts clients get wrong)."""
    name = str(command.get("name", ""))
    kind = int(command.get("type") or 1)
    if not NAME.match(name) or (kind == 1 and name != name.lower()):
        raise invalid_form(f"{index}.name", "APPLICATION_COMMAND_INVALID_NAME", "Invalid name")
    if kind == 1 and not 1 <= len(str(command.get("description", ""))) <= 100:
        raise invalid_form(f"{index}.description", "BASE_TYPE_BAD_LENGTH", "1-100 characters")
    _check_options(command.get("options") or [], str(index))


@dataclass
class Commands:
    global_commands: dict[str, dict[str, Any]] = field(default_factory=dict)
    guild_commands: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def put(self, guild_id: str | None, payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the set (guild or global); commands keep their id across syncs."""
        names = [c.get("name") for c in payload]
        if len(set(names)) != len(names):
            raise invalid_form("_errors", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate name")
        for index, command in enumerate(payload):
            check_command(command, index)
        old = self.listed(guild_id)
        stored = {}
        for command in payload:
            previous = next((c for c in old if c["name"] == command["name"]), None)
            stored[command["name"]] = self._stored(guild_id, command, previous)
        if guild_id is None:
            self.global_commands = stored
        else:
            self.guild_commands[guild_id] = stored
        return [dict(c) for c in stored.values()]

    def _stored(
        self, guild_id: str | None, command: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        stored = {
            "id": previous["id"] if previous else p.snowflake(),
            "application_id": p.APP_ID,
            "version": p.snowflake(),
            "type": int(command.get("type") or 1),
            "name": command["name"],
            "name_localizations": command.get("name_localizations"),
            "description": command.get("description", ""),
            "description_localizations": command.get("description_localizations"),
            "options": command.get("options") or [],
            "default_member_permissions": command.get("default_member_permissions"),
            "dm_permission": command.get("dm_permission", True),
            "contexts": command.get("contexts"),
            "integration_types": command.get("integration_types", [0]),
            "nsfw": bool(command.get("nsfw", False)),
        }
        if guild_id is not None:
            stored["guild_id"] = guild_id
        return stored

    def listed(self, guild_id: str | None) -> list[dict[str, Any]]:
        chosen = self.global_commands if guild_id is None else self.guild_commands.get(guild_id)
        return [dict(c) for c in (chosen or {}).values()]

    def find(self, guild_id: str, name: str) -> dict[str, Any]:
        found = self.guild_commands.get(guild_id, {}).get(name) or self.global_commands.get(name)
        if found is None:
            synced = sorted({*self.guild_commands.get(guild_id, {}), *self.global_commands})
            raise LookupError(
                f"/{name} was not synced for guild {guild_id} (synced: {synced}); "
                "call tree.sync(guild=...) first"
            )
        return found


@dataclass
class OptionBuilder:
    """Turns a test's `{"title": "DB down", "user": "42"}` into Discord's option list and
    `resolved` data, typed by the synced definition."""

    world: World
    guild: Guild
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)

    def command_data(
        self,
        command: dict[str, Any],
        path: list[str],
        values: dict[str, Any],
        focused: str | None = None,
    ) -> dict[str, Any]:
        options, definitions = self._path(command, path)
        leaf = self._leaf(definitions, values, focused, " ".join([command["name"], *path]))
        for name in reversed(path):
            node = options[name]
            leaf = [{"name": name, "type": node["type"], "options": leaf}]
        data = {
            "id": command["id"],
            "name": command["name"],
            "type": command["type"],
            "options": leaf,
        }
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if self.resolved:
            data["resolved"] = self.resolved
        return data

    def _path(
        self, command: dict[str, Any], path: list[str]
    ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        """The subcommand (group) nodes along `path`, and the leaf's option definitions."""
        nodes: dict[str, dict[str, Any]] = {}
        definitions = command.get("options") or []
        for name in path:
            node = next(
                (
                    o
                    for o in definitions
                    if o["name"] == name and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
                ),
                None,
            )
            if node is None:
                known = [o["name"] for o in definitions if o["type"] in (1, 2)]
                raise LookupError(f"/{command['name']} has no subcommand {name!r} ({known})")
            nodes[name] = node
            definitions = node.get("options") or []
        if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in definitions):
            raise LookupError(f"/{command['name']} {' '.join(path)} needs a subcommand")
        return nodes, definitions

    def _leaf(
        self,
        definitions: list[dict[str, Any]],
        values: dict[str, Any],
        focused: str | None,
        invoked: str,
    ) -> list[dict[str, Any]]:
        by_name = {d["name"]: d for d in definitions}
        unknown_names = set(values) - set(by_name)
        if unknown_names:
            raise LookupError(
                f"/{invoked} has no option {sorted(unknown_names)} (declared: {sorted(by_name)})"
            )
        missing = [d["name"] for d in definitions if d.get("required") and d["name"] not in values]
        if missing and focused is None:
            raise LookupError(f"/{invoked} needs {missing}: Discord would not send it")
        options = []
        for name, value in values.items():
            definition = by_name[name]
            if name == focused:  # partial input: always the raw typed text
                options.append(
                    {"name": name, "type": definition["type"], "value": str(value), "focused": True}
                )
            else:
                options.append(
                    {
                        "name": name,
                        "type": definition["type"],
                        "value": self._value(definition, value),
                    }
                )
        return options

    def _value(self, definition: dict[str, Any], value: Any) -> Any:
        kind = definition["type"]
        converted: Any = {INTEGER: int, NUMBER: float, BOOLEAN: bool}.get(kind, str)(value)
        choices = [c["value"] for c in definition.get("choices") or []]
        if choices and converted not in choices:
            raise LookupError(f"{definition['name']}={value!r} is not one of {choices}")
        if kind in (USER, CHANNEL, ROLE, MENTIONABLE):
            self._resolve(kind, converted)
        return converted

    def _resolve(self, kind: int, item_id: str) -> None:
        guild = self.guild
        if kind in (USER, MENTIONABLE) and item_id in self.world.users:
            self.resolved.setdefault("users", {})[item_id] = dict(self.world.users[item_id])
            if item_id in guild.members:
                member = {k: v for k, v in guild.members[item_id].items() if k != "user"}
                member["permissions"] = str(guild.member_permissions(item_id))
                self.resolved.setdefault("members", {})[item_id] = member
        elif kind in (ROLE, MENTIONABLE) and item_id in guild.roles:
            self.resolved.setdefault("roles", {})[item_id] = dict(guild.roles[item_id])
        elif kind == CHANNEL and item_id in self.world.channels:
            channel = dict(self.world.channels[item_id].data)
            channel["permissions"] = str(p.ALL_PERMISSIONS)
            self.resolved.setdefault("channels", {})[item_id] = channel
        else:
            raise LookupError(
                f"no user, role or channel {item_id} in the fake for option type {kind}"
            )
