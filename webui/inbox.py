"""The inbox: the tasks offered to me, nearest deadline first, and the notifications addressed to my roles."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

import engine
from engine import clock
from engine.service.views import notifications

bp = Blueprint("inbox", __name__)


@bp.route("/")
@login_required
def index():
    tasks = engine.list_tasks(user=current_user)
    far = clock.now().replace(year=9999)
    tasks.sort(key=lambda t: (t.due_at or far, t.instance_id, t.seq))
    return render_template("inbox.html", tasks=tasks, notes=notifications(current_user), now=clock.now())
