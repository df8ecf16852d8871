"""Dropping a workflow's finished history, so that its state does not grow with the rounds of a loop or with the
subprocesses it has finished.

SpiffWorkflow 3.2.0 keeps every task it ever ran: each step restores, walks and saves the whole tree, so a loop
slows down round after round (a 700-round loop with a user task ran its last 100 rounds 18 times slower than its
first 100) and an endless one is stopped by the time limit rather than by the step limit. Two cuts remove what
nothing will read again; both touch finished tasks only:

1. the workflows of finished subprocesses (`BpmnWorkflow.subprocesses`) are deleted;
2. in each task tree (the instance's and each running subprocess's), the finished tasks between the start event and
   T are removed, T being the deepest completed task that everything still to be kept descends from; T becomes a
   child of the start event and keeps its data (the serializer stores each task's data as a delta against its
   parent's, computed when saved).

What has to be kept, because the library looks back up the tree for it (read from its 3.2.0 source):
- every unfinished task, and the workflow's `last_task` (a stalled instance shows its data);
- the split a structured join finds among its ancestors (`find_ancestor`: boundary events, several start events);
- for a parallel or inclusive gateway and the process end (unstructured joins), the finished instances of the same
  join elsewhere in the tree: a join counts its inputs by them and merges their data when it fires. Only those of
  the current round count: the ones that branched off below the join's previous firing on the waiting instance's
  path; older ones would only make the library count an input of an earlier round again;
- the start events (the unit an instance belongs to can be named by its start event).
The root's other children (a triggered event subprocess, say) are cut the same way, each on its own, and removed
when nothing below them is kept. An ad hoc subprocess is left alone: it reads its branches from the root's
children by their specs.

A branch that has reached an end event while others go on (a non-interrupting reminder, say) leaves the process end
waiting on it (`_EndJoin`, WAITING until every token has arrived) for the rest of the instance. Left where it is,
that waiting task would keep the lowest common ancestor of what is kept at the boundary, and nothing after the
boundary would ever be cut. So the end event and its waiting end join are moved first to the root, as a child of its
own: the library finds them there as before (the end join looks for its other instances across the whole tree, and
merges their parents' data, the end events', when it fires), and the branch they leave behind is finished.

A human task can be cut in the very step that completes it: the state it was cut in is kept on the workflow object
(`cut_human_tasks`) for the save to write to its row. Their number is counted in the root's internal data, so that
the engine order of the human tasks left (human_task.seq) goes on from where it was instead of starting at 0.
"""
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

PRUNED_HUMAN_TASKS = "gia_pruned_human_tasks"  # root.internal_data: how many human tasks were cut so far
_CUT = "gia_cut_human_tasks"  # attribute of the workflow object (not serialized): {task id: state when cut}

_OPEN = TaskState.NOT_FINISHED_MASK


def seq_base(workflow) -> int:
    """How many human tasks were cut from `workflow`: the engine order of the ones left starts there."""
    return workflow.task_tree.internal_data.get(PRUNED_HUMAN_TASKS, 0)


def cut_human_tasks(workflow) -> dict:
    """{task id (str): TaskState} of the human tasks cut from this workflow object since it was restored or
    created: their rows are brought to that state by the save (they are no longer in the tree to be read)."""
    return getattr(workflow, _CUT, {})


def prune(workflow) -> int:
    """Cut the finished history of `workflow` (a BpmnWorkflow) and its subprocesses; returns how many tasks went."""
    removed = _drop_finished_subprocesses(workflow)
    removed += cut(workflow)
    for sub in list(workflow.subprocesses.values()):
        removed += cut(sub)
    return len(removed)


def cut(wf) -> list:
    """Cut the finished history of one task tree (the instance's or a subprocess's); returns the tasks removed."""
    top = wf.top_workflow
    if hasattr(wf.spec, "conditional_paths"):  # an ad hoc subprocess: its paths are found by the root's children
        return []
    root = wf.task_tree
    _detach_ended_branches(wf, root)
    anchors = [t for t in wf.tasks.values() if t.state & _OPEN]
    if wf.last_task is not None and wf.last_task.id in wf.tasks:
        anchors.append(wf.last_task)
    # A finished task whose subprocess is not deleted yet (this tree is a subprocess's, cut during a call): the
    # subprocess finds its parent workflow through it.
    anchors += [wf.tasks[i] for i in top.subprocesses if i in wf.tasks and not wf.tasks[i].state & _OPEN]
    anchors += _join_anchors(wf, [t for t in anchors if t.state & _OPEN])
    groups = _by_root_child(root, anchors)
    removed = []
    for child in list(root.children):
        if child is None:
            continue
        kept = groups.get(child.id)
        if kept is None:  # finished, and nothing below it is looked for any more
            removed += _remove(wf, child)
            root._children.remove(child.id)
        else:
            removed += _cut_group(wf, root, child, kept)
    if removed:
        _forget(top, removed)
    return removed


def _detach_ended_branches(wf, root) -> None:
    """Move each end event whose token waits in the process end (see the module's docstring) to the root, first
    among its children (the data of the tasks where the tokens are is read in tree order, later ones winning: the
    end of an old branch must not win over the live ones)."""
    for task in [t for t in wf.tasks.values() if t.state == TaskState.WAITING and isinstance(t.task_spec, _EndJoin)]:
        ended = task.parent
        if ended is None or ended is root or ended.parent is root or ended.state != TaskState.COMPLETED:
            continue
        ended.parent._children.remove(ended.id)
        ended._parent = root.id
        root._children.insert(0, ended.id)


def _cut_group(wf, root, child, anchors) -> list:
    path = _common_path(child, anchors)  # child ... lowest common ancestor of the anchors
    deepest = next((i for i in range(len(path) - 1, -1, -1) if path[i].state == TaskState.COMPLETED), None)
    if deepest is None:
        return []
    # Keep the way down to the start event (the unit of an instance is read from it); cut below it.
    base = next((i for i, t in enumerate(path[:deepest]) if isinstance(t.task_spec, StartEvent)), None)
    holder, first = (path[base], base + 1) if base is not None else (root, 0)
    if first >= deepest:
        return []
    keep, cut_from = path[deepest], path[first]
    removed = _remove(wf, cut_from, _subtree_ids(keep))
    holder._children = [keep.id if c == cut_from.id else c for c in holder._children]
    keep._parent = holder.id
    return removed


def _remove(wf, task, kept_ids=frozenset()) -> list:
    """Remove `task` and its descendants but those in `kept_ids` from `wf.tasks`."""
    removed = [t for t in _subtree(task) if t.id not in kept_ids]
    for task in removed:
        del wf.tasks[task.id]
    return removed


def _common_path(top, anchors) -> list:
    """The path from `top` down to the lowest common ancestor of `anchors` (all below or at `top`)."""
    path = _path_down(top, anchors[0])
    index = {t.id: i for i, t in enumerate(path)}
    limit = len(path)
    for anchor in anchors[1:]:
        task = anchor
        while task.id not in index:
            task = task.parent
        limit = min(limit, index[task.id] + 1)
    return path[:limit]


def _path_down(top, task) -> list:
    path = [task]
    while task is not top:
        task = task.parent
        path.append(task)
    path.reverse()
    return path


def _by_root_child(root, anchors) -> dict:
    """{root child id: the anchors below it}; a task's root child is found once for each task on its way up."""
    top_of = {}
    groups = {}
    for anchor in anchors:
        climbed, task = [], anchor
        while task.id not in top_of and task.parent is not None and task.parent is not root:
            climbed.append(task)
            task = task.parent
        if task is root:  # the root itself is never cut
            continue
        group = top_of.get(task.id, task.id)
        top_of[task.id] = group
        for seen in climbed:
            top_of[seen.id] = group
        groups.setdefault(group, []).append(anchor)
    return groups


def _join_anchors(wf, alive) -> list:
    """The tasks the joins among `alive` will look for (see the module's docstring)."""
    found, instances = [], None
    for join in alive:
        spec = join.task_spec
        split = getattr(spec, "split_task", None)
        if split:
            task = join.parent
            while task is not None and task.task_spec.name != split:
                task = task.parent
            if task is not None:
                found.append(task)
        if isinstance(spec, UnstructuredJoin):
            if instances is None:
                instances = {}
                for task in wf.tasks.values():
                    if isinstance(task.task_spec, UnstructuredJoin):
                        instances.setdefault(task.task_spec, []).append(task)
            found += _current_round(join, instances.get(spec, []))
    return found


def _current_round(join, instances) -> list:
    """The finished instances of `join`'s spec that belong to its round: not on its own path, branched off below
    the join's previous firing on that path (all of them when it has not fired on that path yet)."""
    depth_of, task, depth = {}, join, 0
    while task is not None:
        depth_of[task.id] = depth
        task = task.parent
        depth -= 1
    fired = next((depth_of[t.id] for t in _ancestors(join)
                  if t.task_spec is join.task_spec and t.state == TaskState.COMPLETED), None)
    current = []
    for other in instances:
        if other is join or other.id in depth_of or not other.state & TaskState.FINISHED_MASK:
            continue
        branch = other
        while branch.id not in depth_of:
            branch = branch.parent
        if fired is None or depth_of[branch.id] >= fired:
            current.append(other)
    return current


def _ancestors(task):
    task = task.parent
    while task is not None:
        yield task
        task = task.parent


def _subtree(task) -> list:
    found, stack = [], [task]
    while stack:
        task = stack.pop()
        found.append(task)
        stack.extend(c for c in task.children if c is not None)
    return found


def _subtree_ids(task) -> set:
    return {t.id for t in _subtree(task)}


def _drop_finished_subprocesses(workflow) -> list:
    removed = []
    for task_id in list(workflow.subprocesses):
        sub = workflow.subprocesses.get(task_id)
        if sub is None:  # deleted with the subprocess it was nested in
            continue
        task = workflow.get_task_from_id(task_id) if _holds(workflow, task_id) else None
        if task is None or not task.state & TaskState.FINISHED_MASK:
            continue
        removed += [t for s in _nested(workflow, sub) for t in s.tasks.values()]
        workflow.delete_subprocess(task)
    if removed:
        _forget(workflow, removed)
    return removed


def _holds(workflow, task_id) -> bool:
    return task_id in workflow.tasks or any(task_id in s.tasks for s in workflow.subprocesses.values())


def _nested(workflow, sub) -> list:
    found, queue = [], [sub]
    while queue:
        current = queue.pop()
        found.append(current)
        queue += [s for s in workflow.subprocesses.values() if s.parent_task_id in current.tasks]
    return found


def _forget(top, removed) -> None:
    """Note the human tasks removed (see cut_human_tasks, seq_base) and drop the tasks from the event manager."""
    manual = [t for t in removed if t.task_spec.manual and t.state != TaskState.MAYBE]  # MAYBE: never shown
    if manual:
        root = top.task_tree
        root.internal_data[PRUNED_HUMAN_TASKS] = root.internal_data.get(PRUNED_HUMAN_TASKS, 0) + len(manual)
        if not hasattr(top, _CUT):
            setattr(top, _CUT, {})
        getattr(top, _CUT).update((str(t.id), t.state) for t in manual)
    for task in removed:
        top.event_manager.remove_task(task)
