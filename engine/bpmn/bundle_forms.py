"""Forms deployed with a process (issue 14 §6): a version's files may hold `forms/<key>.json` beside its BPMN. The
tasks of that version use those forms before the catalogue's (forms/definitions), so a form changed in the
designer reaches only the instances of the version it was deployed with; running ones keep theirs."""
from flask_babel import lazy_gettext as _l

import forms
from .problems import Problem

FOLDER = "forms/"
SUFFIX = ".json"


def form_file(key: str) -> str:
    """The name of form `key`'s file in a deployment."""
    return f"{FOLDER}{key}{SUFFIX}"


def deployed_name(filename: str) -> str:
    """The name an uploaded file is deployed under: KEY.json is the form KEY (form_file), the rest keep theirs."""
    stem, dot, suffix = filename.rpartition(".")
    return form_file(stem) if dot and suffix.lower() == "json" else filename


def form_file_parts(name: str) -> str | None:
    """The form key of a deployment file named as form_file names it; None for any other file (BPMN)."""
    if name.startswith(FOLDER) and name.endswith(SUFFIX):
        return name[len(FOLDER):-len(SUFFIX)]
    return None


def read_forms(files: list[tuple[str, bytes]], max_bytes: int) -> tuple[dict, list[Problem]]:
    """The forms among `files` ({key: FormDefinition}) and the problems of those that are not valid forms."""
    found, problems = {}, []
    for name, content in files:
        key = form_file_parts(name)
        if key is None:
            continue
        if not forms.valid_key(key):
            problems.append(Problem(_l("the form's file name must be forms/KEY.json, the key of Latin letters, "
                                       "digits and _"), name))
        elif len(content) > max_bytes:
            problems.append(Problem(_l("the file is larger than %(limit)s bytes", limit=max_bytes), name))
        else:
            try:
                definition = forms.parse(forms.read_json(content, name), name)
            except forms.FormDefinitionError as exc:
                problems.append(Problem(exc.args[0]))
                continue
            if definition.key != key:
                problems.append(Problem(_l("the form's key «%(key)s» differs from its file's name",
                                           key=definition.key), name))
            else:
                found[key] = definition
    return found, problems


def form_in(bundle_forms: dict, key: str):
    """Form `key` as a version has it: its own when it was deployed with one, else the catalogue's (which raises
    forms.FormDefinitionError when there is none)."""
    found = bundle_forms.get(key)
    return found if found is not None else forms.load(key)
