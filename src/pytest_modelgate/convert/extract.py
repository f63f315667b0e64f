"""What a legacy ``test_hf_*.py`` script tests: its facts (``scan``) weighed against the
transformers registry (``models.catalog``) into a model type, id, task, head and category, or
the reason it is no model test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pytest_modelgate.convert.scan import Facts, Found, is_checkpoint_id, scan
from pytest_modelgate.models.catalog import (
    TASK_HEADS,
    categorize,
    load_registry,
    normalize,
)

# Bytes read of a file. No test script is that big: what lies beyond is data, and an unbounded
# read or scan of a huge file would cost minutes and gigabytes for nothing.
READ_LIMIT = 1 << 20
# The first line of every module ``generate`` writes: such a file is an output, never an input.
GENERATED_MARK = '"""Model tests converted from a legacy script by ``modelgate convert``.'
BINARY_PROBE = 8192

# Where a model id came from, best first: the default a legacy test runs with wins.
ID_RANKS = {
    "model_id default": 0,
    "MODEL_ID constant": 1,
    "registry key": 2,
    "model_id assignment": 3,
    "model id field": 4,
    "from_pretrained call": 5,
    "pipeline call": 6,
}
# Checkpoint-family names of legacy files that are no model type (``bertweet`` is a roberta),
# families transformers lacks, whose names must not be guessed by prefix (``beit3``), and the
# model types transformers has a config for but no auto model class (``nougat``; ``configs``).
ALIASES = Path(__file__).with_name("aliases.json")
TASK_RANKS = {"pipeline call": 0, "task field": 1, "recommended_tasks": 2}

# When no task of the file fits the model type, the first of these that does is used.
PREFERRED_TASKS = (
    "image-text-to-text",
    "zero-shot-image-classification",
    "visual-question-answering",
    "document-question-answering",
    "zero-shot-object-detection",
    "automatic-speech-recognition",
    "audio-classification",
    "text-to-audio",
    "image-classification",
    "object-detection",
    "image-segmentation",
    "depth-estimation",
    "video-classification",
    "image-to-image",
    "mask-generation",
    "fill-mask",
    "text-generation",
    "text2text-generation",
    "text-classification",
    "token-classification",
    "question-answering",
    "multiple-choice",
    "table-question-answering",
    "time-series-prediction",
    "image-feature-extraction",
    "feature-extraction",
)
# Pipeline tasks in any spelling (``text-generation``, ``fill_mask``): what a template passes as
# ``model_type="text-generation"`` says what the model does, never which model it is.
_TASKS = frozenset(normalize(task) for task in TASK_HEADS)
_TYPE_NAME = re.compile(r"[A-Za-z][\w.\-]{0,63}", re.ASCII)
_CAMEL = re.compile(r"[A-Z]+(?![a-z])\d*|[A-Z]?[a-z]+\d*|\d+")
_CUES = {
    "multimodal": re.compile(r"image[-_ ]text|vision[-_ ]language|multimodal|caption|vqa", re.I),
    "audio": re.compile(r"audio|speech|waveform|sampling_rate|\.wav\b", re.I),
    "vision": re.compile(r"image|pixel_values|vision|\.jpe?g\b|\.png\b", re.I),
}


@dataclass(frozen=True)
class Index:
    """The registry, indexed for the lookups extraction makes many times per file.

    ``by_norm`` and ``heads`` hold the catalog's model types (those with pairs); ``configs``
    holds the model types transformers has without an auto model class, each with the catalog
    types that hold it, and ``config_norm`` finds them by name.
    """

    by_norm: dict[str, str]
    by_class: dict[str, str]
    heads: dict[str, tuple[str, ...]]
    categories: dict[str, str]
    transformers_version: str
    aliases: dict[str, tuple[str, ...]]
    absent: frozenset[str]
    configs: dict[str, tuple[str, ...]]
    config_norm: dict[str, str]
    configs_version: str

    def find(self, key: str) -> str | None:
        """The model type a normalized name ``key`` is: a catalog type, else a type with a
        config only."""
        return self.by_norm.get(key) or self.config_norm.get(key)


def load_aliases(
    path: Path, by_norm: dict[str, str]
) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """The alias table (normalized name -> model types) and the absent names of ``path``;
    raises ``ValueError`` naming an entry whose model type the registry lacks."""
    data = json.loads(path.read_text(encoding="utf-8"))
    known = set(by_norm.values())
    aliases: dict[str, tuple[str, ...]] = {}
    for name, value in sorted(data["aliases"].items()):
        types = (value,) if isinstance(value, str) else tuple(value)
        for model_type in types:
            if model_type not in known:
                raise ValueError(f"{path.name}: alias {name!r}: no model type {model_type!r}")
        aliases[normalize(name)] = types
    return aliases, frozenset(normalize(n) for n in data["absent"])


def load_configs(path: Path, by_norm: dict[str, str]) -> tuple[dict[str, tuple[str, ...]], str]:
    """The config table of ``path`` (model type -> the catalog types that hold it), less the
    types the catalog has, and the transformers version it was made from; raises ``ValueError``
    naming an entry held by a type the registry lacks."""
    data = json.loads(path.read_text(encoding="utf-8"))["configs"]
    known = set(by_norm.values())
    table: dict[str, tuple[str, ...]] = {}
    for name, value in sorted(data["types"].items()):
        held = (value,) if isinstance(value, str) else tuple(value)
        for model_type in held:
            if model_type not in known:
                raise ValueError(f"{path.name}: config {name!r}: no model type {model_type!r}")
        if normalize(name) not in by_norm:
            table[name] = held
    return table, str(data["transformers_version"])


def norm_keys(model_type: str) -> tuple[str, ...]:
    """The keys a model type is found by: its normalized name, and that less its dots, as a
    name split into parts writes it (``kosmos_2_5`` is ``kosmos-2.5``)."""
    key = normalize(model_type)
    return (key, key.replace(".", "")) if "." in key else (key,)


@cache
def registry_index() -> Index:
    registry = load_registry()
    by_norm: dict[str, str] = {}
    by_class: dict[str, str] = {}
    heads: dict[str, list[str]] = {}
    categories: dict[str, str] = {}
    for pair in registry.pairs:
        for key in norm_keys(pair.model_type):
            by_norm.setdefault(key, pair.model_type)
        by_class.setdefault(pair.class_name, pair.model_type)
        heads.setdefault(pair.model_type, []).append(pair.head)
        categories[pair.model_type] = pair.category
    aliases, absent = load_aliases(ALIASES, by_norm)
    configs, configs_version = load_configs(ALIASES, by_norm)
    config_norm = {key: t for t in configs for key in norm_keys(t)}
    return Index(
        by_norm,
        by_class,
        {t: tuple(h) for t, h in heads.items()},
        categories,
        registry.transformers_version,
        aliases,
        absent,
        configs,
        config_norm,
        configs_version,
    )


@dataclass(frozen=True)
class Extraction:
    """What one legacy file tests, or why it is no model test (``skip_reason``)."""

    source: str
    model_name: str
    parser: str
    skip_reason: str | None = None
    model_type: str | None = None
    # The catalog has pairs for the model type: its checks can run.
    known_type: bool = False
    # Transformers has the model type, as a config only: the catalog has no pair for it.
    config_only: bool = False
    model_id: str | None = None
    task: str | None = None
    head: str | None = None
    category: str | None = None
    reasons: tuple[str, ...] = ()

    @property
    def is_model(self) -> bool:
        return self.skip_reason is None


def legacy_name(filename: str) -> str:
    """The model name a legacy file is about: ``test_hf_xlm-roberta.py`` -> ``xlm-roberta``."""
    stem = filename[:-3] if filename.endswith(".py") else filename
    for prefix in ("test_hf_", "test_"):
        if stem.startswith(prefix):
            return stem[len(prefix) :]
    return stem


def identifier(name: str) -> str:
    """``name`` as an ASCII identifier fragment: ``xlm-roberta`` -> ``xlm_roberta``."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_")


def task_name(value: str) -> str:
    """A pipeline task as ``TASK_HEADS`` names it: ``translation_en_to_fr`` -> ``translation``."""
    task = value.strip().lower().replace("_", "-")
    return "translation" if task.startswith("translation-") else task


def is_task(value: str) -> bool:
    """True for the name of a pipeline task, which is never a model type."""
    return normalize(task_name(value)) in _TASKS


def show(value: str, limit: int = 60) -> str:
    """A value for a report line: quoted and escaped, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def decode(data: bytes) -> str | None:
    """The text of a source file, or None for a binary file."""
    if b"\x00" in data[:BINARY_PROBE]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        return None if text.count("\ufffd") > len(text) // 100 + 8 else text


def extract(source: str, data: bytes, index: Index | None = None) -> Extraction:
    """What the legacy file ``source`` (a relative path, ``/``-separated) with bytes ``data``
    tests; a file that is no model test comes back with ``skip_reason`` set."""
    index = registry_index() if index is None else index
    filename = source.rsplit("/", 1)[-1]
    name = legacy_name(filename)
    truncated = len(data) > READ_LIMIT
    text = decode(data[:READ_LIMIT])
    if text is None:
        return Extraction(source, name, "none", skip_reason="binary file, not Python source")
    if not text.strip():
        return Extraction(source, name, "none", skip_reason="empty file")
    if text.startswith(GENERATED_MARK):
        return Extraction(source, name, "none", skip_reason="written by modelgate convert")
    parser, facts = scan(text, index.by_class, truncated=truncated)
    reasons = [f"over {READ_LIMIT >> 20} MiB: only the start was read"] if truncated else []
    model_type, evidence = choose_model_type(name, facts, index)
    tasks_as_names = _tasks_as_names(name, facts)
    reasons += [
        f"ignored {value!r} ({origin}): a task, not a model type"
        for value, origin in tasks_as_names
    ]
    model_id = choose_model_id(facts, reasons)
    # Class names and ids alone may be a helper's; a model test also has a test's shape.
    weak = model_type is None or evidence.startswith(("class name", "model id"))
    has_shape = bool(
        facts.test_classes
        or facts.has_registry
        or facts.registry_names
        or _declared_types(facts)
        or _declares_id(facts)
    )
    # A model the registry lacks is named after the file's own names: a task is none of them.
    unnamed = model_type is None and is_task(name) and not _named_types(facts)
    if (weak and not has_shape) or not identifier(name) or unnamed:
        reason = no_model_reason(name, facts, tasks_as_names)
        return Extraction(source, name, parser, skip_reason=reason)
    if model_type is None:
        model_type, task, head, category = unknown_type(name, facts, text, index, reasons)
    elif model_type in index.heads:
        reasons.insert(0, f"model type {model_type!r} from the {evidence}")
        heads = index.heads[model_type]
        category = index.categories[model_type]
        task, head = choose_task(model_type, heads, facts.tasks, reasons, category=category)
    else:
        reasons.insert(0, f"model type {model_type!r} from the {evidence}")
        reasons.insert(0, no_pair_reason(model_type, index))
        task, head, category = guess_task(facts, text, reasons)
    return Extraction(
        source,
        name,
        parser,
        model_type=model_type,
        known_type=model_type in index.heads,
        config_only=model_type in index.configs,
        model_id=model_id,
        task=task,
        head=head,
        category=category,
        reasons=tuple(reasons),
    )


def unknown_type(
    name: str, facts: Facts, text: str, index: Index, reasons: list[str]
) -> tuple[str, str, str, str]:
    """Model type, task, head and category of a model test whose type the registry lacks:
    the declared type or the file's name, and the task ``guess_task`` finds. The tests of such
    a module are strict expected failures, with the first reason as theirs."""
    declared = _named_types(facts)
    model_type = declared[0] if declared else name
    reasons.insert(
        0,
        f"model type {model_type!r} is not in the transformers "
        f"{index.transformers_version} registry",
    )
    return (model_type, *guess_task(facts, text, reasons))


def no_pair_reason(model_type: str, index: Index) -> str:
    """Why the module of a model type transformers has as a config only cannot run: the reason
    of its strict expected failures, which turn red once the catalog gains a pair for it."""
    return (
        f"model type {model_type!r} has a config in transformers {index.configs_version} "
        "but no auto model class: the catalog has no pair to run"
    )


def guess_task(facts: Facts, text: str, reasons: list[str]) -> tuple[str, str, str]:
    """Task, head and category of a model test with no pair in the catalog: the file's first
    pipeline task (else feature extraction), that task's first head and its category (or the
    category of the file's words, for plain feature extraction)."""
    tasks = [task_name(f.value) for f in _ranked(facts.tasks, TASK_RANKS)]
    task = next((t for t in tasks if t in TASK_HEADS), "feature-extraction")
    category = categorize(TASK_HEADS[task])
    if category == "text" and task in ("feature-extraction", "image-feature-extraction"):
        category = category_from_cues(text)
        reasons.append(f"category {category!r} from the file's content")
    return task, TASK_HEADS[task][0], category


def _declares_id(facts: Facts) -> bool:
    """True when the file names its own checkpoint (``model_id`` default, ``MODEL_ID`` or a
    ``self.model_id = "..."``)."""
    return any(
        f.source in ("model_id default", "MODEL_ID constant", "model_id assignment")
        and is_checkpoint_id(f.value)
        for f in facts.ids
    )


def _declared_types(facts: Facts) -> list[str]:
    """The model types the file declares (``self.model_type = "cpm"``), valid names only."""
    return [f.value for f in facts.types if _TYPE_NAME.fullmatch(f.value) and not is_task(f.value)]


def _named_types(facts: Facts) -> list[str]:
    """The model types the file declares, then the names of its model registries."""
    return _declared_types(facts) + [f.value for f in facts.registry_names if not is_task(f.value)]


def _own_names(name: str, facts: Facts) -> list[tuple[str, str]]:
    """The names a file gives its model, each with where it comes from: its file name, the
    model types it declares, its ``<NAME>_MODELS_REGISTRY`` and ``Test<Name>Models`` names."""
    own = [(name, "file name")]
    own += [(f.value, f.source) for f in facts.types]
    own += [(f.value, f.source) for f in facts.registry_names]
    own += [(f.value, f.source) for f in facts.test_classes]
    return own


def _tasks_as_names(name: str, facts: Facts) -> list[tuple[str, str]]:
    """The file's own names that are tasks, each once (``model_type="text-generation"``)."""
    seen: dict[str, str] = {}
    for value, source in _own_names(name, facts):
        if is_task(value):
            seen.setdefault(value, source)
    return list(seen.items())


def choose_model_type(name: str, facts: Facts, index: Index) -> tuple[str | None, str]:
    """The registry's model type of a file and the evidence for it, best evidence first.

    The file's own names (its file name, declared model type, ``<NAME>_MODELS_REGISTRY`` and
    ``Test<Name>Models`` class) are looked up as they are, then in the alias table, then by a
    part of the name (a guess, said so in the evidence). When the file declares a name of its
    own that none of these finds, its type is unknown: class names and ids elsewhere in it
    (often a template's leftovers) do not override what the file says it tests.

    A model type transformers has as a config only stands for the catalog type that holds it
    (``clvp_decoder`` is tested through ``clvp``), said so in the evidence; one no catalog type
    holds (``nougat``) is the answer itself, and its module cannot run.
    """
    own = [(value, source) for value, source in _own_names(name, facts) if not is_task(value)]
    for value, source in own:
        found = index.find(normalize(value))
        if found is not None:
            return held_by(found, source, facts, index)
    for value, source in own:
        types = index.aliases.get(normalize(value), ())
        if types:
            found = _serving(types, facts, index)
            return found, f"{source} {value!r}, a {found} checkpoint family (alias table)"
    if any(normalize(value) in index.absent for value, _ in own):
        return None, ""
    found, whole_part = _name_match(re.split(r"[-_.]+", name), "_", index)
    if found is not None:
        return held_by(found, f"file name {name!r}, {_part_note(whole_part)}", facts, index)
    for fact in facts.test_classes:
        found, whole_part = _name_match(_CAMEL.findall(fact.value), "", index)
        if found is not None:
            return held_by(found, f"{fact.source}, {_part_note(whole_part)}", facts, index)
    named = normalize(name)
    if _named_types(facts) or any(normalize(f.value) == named for f in facts.test_classes):
        return None, ""  # the file names its model, and the registry has no such type
    for fact in facts.classes:
        found = index.by_class.get(fact.value)
        if found is None and fact.value.endswith("Config"):
            found = index.find(normalize(fact.value[: -len("Config")]))
        if found is not None:
            return held_by(found, "class name", facts, index)
    for fact in _ranked(facts.ids, ID_RANKS):
        if is_checkpoint_id(fact.value):
            basename = fact.value.rsplit("/", 1)[-1]
            found, _ = _name_match(re.split(r"[-_.]+", basename), "-", index)
            if found is not None:
                return held_by(found, "model id", facts, index)
    return None, ""


def held_by(found: str, evidence: str, facts: Facts, index: Index) -> tuple[str, str]:
    """The model type to test for ``found`` and the evidence: a catalog type, or a type with a
    config only that no catalog type holds, is itself; another config-only type is the catalog
    type that holds it, the one serving the file's task when several do."""
    holders = index.configs.get(found, ())
    if not holders:
        return found, evidence
    holder = _serving(holders, facts, index)
    return holder, (
        f"{evidence}: {found} is part of the {holder} model, "
        "with no auto model class of its own (config table)"
    )


def _serving(types: tuple[str, ...], facts: Facts, index: Index) -> str:
    """The first of ``types`` with a head for a task of the file, else the first."""
    for fact in _ranked(facts.tasks, TASK_RANKS):
        heads = TASK_HEADS.get(task_name(fact.value), ())
        for model_type in types:
            if any(h in index.heads[model_type] for h in heads):
                return model_type
    return types[0]


def _part_note(whole_part: bool) -> str:
    if whole_part:
        return "by a part of the name (a guess: check it)"
    return "by a piece of a word of the name (a guess: check it, or add an alias)"


def _name_match(parts: list[str], joiner: str, index: Index) -> tuple[str | None, bool]:
    """The model type a compound name is made of, and whether it is a whole part of it: the
    longest run of leading ``parts`` (``bert_base_uncased``), else of trailing ones
    (``flan_t5``); else the longest type of four letters or more that ends or starts it
    (``codellama``, ``distilgpt2``, ``llamaguard``), else the name less a version (``llama2``),
    which are not whole parts."""
    parts = [p for p in parts if p]
    runs = [parts[:end] for end in range(len(parts), 0, -1)]
    runs += [parts[start:] for start in range(1, len(parts))]
    for run in runs:
        found = index.find(normalize(joiner.join(run)))
        if found is not None:
            return found, True
    whole = normalize("".join(parts))
    pieces = [whole[start:] for start in range(1, len(whole) - 3)]
    pieces += [whole[:end] for end in range(len(whole) - 1, 3, -1)]
    pieces.append(re.sub(r"v?\d+$", "", whole))
    for piece in pieces:
        found = index.find(piece)
        if found is not None:
            return found, False
    return None, False


def _ranked(facts: list[Found], ranks: dict[str, int]) -> list[Found]:
    return sorted(facts, key=lambda f: (ranks.get(f.source, len(ranks)), f.pos))


def choose_model_id(facts: Facts, reasons: list[str]) -> str | None:
    """The checkpoint the legacy test used by default; ignored values are noted in reasons."""
    ignored: list[str] = []
    for fact in _ranked(facts.ids, ID_RANKS):
        if is_checkpoint_id(fact.value):
            for value in ignored:
                reasons.append(f"ignored model id {show(value)}: not a checkpoint id")
            reasons.append(f"model id from the {fact.source}")
            return fact.value
        if fact.value not in ignored and fact.source != "model id field":
            ignored.append(fact.value)
    for value in ignored:
        reasons.append(f"ignored model id {show(value)}: not a checkpoint id")
    reasons.append("no model id found: MODEL_ID is None, --model-source=pretrained skips")
    return None


def choose_task(
    model_type: str,
    heads: tuple[str, ...],
    found: list[Found],
    reasons: list[str],
    *,
    category: str = "text",
) -> tuple[str, str]:
    """The first task of the file that a head of ``model_type`` serves, else the best one."""
    unknown: list[str] = []
    unfit: list[str] = []
    for fact in _ranked(found, TASK_RANKS):
        task = task_name(fact.value)
        if task not in TASK_HEADS:
            if fact.value not in unknown:
                unknown.append(fact.value)
            continue
        served = [h for h in TASK_HEADS[task] if h in heads]
        if served:
            reasons.append(f"task {task!r} from the {fact.source}")
            return task, served[0]
        if task not in unfit:
            unfit.append(task)
    for task in PREFERRED_TASKS:
        if task == "image-feature-extraction" and category not in ("vision", "multimodal"):
            continue  # its heads include the base head, which text and audio models have too
        served = [h for h in TASK_HEADS[task] if h in heads]
        if served:
            break
    else:
        task, served = heads[0], [heads[0]]
    if unknown:
        named = ", ".join(show(t) for t in unknown[:3])
        reasons.append(f"ignored task {named}: not a pipeline task")
    if unfit:
        named = ", ".join(repr(t) for t in unfit[:3])
        reasons.append(
            f"task {named} does not fit {model_type} (heads: {', '.join(heads)}): "
            f"used {task!r}, the best it supports"
        )
    else:
        reasons.append(f"no usable task found: used {task!r}, the best {model_type} supports")
    return task, served[0]


def category_from_cues(text: str) -> str:
    """The category of a model the registry lacks, from words in its test."""
    sample = text
    if _CUES["multimodal"].search(sample):
        return "multimodal"
    audio = len(_CUES["audio"].findall(sample))
    vision = len(_CUES["vision"].findall(sample))
    if max(audio, vision) < 2:
        return "text"
    return "audio" if audio >= vision else "vision"


def no_model_reason(name: str, facts: Facts, tasks_as_names: list[tuple[str, str]]) -> str:
    seen = "no Test<Name>Models class, model registry, model type or model id"
    if not identifier(name):
        reason = f"no model: the file name names none ({name!r}) and the file has {seen}"
    else:
        reason = f"no model: {name!r} is no model type and the file has {seen}"
    if tasks_as_names:
        named = ", ".join(f"{value!r} ({source})" for value, source in tasks_as_names)
        reason += f"; {named}: a task, not a model type"
    return reason


__all__ = ["Extraction", "extract", "identifier", "legacy_name", "registry_index"]
