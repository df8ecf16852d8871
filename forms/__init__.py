"""Form definitions: data files (fields, Russian labels, types, rules) turned into WTForms classes at run time.

`forms/definitions/<key>.json` holds one form. The same definition renders the task page, checks what a browser
posts, and checks JSON sent through the CLI or the API, so the rules live in one place.
"""
from .binding import (FormValidationError, bind_initial, bind_post, field_errors, form_data, initial_data, lookup,
                      uploads, validate_json)
from .definition import FieldDef, FormDefinition, FormDefinitionError
from .reading import parse
from .registry import load, load_raw, read_json, registry_keys, use_directory, valid_key

__all__ = ["FieldDef", "FormDefinition", "FormDefinitionError", "FormValidationError", "bind_initial", "bind_post",
           "field_errors", "form_data", "initial_data", "load", "load_raw", "lookup", "parse", "read_json",
           "registry_keys", "uploads", "use_directory", "valid_key", "validate_json"]
