from flask import Blueprint
bp = Blueprint("tasks", __name__)
def init_app(app):
    pass
