"""The registry of questionnaire definitions, with the concepts and support content.

Loading reads and validates YAML files once; after that a `Registry` is plain data with
lookups, safe to share between requests.

Errors::

    DefinitionLoadError                 a content file cannot be read or is not valid
     └── PublishedDefinitionChanged     a locked id@version now has a different content hash
    UnknownQuestionnaire (LookupError)  no definition with this id
     ├── UnknownVersion                 the id exists, but not in this version
     └── NotOffered                     its licence needs permission the operator has not given
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError

from app.questionnaires.content import Concepts, Support
from app.questionnaires.model import Condition, Definition
from app.questionnaires.support import OrganizationSupport, SupportChoice, choose_support

PACKAGE_DIR = Path(__file__).parent
DEFAULT_DIR = PACKAGE_DIR / "definitions"
DEFAULT_CONCEPTS = PACKAGE_DIR / "concepts.yaml"
DEFAULT_SUPPORT = PACKAGE_DIR / "support.yaml"
IMMUTABLE = "published definitions are immutable: bump the version"

ModelT = TypeVar("ModelT", bound=BaseModel)


class DefinitionLoadError(Exception):
    """A content file cannot be read or is not valid: the file, then each ``path: problem``."""

    def __init__(self, file: Path, problems: Iterable[str]) -> None:
        self.file = file
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"{file}: {self.problems[0]}"
        else:
            message = f"{file}:\n" + "\n".join(f"  {p}" for p in self.problems)
        super().__init__(message)


class PublishedDefinitionChanged(DefinitionLoadError):
    """A definition's id@version is in the lock file with a different content hash."""


class UnknownQuestionnaire(LookupError):
    """No questionnaire has this id."""


class UnknownVersion(UnknownQuestionnaire):
    """The questionnaire exists, but not in the requested version."""


class NotOffered(UnknownQuestionnaire):
    """The questionnaire needs the operator's permission (`requires_permission`), not given."""


# --- reading files ----------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys: in a definition they are typos, not overrides."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
    except OSError as exc:
        raise DefinitionLoadError(path, [f"cannot read the file: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise DefinitionLoadError(path, ["the file is not UTF-8 text"]) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise DefinitionLoadError(path, [f"{where}: {exc.problem}{context}"]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionLoadError(path, [f"YAML error: {exc}"]) from exc


def _load_model(path: Path, model: type[ModelT]) -> ModelT:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise DefinitionLoadError(path, ["the file must hold a mapping (key: value) at the top"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DefinitionLoadError(path, validation_problems(exc)) from exc


# --- validation errors as "path: problem" -----------------------------------------------------

_CONDITION_KINDS = {m.__name__ for m in get_args(Condition)}
_SHAPE_ERRORS = {"missing", "extra_forbidden"}
_Error = tuple[tuple[int | str, ...], str, str]  # location, error type, message
#: `Definition` joins its cross-check problems with "; ", each starting with a path.
_PROBLEM_SEPARATOR = re.compile(r"; (?=[\w-]+(?:\[\d+\]|\.[\w-]+)*: )")
_NOT_A_CONDITION = (
    "not a condition: use all, any, not, scale with band, scale with op and value, "
    "insufficient, or always"
)


def validation_problems(exc: ValidationError) -> list[str]:
    """One ``path: problem`` line per error, e.g. ``scales[2].bands[1].min: ...``."""
    errors = [(tuple(e["loc"]), e["type"], e["msg"]) for e in exc.errors()]
    problems: list[str] = []
    for loc, _, msg in _prune_conditions(errors):
        msg = msg.removeprefix("Value error, ")
        if loc:
            problems.append(f"{location(loc)}: {msg}")
        else:  # the definition's own cross-checks already start each problem with its path
            problems += _PROBLEM_SEPARATOR.split(msg)
    return problems


def location(loc: Iterable[int | str]) -> str:
    """A pydantic error location as a path: ``('scales', 2, 'min')`` -> ``scales[2].min``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _prune_conditions(errors: list[_Error]) -> list[_Error]:
    """Keep, for each condition, only the errors of the kind it most looks like."""
    kept: list[_Error] = []
    unions: dict[tuple[int | str, ...], dict[str, list[_Error]]] = {}
    for loc, kind, msg in errors:
        at = next((n for n, part in enumerate(loc) if part in _CONDITION_KINDS), None)
        if at is None:
            kept.append((loc, kind, msg))
        else:
            member = unions.setdefault(loc[:at], {}).setdefault(str(loc[at]), [])
            member.append((loc[:at] + loc[at + 1 :], kind, msg))
    for prefix, members in unions.items():

        def misfit(member: list[_Error], depth: int = len(prefix)) -> int:
            return sum(
                1 for loc, kind, _ in member if kind in _SHAPE_ERRORS and len(loc) <= depth + 1
            )

        scores = {name: misfit(member) for name, member in members.items()}
        best = [name for name, score in scores.items() if score == min(scores.values())]
        if len(best) == 1:
            kept += _prune_conditions(members[best[0]])
        else:
            kept.append((prefix, "condition", _NOT_A_CONDITION))
    return kept


# --- the lock file ----------------------------------------------------------------------------


def lock_path(definitions_dir: Path) -> Path:
    """The lock file of a definitions directory: ``definitions/`` -> ``definitions.lock``."""
    return definitions_dir.with_name(definitions_dir.name + ".lock")


def read_lock(path: Path) -> dict[str, str]:
    """The ``id@version -> sha256`` entries of a lock file (none if it does not exist)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DefinitionLoadError(path, [f"not a readable JSON lock file: {exc}"]) from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise DefinitionLoadError(path, ["the lock file must map id@version to a hash"])
    return {str(k): v for k, v in data.items()}


def render_lock(entries: Mapping[str, str]) -> str:
    """The lock file text: sorted, indented JSON."""
    return json.dumps(dict(sorted(entries.items())), indent=2, sort_keys=True) + "\n"


def check_lock(files: Mapping[Path, Definition], lock: Mapping[str, str]) -> None:
    """Raise `PublishedDefinitionChanged` if a locked id@version now hashes differently."""
    for path, definition in files.items():
        locked, current = lock.get(definition.key), definition.content_hash()
        if locked is not None and locked != current:
            raise PublishedDefinitionChanged(
                path,
                [
                    f"{definition.key} is locked with hash {locked[:12]}… but now hashes to "
                    f"{current[:12]}…: {IMMUTABLE}"
                ],
            )


# --- loading ----------------------------------------------------------------------------------


def load_definition(path: Path) -> Definition:
    """Read and validate one definition file."""
    return _load_model(Path(path), Definition)


def definition_files(definitions_dir: Path) -> list[Path]:
    """The definition files of a directory, in name order."""
    return sorted(p for p in Path(definitions_dir).iterdir() if p.suffix in {".yaml", ".yml"})


def load_definitions(definitions_dir: Path) -> dict[Path, Definition]:
    """Every definition of a directory by file; the same id@version twice is an error."""
    files: dict[Path, Definition] = {}
    seen: dict[str, Path] = {}
    for path in definition_files(definitions_dir):
        definition = load_definition(path)
        if definition.key in seen:
            raise DefinitionLoadError(
                path, [f"{definition.key} is already defined in {seen[definition.key].name}"]
            )
        seen[definition.key] = path
        files[path] = definition
    return files


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


class Registry:
    """Every definition by id and version, with the concepts and the support content."""

    def __init__(
        self,
        definitions: Iterable[Definition],
        concepts: Concepts,
        support: Support,
        *,
        enabled: Iterable[str] = (),
        support_region: str | None = None,
    ) -> None:
        self.concepts = concepts
        self.support = support
        #: the deployment's own region for support lines (`ATTUNE_SUPPORT_REGION`).
        self.support_region = support_region
        #: ids of `requires_permission` questionnaires the operator has enabled.
        self.enabled = frozenset(enabled)
        self._support_choices: dict[tuple[str, ...], SupportChoice] = {}
        self._by_id: dict[str, dict[str, Definition]] = {}
        self._hashes: dict[str, str] = {}
        for definition in definitions:
            versions = self._by_id.setdefault(definition.id, {})
            if definition.version in versions:
                raise ValueError(f"{definition.key} is registered twice")
            versions[definition.version] = definition
            self._hashes[definition.key] = definition.content_hash()
        for id_, versions in self._by_id.items():
            self._by_id[id_] = dict(sorted(versions.items(), key=lambda kv: _semver(kv[0])))

    @classmethod
    def load(
        cls,
        definitions_dir: Path = DEFAULT_DIR,
        support_file: Path | None = None,
        *,
        concepts_file: Path = DEFAULT_CONCEPTS,
        lock_file: Path | None = None,
        enabled: Iterable[str] = (),
        support_region: str | None = None,
    ) -> Registry:
        """Load and check every file; the lock defaults to the one beside the directory."""
        files = load_definitions(definitions_dir)
        check_lock(files, read_lock(lock_file or lock_path(Path(definitions_dir))))
        concepts = _load_model(Path(concepts_file), Concepts)
        support = _load_model(Path(support_file or DEFAULT_SUPPORT), Support)
        return cls(
            files.values(), concepts, support, enabled=enabled, support_region=support_region
        )

    def get(self, questionnaire_id: str, version: str | None = None) -> Definition:
        """One definition: the given version, or the latest (by semver) when none is given."""
        versions = self._versions_of(questionnaire_id)
        if version is None:
            return versions[next(reversed(versions))]
        if version not in versions:
            raise UnknownVersion(
                f"questionnaire {questionnaire_id!r} has no version {version!r}; "
                f"versions: {', '.join(versions)}"
            )
        return versions[version]

    def requires_permission(self, questionnaire_id: str) -> bool:
        """Whether any version of the questionnaire says its licence needs permission."""
        versions = self._versions_of(questionnaire_id).values()
        return any(d.requires_permission for d in versions)

    def is_offered(self, questionnaire_id: str) -> bool:
        """Whether people may be shown, sent or given this questionnaire here."""
        if questionnaire_id in self.enabled:
            return True
        return not self.requires_permission(questionnaire_id)

    def offered(self, questionnaire_id: str, version: str | None = None) -> Definition:
        """Like `get`, for listing, serving and inviting: `NotOffered` unless it is offered.

        Stored results keep using `get`, so they still export and rescore while it is off.
        """
        definition = self.get(questionnaire_id, version)
        if not self.is_offered(questionnaire_id):
            raise NotOffered(
                f"questionnaire {questionnaire_id!r} is not offered here: its licence does not "
                "cover this use, and the operator has not enabled it"
            )
        return definition

    def latest_offered(self) -> list[Definition]:
        """The latest version of each offered questionnaire, sorted by id."""
        return [d for d in self.latest() if self.is_offered(d.id)]

    def versions(self, questionnaire_id: str) -> list[str]:
        """The versions of a questionnaire, oldest first."""
        return list(self._versions_of(questionnaire_id))

    def latest(self) -> list[Definition]:
        """The latest version of each questionnaire, sorted by id."""
        return [self.get(id_) for id_ in sorted(self._by_id)]

    def all(self) -> list[Definition]:
        """Every version of every questionnaire, by id, oldest version first."""
        return [d for id_ in sorted(self._by_id) for d in self._by_id[id_].values()]

    def support_for(
        self, wanted: Sequence[str], organization: OrganizationSupport | None = None
    ) -> SupportChoice:
        """The support lines for a reader (`choose_support`), made once per list of languages.

        Without an organization the choice depends on the wanted languages only, and every
        result shows it: it is kept (for at most 256 lists, as the list is the client's).
        """
        if organization is not None:
            return choose_support(self.support, wanted, organization, self.support_region)
        key = tuple(wanted)
        chosen = self._support_choices.get(key)
        if chosen is None:
            chosen = choose_support(self.support, wanted, None, self.support_region)
            if len(self._support_choices) < 256:
                self._support_choices[key] = chosen
        return chosen

    def hash(self, definition: Definition) -> str:
        """The content hash of a definition (cached for the registered ones)."""
        if self._by_id.get(definition.id, {}).get(definition.version) is definition:
            return self._hashes[definition.key]
        return definition.content_hash()

    def _versions_of(self, questionnaire_id: str) -> dict[str, Definition]:
        try:
            return self._by_id[questionnaire_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise UnknownQuestionnaire(
                f"no questionnaire {questionnaire_id!r}; known: {known}"
            ) from None
