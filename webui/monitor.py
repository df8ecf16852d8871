from flask import Blueprint
bp = Blueprint("monitor", __name__)
def init_app(app):
    pass
