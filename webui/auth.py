from flask import Blueprint
bp = Blueprint("auth", __name__)
def init_app(app):
    pass
