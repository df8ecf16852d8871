"""/api/v1/definitions and /api/v1/versions: the deployed processes, their versions, a version's files, and
deploying a new version from uploaded BPMN (issue 14 §4, §8), as `flask gia deploy` does.

Reading is the department's (its staff and administrators), as the versions on the activity page are; deploying
is a designer's or an administrator's (engine.access.may_design, never as a deputy). The uploaded files go
through engine.deploy / engine.validate, which parse them exactly as the CLI's do: an XXE, an entity bomb, junk or
a sandbox escape is refused here with the same problems, and nothing is stored."""
from pathlib import PurePosixPath

import marshmallow as ma
from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

import engine
import forms
from engine.access import is_admin, is_city_staff, may_design, memberships, refuse
from . import schemas
from .auth import api_user
from .errors import ApiError, error_response

MAX_COMMENT = engine.MAX_DEPLOY_COMMENT

blp = Blueprint("api-definitions", __name__, url_prefix="/api/v1",
                description="Process definitions: the deployed processes, their versions and files; checking and "
                            "deploying BPMN.")
_BPMN_ID = {"in": "path", "name": "bpmn_id", "required": True, "schema": {"type": "string"},
            "description": "The process's BPMN id."}
_UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                            "description": "One or more .bpmn files, deployed together (call activities resolve "
                                           "across them), and the form definitions their tasks use (KEY.json: "
                                           "the form KEY, used by this version before the catalogue's)."},
                   "comment": {"type": "string", "maxLength": MAX_COMMENT,
                               "description": "What changed in this version (deploy only)."}}}}}}
MAX_FILES = 50  # a bundle is a process and the few it calls; more parts are a mistake or an attack


class Definition(ma.Schema):
    bpmn_id = ma.fields.String(required=True)
    name = ma.fields.String(allow_none=True)
    kind = ma.fields.String(required=True, metadata={"description": "process or collaboration"})
    latest_version = ma.fields.Integer(required=True)
    versions = ma.fields.Integer(required=True, metadata={"description": "How many versions hold it."})


class Deployer(ma.Schema):
    login = ma.fields.String(required=True)
    full_name = ma.fields.String(allow_none=True)


class Version(ma.Schema):
    version = ma.fields.Integer(required=True)
    deployed_at = ma.fields.DateTime(required=True)
    deployed_by = ma.fields.Nested(Deployer, allow_none=True)
    comment = ma.fields.String(allow_none=True)
    files = ma.fields.List(ma.fields.String(), required=True)
    running = ma.fields.Integer(required=True, metadata={"description": "Its instances not completed or "
                                                                        "cancelled."})
    instances = ma.fields.Integer(required=True, metadata={"description": "All its instances."})


class FoundProblem(ma.Schema):
    text = ma.fields.String(required=True, metadata={"description": "As in `problems`: where, then what."})
    message = ma.fields.String(required=True, metadata={"description": "What is wrong, without the place."})
    file = ma.fields.String(allow_none=True, required=True)
    element = ma.fields.String(allow_none=True, required=True, metadata={"description": "The element's id."})
    element_type = ma.fields.String(allow_none=True, required=True,
                                    metadata={"description": "Its BPMN type, e.g. scriptTask, sequenceFlow."})
    line = ma.fields.Integer(allow_none=True, required=True, metadata={"description": "Line of the file."})
    code_line = ma.fields.Integer(allow_none=True, required=True,
                                  metadata={"description": "Line inside the element's script or expression."})


class ValidationAnswer(ma.Schema):
    valid = ma.fields.Boolean(required=True)
    problems = ma.fields.List(ma.fields.String(), required=True,
                              metadata={"description": "Each problem with its file, element and line, in the "
                                                       "language of the request."})
    found = ma.fields.List(ma.fields.Nested(FoundProblem), required=True,
                           metadata={"description": "The same problems, each with its place as fields."})
    processes = ma.fields.List(ma.fields.String(), required=True)
    collaborations = ma.fields.List(ma.fields.String(), required=True)


class DeployAnswer(ma.Schema):
    version = ma.fields.Integer(required=True)
    processes = ma.fields.List(ma.fields.String(), required=True)
    collaborations = ma.fields.List(ma.fields.String(), required=True)
    reused = ma.fields.Boolean(required=True, metadata={"description": "The same files were the latest version "
                                                                      "already: nothing new was stored."})


def _reader():
    """Department staff and administrators read the definitions; anyone else is refused (and audited)."""
    user = api_user()
    held = memberships(user)
    if not (is_city_staff(user, held) or is_admin(user, held)):
        refuse(user, "read process definitions", message=_("Process versions are the department's to see."))
    return user


@blp.route("/definitions")
@blp.response(200, Definition(many=True))
@blp.alt_response(403, schema=schemas.Error, description="Only the department's staff see the definitions.")
def list_definitions():
    """The deployed processes and collaborations, each with its latest version and how many versions hold it"""
    _reader()
    return engine.definitions()


@blp.route("/definitions/<bpmn_id>/versions", parameters=[_BPMN_ID])
@blp.response(200, Version(many=True))
@blp.alt_response(403, schema=schemas.Error, description="Only the department's staff see the versions.")
@blp.alt_response(404, schema=schemas.Error, description="No version holds this id.")
def list_versions(bpmn_id):
    """The versions of a process, newest first: who deployed each, when, the comment, its instances"""
    _reader()
    return engine.process_versions(bpmn_id)


@blp.route("/versions/<int:version>/files/<path:filename>", parameters=[
    {"in": "path", "name": "version", "required": True, "schema": {"type": "integer", "minimum": 0}},
    {"in": "path", "name": "filename", "required": True, "schema": {"type": "string"}}])
@blp.response(200, description="The file as it was deployed: BPMN XML, or a form's JSON (forms/KEY.json).",
              content_type="application/xml")
@blp.alt_response(403, schema=schemas.Error, description="Only the department's staff read the files.")
@blp.alt_response(404, schema=schemas.Error, description="The version has no such file.")
def version_file(version, filename):
    """One file of a version, as deployed"""
    _reader()
    json_file = filename.lower().endswith(".json")
    return Response(engine.version_file(version, filename),
                    mimetype="application/json" if json_file else "application/xml")


@blp.route("/definitions/validate", methods=["POST"])
@blp.doc(requestBody=_UPLOAD)
@blp.response(200, ValidationAnswer)
@blp.alt_response(403, schema=schemas.Error, description="Only those who may deploy check files here.")
@blp.alt_response(413, schema=schemas.Error, description="The request is larger than the server accepts.")
@blp.alt_response(422, schema=schemas.Error, description="No usable file part (name or count).")
def validate():
    """Check BPMN files as a deployment would, storing nothing

    The answer lists every problem a deployment would be refused for (the same texts), each also in `found`
    with its file, element id and type, line and line of code; or the processes it would deploy.
    """
    _designer("validate process definitions")
    checked = engine.validate(_uploaded())
    return {"valid": checked.valid, "problems": checked.texts(), "found": [p.as_dict() for p in checked.problems],
            "processes": checked.processes, "collaborations": checked.collaborations}


@blp.route("/definitions", methods=["POST"])
@blp.doc(requestBody=_UPLOAD)
@blp.response(201, DeployAnswer)
@blp.alt_response(200, schema=DeployAnswer, description="The same files are the latest version already.")
@blp.alt_response(403, schema=schemas.Error, description="Only designers and administrators deploy.")
@blp.alt_response(413, schema=schemas.Error, description="The request is larger than the server accepts.")
@blp.alt_response(422, schema=schemas.Error, description="The files were refused: `fields.file` lists each "
                                                         "problem; nothing was stored.")
def deploy():
    """Deploy BPMN files together as one new version, with a comment

    As `flask gia deploy --comment`: every file parsed and checked, scripts compiled in the sandbox; refused
    files store nothing. Identical files deployed again answer 200 with the existing version.
    """
    user = _designer("deploy process definitions")
    files = _uploaded()
    comment = request.form.get("comment")
    if comment is not None and not forms.fields.storable(comment):
        raise ApiError(422, "invalid", _("The request is not valid; see the messages of the fields."),
                       {"comment": [str(forms.fields.UNSTORABLE)]})
    try:
        result = engine.deploy(files, actor=user.login, comment=comment)
    except engine.InvalidDefinition as exc:
        return error_response(422, "invalid_definition", exc.message, {"file": exc.problems()})
    return ({"version": result.version, "processes": result.process_ids, "collaborations": result.collaborations,
             "reused": result.reused}, 200 if result.reused else 201)


def _designer(what: str):
    user = api_user()
    if not may_design(user):
        refuse(user, what, message=_("Only process designers and administrators may deploy processes."))
    return user


def _uploaded() -> list[tuple[str, bytes]]:
    """The `file` parts as (name, bytes). Each is read to one byte past MAX_BPMN_BYTES at most: a larger one is
    refused by the engine's own size check (the same problem text as the CLI's), without holding all of it."""
    parts = request.files.getlist("file")
    if len(parts) > MAX_FILES:
        raise _invalid(_("At most %(n)s files are deployed together.", n=MAX_FILES))
    limit = current_app.config["MAX_BPMN_BYTES"]
    files, names = [], set()
    for part in parts:
        name = PurePosixPath((part.filename or "").replace("\\", "/")).name.strip()
        if not name or len(name) > 255 or not forms.fields.storable(name) or any(ord(c) < 32 for c in name):
            raise _invalid(_("Each file needs a name (up to 255 characters, no control characters)."))
        if name in names:
            raise _invalid(_("Two files are named %(name)s.", name=name))
        names.add(name)
        files.append((engine.deployed_name(name), part.stream.read(limit + 1)))
    return files


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalid", _("The request is not valid; see the messages of the fields."),
                    {"file": [message]})
