"""What the modeller offers a designer to choose from instead of typing (issue 14 §1): the forms of forms/ and the
roles of processes/roles.json, each with the title people know it by."""
import forms

from .. import roles


def design_catalogue() -> dict:
    """{forms: [{key, title}], roles: [{code, title}]}; a form whose file cannot be read is offered by its key, so
    that the list still opens (the deploy check names the broken file)."""
    offered = []
    for key in forms.registry_keys():
        try:
            title = forms.load(key).title
        except forms.FormDefinitionError:
            title = ""
        offered.append({"key": key, "title": title or key})
    return {"forms": offered,
            "roles": [{"code": role.code, "title": role.title} for role in roles.catalogue().values()]}
