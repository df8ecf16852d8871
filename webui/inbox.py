from flask import Blueprint
bp = Blueprint("inbox", __name__)
def init_app(app):
    pass
