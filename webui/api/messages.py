"""/api/v1/messages: deliver a message from outside, with the correlation values it carries, as `flask gia
message NAME --correlation KEY=VALUE --data …` does. Only someone who holds a role in each process it would reach
may send it (an administrator: any)."""
import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import Blueprint

import engine
import forms
from . import schemas
from .auth import api_user
from .errors import ApiError

blp = Blueprint("api-messages", __name__, url_prefix="/api/v1/messages",
                description="Messages from outside to the process instances waiting for them.")


class MessageBody(schemas.Schema):
    name = schemas.Text(required=True, validate=schemas.MaxLength(255),
                        metadata={"description": "The message's name (bpmn:message name)."})
    payload = ma.fields.Raw(load_default=None, allow_none=True,
                            metadata={"description": "Any JSON: what the receiving catch takes as its data."})
    correlations = ma.fields.Dict(keys=schemas.Text(validate=schemas.MaxLength(255)),
                                  values=schemas.Text(validate=schemas.MaxLength(255)), load_default=dict,
                                  metadata={"description": "The correlation values the message carries, by "
                                                           "correlation property (as `waiting_for` of an instance "
                                                           "lists them)."})


class MessageAnswer(ma.Schema):
    delivered_to = ma.fields.List(ma.fields.Integer(), required=True,
                                  metadata={"description": "The instances it reached (or started)."})


@blp.route("", methods=["POST"])
@blp.arguments(MessageBody, example={"name": "order_paid", "payload": {"amount": 5},
                                     "correlations": {"order_id": "2"}})
@blp.response(200, MessageAnswer)
@blp.alt_response(400, schema=schemas.Error, description="Nothing waits for it: the message says which correlation "
                                                         "values it carried and which are awaited.")
@blp.alt_response(403, schema=schemas.Error, description="You hold no role in a process it would reach.")
@blp.alt_response(409, schema=schemas.Error, description="A receiving instance failed to take it.")
def send(body):
    """Deliver a message

    It reaches the instances waiting for it whose awaited correlation values it carries, and those awaiting none;
    when none takes it, it starts the latest process whose start event awaits it.
    """
    _refuse_unstorable(body["payload"])
    user = api_user()
    delivered = engine.deliver("message", body["name"], body["payload"], correlations=body["correlations"],
                               actor=user.login, user=user)
    return {"delivered_to": delivered}


def _refuse_unstorable(value) -> None:
    """Text the database cannot keep (forms.fields.storable) is refused before any instance takes it."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _refuse_unstorable(key)
            _refuse_unstorable(inner)
    elif isinstance(value, list):
        for inner in value:
            _refuse_unstorable(inner)
    elif isinstance(value, str) and not forms.fields.storable(value):
        raise ApiError(422, "invalid", _("The data is not valid; see the messages of the fields."),
                       {"payload": [str(forms.fields.UNSTORABLE)]})
