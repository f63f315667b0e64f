"""Extraction from legacy scripts: every shape of the fixtures, hostile files, the pure helpers."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_modelgate.convert import extract as ex
from pytest_modelgate.convert import scan
from pytest_modelgate.convert.extract import Found, extract
from pytest_modelgate.convert.generate import generate
from pytest_modelgate.models import catalog
from pytest_modelgate.models.catalog import normalize

LEGACY = Path(__file__).parent / "convert_fixtures" / "legacy"
VERSION = f"{ex.registry_index().transformers_version} registry"


def extract_fixture(source: str) -> ex.Extraction:
    return extract(source, LEGACY.joinpath(*source.split("/")).read_bytes())


# source, parser, model type, model id, task, head
CONVERTED = [
    line.split()
    for line in [
        # registry keyed by checkpoint id, Test<Name>Models, pipeline(**kwargs), hardware probe
        "test_hf_bert.py ast bert google-bert/bert-base-uncased fill-mask fill-mask",
        # pipeline("task", model=...), unittest runner, recommended_tasks
        "test_hf_gpt2.py ast gpt2 openai-community/gpt2 text-generation causal-lm",
        # hyphenated name, {{...}} placeholders, broken indentation
        "test_hf_xlm-roberta.py tokens xlm-roberta FacebookAI/xlm-roberta-base fill-mask fill-mask",
        # statements pasted on one line in a class body, try: with no body
        "test_hf_t5.py tokens t5 google-t5/t5-small translation seq2seq-lm",
        # from_pretrained only, mis-indented
        "test_hf_vit.py tokens vit google/vit-base-patch16-224 image-classification"
        " image-classification",
        # pipeline(task=...) in a unittest case, registry keyed by id
        "test_hf_whisper.py ast whisper openai/whisper-tiny automatic-speech-recognition"
        " speech-seq2seq",
        # a task the model cannot serve: the best supported one instead
        "test_hf_clip.py ast clip openai/clip-vit-base-patch32 zero-shot-image-classification"
        " zero-shot-image-classification",
        # a family name that ends in its model type
        "test_hf_flan_t5.py ast t5 google/flan-t5-small text2text-generation seq2seq-lm",
        # the file name's leading part is the model type
        "test_hf_bert_base_uncased.py ast bert google-bert/bert-base-uncased fill-mask fill-mask",
        # MODEL_ID constant, pipeline(task=...)
        "test_hf_llama.py ast llama meta-llama/Llama-3.2-1B text-generation causal-lm",
        # an unterminated docstring: only the tolerant tokenizer reads it
        "test_hf_opt.py tokens opt facebook/opt-125m text-generation causal-lm",
        # hostile model ids are refused; the file's from_pretrained id is used
        "test_hf_electra.py ast electra google/electra-small-discriminator fill-mask fill-mask",
        # raises and loops when imported
        "test_hf_albert.py ast albert albert/albert-base-v2 fill-mask fill-mask",
        # a model type only as a field, and a checkpoint family's name (alias table)
        "variants/test_hf_dialogpt.py ast gpt2 None text-generation causal-lm",
        # the id of a dead branch (a constant comparison) is not the test's id
        "variants/test_hf_distilbert.py ast distilbert distilbert-base-uncased fill-mask fill-mask",
        # not Python, an uninformative file name: the plain ``self.model_id = ...`` tells
        "variants/test_hf_vlm_chat.py tokens llava llava-v1.5-7b image-text-to-text"
        " image-text-to-text",
        # an unrendered template: placeholders for the id and task, {{ }} dict literals
        "test_hf_deberta_v2.py tokens deberta-v2 None fill-mask fill-mask",
        # in a sub-folder
        "sub/test_hf_roberta.py ast roberta FacebookAI/roberta-base fill-mask fill-mask",
        # a model type with no task head: its base pair; a skillset template, not Python
        "test_hf_dpr.py tokens dpr facebook/dpr-question_encoder-single-nq-base"
        " feature-extraction base",
    ]
]

SKIPPED = [
    ("test_hf___help.py", "no model: '__help' is no model type"),
    ("test_hf_api_integration.py", "no model: 'api_integration' is no model type"),
    ("test_hf_empty.py", "empty file"),
    ("test_hf_binary.py", "binary file, not Python source"),
]


@pytest.mark.parametrize(("source", "parser", "model_type", "model_id", "task", "head"), CONVERTED)
def test_converted_fixture(
    source: str, parser: str, model_type: str, model_id: str, task: str, head: str
) -> None:
    found = extract_fixture(source)
    assert found.is_model, found.skip_reason
    expected_id = None if model_id == "None" else model_id
    assert (found.parser, found.model_type, found.model_id) == (parser, model_type, expected_id)
    assert (found.task, found.head, found.known_type) == (task, head, True)
    index = ex.registry_index()
    assert found.category == index.categories[model_type]
    assert head in index.heads[model_type]


@pytest.mark.parametrize(("source", "reason"), SKIPPED)
def test_skipped_fixture(source: str, reason: str) -> None:
    found = extract_fixture(source)
    assert not found.is_model
    assert found.skip_reason is not None
    assert found.skip_reason.startswith(reason)
    assert found.model_type is None


def test_every_fixture_is_covered() -> None:
    covered = {c[0] for c in CONVERTED} | {s[0] for s in SKIPPED} | {u[0] for u in UNKNOWN}
    covered |= {p[0] for p in PAIRLESS}
    on_disk = {p.relative_to(LEGACY).as_posix() for p in LEGACY.rglob("test_hf_*.py")}
    assert on_disk == covered


UNKNOWN = [
    ("test_hf_mystery_net.py", "mystery_net", "example-org/mystery-net-base"),
    # a family template renamed: its declared name and registry win over the template's model
    # class (a name that is no model type is reported as one, not replaced)
    ("test_hf_decoder-only.py", "decoder-only", "decoder-only-base-uncased"),
    ("variants/test_hf_nezha.py", "nezha", "nezha-base"),
    # skillset shape (no Test<Name>Models class): converted like any other unknown type
    ("variants/test_hf_cm3.py", "cm3", None),
]


@pytest.mark.parametrize(("source", "model_type", "model_id"), UNKNOWN)
def test_unknown_types_are_converted_as_expected_failures(
    source: str, model_type: str, model_id: str | None
) -> None:
    found = extract_fixture(source)
    assert found.is_model, found.skip_reason
    assert (found.model_type, found.known_type, found.model_id) == (model_type, False, model_id)
    assert found.reasons[0] == f"model type {model_type!r} is not in the transformers {VERSION}"
    assert "pytest.mark.xfail(reason=UNKNOWN_TYPE, strict=True)" in generate(found)


PAIRLESS = [
    # a skillset template (no test shape) of a model type that has a config and no auto class
    ("test_hf_nougat.py", "nougat", None),
    # a family template of one: its registry is named in capitals
    ("test_hf_rag.py", "rag", "facebook/rag-token-nq"),
]


@pytest.mark.parametrize(("source", "model_type", "model_id"), PAIRLESS)
def test_a_type_without_a_pair_is_converted_as_an_expected_failure(
    source: str, model_type: str, model_id: str | None
) -> None:
    found = extract_fixture(source)
    assert found.is_model, found.skip_reason
    assert (found.model_type, found.model_id) == (model_type, model_id)
    assert (found.known_type, found.config_only) == (False, True)
    assert found.reasons[0] == (
        f"model type {model_type!r} has a config in transformers {VERSION[: -len(' registry')]} "
        "but no auto model class: the catalog has no pair to run"
    )
    assert found.reasons[1] == f"model type {model_type!r} from the file name"
    assert "pytest.mark.xfail(reason=NO_PAIR, strict=True)" in generate(found)


NOUGAT = (LEGACY / "test_hf_nougat.py").read_text(encoding="utf-8")


def skillset(name: str) -> bytes:
    """The nougat template renamed: a shape whose file name alone names the model (no test
    class, model registry, declared model type or model id)."""
    return NOUGAT.replace("nougat", name).encode()


def test_every_model_type_transformers_has_converts_from_its_file_name() -> None:
    index = ex.registry_index()
    # the auto mappings' model types, base-only ones included; and those with a config only
    assert set(index.heads) == set(catalog.load_registry().model_types())
    assert index.configs and not set(index.configs) & set(index.heads)
    for model_type in [*index.heads, *index.configs]:
        found = extract(f"test_hf_{model_type}.py", skillset(model_type))
        assert found.is_model, (model_type, found.skip_reason)
        parents = index.configs.get(model_type)
        if parents is None:  # a catalog type
            assert (found.model_type, found.known_type) == (model_type, True)
            assert found.head in index.heads[model_type]
        elif parents:  # part of a catalog type's model: tested through it
            assert (found.model_type, found.known_type) == (parents[0], True), model_type
            assert f"{model_type} is part of the {parents[0]} model" in found.reasons[0]
        else:
            assert (found.model_type, found.config_only) == (model_type, True)


@pytest.mark.parametrize(
    ("name", "model_type"),
    [
        ("clvp_decoder", "clvp"),  # by name alone a guess; the config table says so
        ("florence_vision", "florence2"),  # no name part says it
        ("kosmos_2_5_text_model", "kosmos-2.5"),  # a name part would say kosmos-2
        ("Siglip_Text_Model", "siglip"),
    ],
)
def test_a_sub_config_is_tested_through_the_model_that_holds_it(name: str, model_type: str) -> None:
    found, evidence = ex.choose_model_type(name, scan.Facts(), ex.registry_index())
    assert found == model_type
    assert evidence.startswith("file name: ")
    assert "with no auto model class of its own (config table)" in evidence


def test_a_sub_config_held_by_two_models_takes_the_one_serving_the_task() -> None:
    index = ex.registry_index()
    assert index.configs["inkling_audio"] == ("inkling_mm_model", "inkling_text")
    chat = scan.Facts(tasks=[Found("text-generation", "task field", (1, 0))])
    assert ex.choose_model_type("inkling_audio", chat, index)[0] == "inkling_text"
    assert ex.choose_model_type("inkling_audio", scan.Facts(), index)[0] == "inkling_mm_model"


def test_a_dotted_model_type_is_found_by_its_parts() -> None:
    index = ex.registry_index()
    assert ex.choose_model_type("kosmos_2_5", scan.Facts(), index) == ("kosmos-2.5", "file name")
    assert ex.choose_model_type("kosmos-2.5", scan.Facts(), index) == ("kosmos-2.5", "file name")


TASKS_AS_NAMES = [
    # the template's model_type default is a task; the file name names the model
    ("test_hf_nougat.py", None, "nougat"),
    # the same template, of a model transformers lacks
    ("test_hf_quillnet.py", skillset("quillnet").decode(), None),
    # the file name and the test class name a task, and the file declares no model type
    (
        "test_hf_text_generation.py",
        'class TestTextGenerationModels:\n    model_id = "org/lm"\n',
        None,
    ),
    # a registry named after a task, in another spelling: the file name names the model
    ("test_hf_lm.py", 'FILL_MASK_MODELS_REGISTRY = {"org/lm-base": {"task": "fill-mask"}}\n', "lm"),
    # a known model: its declared task-named model type is ignored, with the reason
    ("test_hf_bert.py", 'class TestBertModels:\n    model_type = "fill_mask"\n', "bert"),
]


@pytest.mark.parametrize(("source", "text", "model_type"), TASKS_AS_NAMES)
def test_a_task_is_never_the_model_type(
    source: str, text: str | None, model_type: str | None
) -> None:
    data = LEGACY.joinpath(source).read_bytes() if text is None else text.encode()
    found = extract(source, data)
    assert found.model_type == model_type
    assert found.is_model == (model_type is not None)
    noted = [*found.reasons, found.skip_reason or ""]
    assert any("a task, not a model type" in note for note in noted), noted


def test_task_names_in_any_spelling() -> None:
    tasks = ["text-generation", "Fill_Mask", "translation_en_to_fr", "NER", "textgeneration"]
    assert all(ex.is_task(name) for name in tasks)
    assert not any(ex.is_task(name) for name in ["nougat", "bert", "gpt2", "text", "image"])


def test_unknown_model_type_is_converted_with_its_reason() -> None:
    found = extract_fixture("test_hf_mystery_net.py")
    assert found.is_model and not found.known_type
    assert (found.model_type, found.model_id) == ("mystery_net", "example-org/mystery-net-base")
    assert (found.task, found.head) == ("feature-extraction", "base")
    assert found.category == "vision"  # from the content: image processor, pixel values
    assert found.reasons[0].startswith("model type 'mystery_net' is not in the transformers")


def test_unfit_task_is_replaced_with_a_reason() -> None:
    found = extract_fixture("test_hf_clip.py")
    assert any("'fill-mask' does not fit clip" in r for r in found.reasons)


def test_template_placeholders_are_refused_with_reasons() -> None:
    found = extract_fixture("test_hf_deberta_v2.py")
    assert found.reasons[1:] == (
        "ignored model id '{default_model}': not a checkpoint id",
        "no model id found: MODEL_ID is None, --model-source=pretrained skips",
        "ignored task '{default_task}': not a pipeline task",
        "no usable task found: used 'fill-mask', the best deberta-v2 supports",
    )


def test_hostile_ids_are_refused_with_reasons() -> None:
    found = extract_fixture("test_hf_electra.py")
    refused = [r for r in found.reasons if r.startswith("ignored model id")]
    assert len(refused) == 2
    assert all("not a checkpoint id" in r for r in refused)
    assert "__import__" not in (found.model_id or "")


def test_a_file_that_raises_or_loops_is_never_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported.marker"
    monkeypatch.setenv("CONVERT_MARKER", str(marker))
    found = extract_fixture("test_hf_albert.py")
    assert found.is_model
    assert not marker.exists()


def test_a_10_mb_file_is_read_only_to_the_limit() -> None:
    head = (LEGACY / "test_hf_bert.py").read_bytes()
    data = head + b"DATA = [\n" + b"    'padding padding padding padding',\n" * 300_000 + b"]\n"
    assert len(data) > 10 * 2**20
    start = time.perf_counter()
    found = extract("test_hf_bert.py", data)
    elapsed = time.perf_counter() - start
    assert found.is_model
    assert (found.parser, found.model_type, found.model_id) == (
        "tokens",
        "bert",
        "google-bert/bert-base-uncased",
    )
    assert found.reasons[1] == "over 1 MiB: only the start was read"
    assert elapsed < 30  # bounded: a scan of the whole file would take far longer


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"\n   \n\t\n", "empty file"),
        (b"\x00\x01\x02bert", "binary file, not Python source"),
        (bytes(range(128, 256)) * 8, "binary file, not Python source"),
    ],
)
def test_empty_and_binary_data(data: bytes, reason: str) -> None:
    found = extract("test_hf_bert.py", data)
    assert found.skip_reason == reason


def test_extraction_is_deterministic() -> None:
    assert extract_fixture("test_hf_bert.py") == extract_fixture("test_hf_bert.py")


@pytest.mark.parametrize(
    ("filename", "name", "ident"),
    [
        ("test_hf_bert.py", "bert", "bert"),
        ("test_hf_xlm-roberta.py", "xlm-roberta", "xlm_roberta"),
        ("test_hf___help.py", "__help", "help"),
        ("test_legacy.py", "legacy", "legacy"),
        ("test_hf_..py", ".", ""),
        ("test_hf_a b'c\".py", "a b'c\"", "a_b_c"),
    ],
)
def test_legacy_name_and_identifier(filename: str, name: str, ident: str) -> None:
    assert ex.legacy_name(filename) == name
    assert ex.identifier(name) == ident


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("google-bert/bert-base-uncased", True),
        ("gpt2", True),
        ("t5-small", True),
        ("{{self.model_id}}", False),
        ("bert'); __import__('os')", False),
        ("google/electra\nx", False),
        ("../../etc/passwd", False),
        ("/abs/path", False),
        ("a/b/c", False),
        ("fill-mask", False),
        ("model.py", False),
        ("", False),
    ],
)
def test_is_checkpoint_id(value: str, ok: bool) -> None:
    assert scan.is_checkpoint_id(value) is ok


@pytest.mark.parametrize(
    ("name", "model_type"),
    [
        ("XLM-RoBERTa", "xlm-roberta"),
        ("xlm_roberta", "xlm-roberta"),
        ("Wav2Vec2", "wav2vec2"),
        ("BLENDERBOT_SMALL", "blenderbot-small"),
        ("bert_base_uncased", "bert"),
        ("distilgpt2", "gpt2"),
        ("llamaguard", "llama"),
        ("llama2", "llama"),
        ("flan_t5", "t5"),
        ("codellama", "llama"),
        ("bertweet", "roberta"),
        ("barthez", "mbart"),
        ("BARTpho", "mbart"),
        ("opus-mt", "marian"),
        ("beit3", None),
        ("api_integration", None),
        ("decoder-only", None),
        ("no-such-model", None),
    ],
)
def test_model_type_from_the_file_name_is_tolerant(name: str, model_type: str | None) -> None:
    found, evidence = ex.choose_model_type(name, scan.Facts(), ex.registry_index())
    assert found == model_type
    if model_type is None:
        assert evidence == ""
    elif normalize(name) == normalize(model_type):
        assert evidence == "file name"
    elif normalize(name) in ex.registry_index().aliases:
        assert evidence == f"file name {name!r}, a {model_type} checkpoint family (alias table)"
    else:  # a guess says so
        assert evidence.startswith(f"file name {name!r}, by a ")
        assert "(a guess: check it" in evidence


def test_alias_table_is_data_checked_against_the_registry(tmp_path: Path) -> None:
    index = ex.registry_index()
    for types in index.aliases.values():
        assert all(t in index.heads for t in types)
    bad = tmp_path / "aliases.json"
    bad.write_text('{"aliases": {"bertweet": "robertaa"}, "absent": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="alias 'bertweet': no model type 'robertaa'"):
        ex.load_aliases(bad, index.by_norm)


def test_an_alias_of_several_types_takes_the_one_serving_the_task() -> None:
    index = ex.registry_index()
    speech = scan.Facts(tasks=[Found("automatic-speech-recognition", "task field", (1, 0))])
    assert ex.choose_model_type("data2vec", speech, index)[0] == "data2vec-audio"
    assert ex.choose_model_type("data2vec", scan.Facts(), index)[0] == "data2vec-text"


def test_a_stray_class_name_does_not_beat_the_files_own_name() -> None:
    facts = scan.Facts(
        registry_names=[Found("nezha", "nezha_MODELS_REGISTRY name", (1, 0))],
        classes=[Found("ASTForAudioClassification", "class name", (2, 0))],
    )
    assert ex.choose_model_type("nezha", facts, ex.registry_index()) == (None, "")


def test_model_type_evidence_order() -> None:
    facts = scan.Facts(
        types=[Found("gpt2", "model_type field", (1, 0))],
        classes=[Found("BertConfig", "class name", (2, 0))],
    )
    index = ex.registry_index()
    assert ex.choose_model_type("vit", facts, index) == ("vit", "file name")
    assert ex.choose_model_type("custom", facts, index) == ("gpt2", "model_type field")
    assert ex.choose_model_type("custom", scan.Facts(classes=facts.classes), index) == (
        "bert",
        "class name",
    )


@pytest.mark.parametrize(
    ("found", "task", "head", "reason"),
    [
        ([Found("fill-mask", "pipeline call", (1, 0))], "fill-mask", "fill-mask", "from the"),
        ([Found("ner", "task field", (1, 0))], "ner", "token-classification", "from the"),
        (
            [Found("image-classification", "pipeline call", (1, 0))],
            "fill-mask",
            "fill-mask",
            "does not fit bert",
        ),
        ([], "fill-mask", "fill-mask", "no usable task found"),
        ([Found("{task}", "task field", (1, 0))], "fill-mask", "fill-mask", "no usable task"),
    ],
)
def test_choose_task(found: list[Found], task: str, head: str, reason: str) -> None:
    reasons: list[str] = []
    heads = ex.registry_index().heads["bert"]
    assert ex.choose_task("bert", heads, found, reasons) == (task, head)
    assert reason in reasons[-1]


@pytest.mark.parametrize(
    ("category", "task"), [("text", "feature-extraction"), ("vision", "image-feature-extraction")]
)
def test_base_only_models_extract_features_of_their_modality(category: str, task: str) -> None:
    assert ex.choose_task("x", ("base",), [], [], category=category) == (task, "base")


def test_task_ranks_prefer_the_pipeline_call() -> None:
    found = [
        Found("text-classification", "recommended_tasks", (1, 0)),
        Found("fill-mask", "pipeline call", (9, 0)),
    ]
    heads = ex.registry_index().heads["bert"]
    assert ex.choose_task("bert", heads, found, []) == ("fill-mask", "fill-mask")


def test_translation_tasks_fold() -> None:
    assert ex.task_name("translation_en_to_fr") == "translation"
    assert ex.task_name(" Text_Generation ") == "text-generation"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("pixel_values = processor(images=image)", "vision"),
        ("audio = load('a.wav'); sampling_rate = 16000", "audio"),
        ("an image-text model", "multimodal"),
        ("tokenizer('hello')", "text"),
    ],
)
def test_category_from_cues(text: str, category: str) -> None:
    assert ex.category_from_cues(text) == category


def test_tokens_survive_unclosed_strings() -> None:
    tokens = scan.regex_tokens('x = "unclosed\nMODEL_ID = "gpt2"\n"""never closed')
    strings = [scan.string_value(t) for t in tokens if t[scan.KIND] == "string"]
    assert "gpt2" in strings


def test_a_converted_module_is_never_an_input() -> None:
    golden = LEGACY.parent / "golden" / "test_hf_bert_improved.py"
    found = extract("test_hf_bert_improved.py", golden.read_bytes())
    assert found.skip_reason == "written by modelgate convert"


@pytest.mark.parametrize("seed", range(20))
def test_mangled_files_never_break_the_converter(seed: int) -> None:
    """Legacy files broken further at random (seeded): lines dropped, doubled, dedented, cut,
    stray quotes and brackets. Extraction never raises and what it converts generates."""
    rng = random.Random(seed)
    sources = sorted(p for p in LEGACY.rglob("test_hf_*.py") if p.stat().st_size < 10_000)
    for path in sources:
        lines = path.read_bytes().splitlines(keepends=True)
        for _ in range(rng.randint(1, 8)):
            if not lines:
                break
            i = rng.randrange(len(lines))
            edit = rng.choice(["drop", "double", "dedent", "cut", "junk"])
            if edit == "drop":
                del lines[i]
            elif edit == "double":
                lines.insert(i, lines[i])
            elif edit == "dedent":
                lines[i] = lines[i].lstrip()
            elif edit == "cut":
                lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
            else:
                lines.insert(i, rng.choice([b'"', b"'''", b"(", b"}", b"\\", b"{{x}}"]))
        found = extract(path.name, b"".join(lines))
        if found.is_model:
            generate(found)  # raises GenerationError were the module not valid


@pytest.mark.parametrize(
    "encode",
    [
        lambda data: data.replace(b"\n", b"\r\n"),
        lambda data: b"\xef\xbb\xbf" + data,
        lambda data: b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + data,
    ],
    ids=["crlf", "bom", "latin-1"],
)
def test_line_endings_and_encodings(encode: Callable[[bytes], bytes]) -> None:
    data = encode((LEGACY / "test_hf_bert.py").read_bytes())
    found = extract("test_hf_bert.py", data)
    assert (found.model_type, found.model_id) == ("bert", "google-bert/bert-base-uncased")
