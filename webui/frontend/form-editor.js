// Entry for esbuild (make vendor → static/vendor/form-editor.js): the process designer's form editor
// (templates/designer_form_editor.html, webui/designer_form_editor.py). The definition is edited in place, as the
// JSON object it is, so every key the editor does not show (required_if, rows_from, templates, default…) is kept
// untouched. The preview is the server's: the task page's own rendering of the definition as it is now, asked for
// a moment after each change; this page never renders a form itself. Saving posts the revision the page opened
// (a stale one is refused, 409, never overwritten).
const PREVIEW_DELAY_MS = 400;
const AUTOSAVE_MS = 60 * 1000;
// The keys the editor shows for some types only: dropped when the type changes to one without them, and given
// back if the designer switches back before saving.
const TYPED_KEYS = { min: ["integer", "decimal"], max: ["integer", "decimal"], min_length: ["string", "text"],
                     max_length: ["string", "text"], choices: ["choice", "multichoice"], accept: ["file"],
                     fields: ["group", "rows"] };
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

function start() {
  const dataNode = document.getElementById("form-editor-data");
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const texts = data.messages;
  const root = document.getElementById("form-editor-root");
  const preview = document.getElementById("form-editor-preview");
  const status = document.getElementById("form-editor-status");
  const problem = document.getElementById("form-editor-error");
  const jsonText = document.getElementById("form-editor-json-text");
  let definition = normalised(data.definition);
  let revision = data.revision;
  let dirty = false;
  const stashed = new WeakMap();

  function normalised(value) {
    const form = value && typeof value === "object" && !Array.isArray(value) ? value : {};
    if (!Array.isArray(form.fields)) form.fields = [];
    return form;
  }

  function complain(text) { problem.textContent = text; problem.hidden = !text; }

  function changed() {
    dirty = true;
    status.textContent = texts.unsaved;
    if (document.activeElement !== jsonText) jsonText.value = JSON.stringify(definition, null, 2);
    schedulePreview();
  }

  // A text, number or list input bound to `holder[key]`: emptied, the key goes (so that it is not written as "").
  function bind(input, holder, key) {
    if (input.type === "checkbox") {
      input.checked = Boolean(holder[key]);
      input.addEventListener("change", () => {
        if (input.checked) holder[key] = true; else delete holder[key];
        changed();
      });
      return;
    }
    const value = holder[key];
    const listed = "list" in input.dataset;
    input.value = value === undefined || value === null ? "" : listed ? [].concat(value).join(", ") : String(value);
    input.addEventListener("input", () => {
      const text = input.value.trim();
      if (key === "name") holder[key] = text;
      else if (!text) delete holder[key];
      else if ("number" in input.dataset) { if (Number.isFinite(Number(text))) holder[key] = Number(text); }
      else if (listed) holder[key] = text.split(",").map((part) => part.trim().replace(/^\./, "")).filter(Boolean);
      else holder[key] = input.value;
      changed();
    });
  }

  function changeType(field, type) {
    const kept = stashed.get(field) || {};
    for (const [key, types] of Object.entries(TYPED_KEYS)) {
      if (!types.includes(type) && key in field) { kept[key] = field[key]; delete field[key]; }
      if (types.includes(type) && !(key in field) && key in kept) { field[key] = kept[key]; delete kept[key]; }
    }
    stashed.set(field, kept);
    field.type = type;
    if (["choice", "multichoice"].includes(type) && !Array.isArray(field.choices)) field.choices = [["", ""]];
    if (["group", "rows"].includes(type) && !field.fields) field.fields = [];
  }

  function clone(id) { return document.getElementById(id).content.firstElementChild.cloneNode(true); }

  // Re-drawn whole after a change of structure (add, move, remove, type): `focus` picks what gets the focus back.
  function render(focus, opening = false) {
    document.querySelectorAll(".form-editor-head [data-key]").forEach((input) => {
      const fresh = input.cloneNode(true);  // drops the listeners bound to the previous definition
      input.replaceWith(fresh);
      bind(fresh, definition, fresh.dataset.key);
    });
    root.replaceChildren(fieldList(definition.fields, ""));
    if (opening) { jsonText.value = JSON.stringify(definition, null, 2); schedulePreview(); } else changed();
    const target = focus && root.querySelector(focus);
    if (target && !target.disabled) target.focus();
  }

  function fieldList(fields, path) {
    const list = document.createElement("div");
    fields.forEach((field, index) => {
      list.append(fieldEditor(field, fields, index, path ? `${path}.${index}` : `${index}`));
    });
    const add = clone("form-editor-add");
    const empty = add.querySelector("[data-role=empty]");
    empty.hidden = fields.length > 0;
    if (path) empty.textContent = texts.no_nested;
    add.querySelector("[data-action=add-field]").addEventListener("click", () => {
      fields.push({ name: freeName(fields), type: "string" });
      render(`[data-path="${path ? `${path}.` : ""}${fields.length - 1}"] [data-key=label]`);
    });
    list.append(add);
    return list;
  }

  function freeName(fields) {
    const taken = new Set(fields.map((field) => field.name));
    let n = fields.length + 1;
    while (taken.has(`field_${n}`)) n += 1;
    return `field_${n}`;
  }

  function fieldEditor(field, siblings, index, path) {
    const node = clone("form-editor-field");
    node.dataset.path = path;
    const title = node.querySelector("[data-role=title]");
    const number = path.split(".").map((n) => Number(n) + 1).join(".");
    const retitle = () => { title.textContent = `${number}. ${field.label || field.name || ""}`; };
    retitle();
    const select = node.querySelector("select[data-key=type]");
    // a label wrapped round a select would be named by all its options: this one is linked by id instead
    select.id = `form-editor-type-${path.replaceAll(".", "-")}`;
    select.previousElementSibling.htmlFor = select.id;
    const types = data.types.some((t) => t.value === field.type) ? data.types
      : [...data.types, { value: field.type, label: String(field.type) }];
    for (const type of types) select.append(new Option(type.label, type.value, false, type.value === field.type));
    select.addEventListener("change", () => {
      changeType(field, select.value);
      render(`[data-path="${path}"] select[data-key=type]`);
    });
    node.querySelectorAll("input[data-key]").forEach((input) => {
      bind(input, field, input.dataset.key);
      if (["name", "label"].includes(input.dataset.key)) input.addEventListener("input", retitle);
    });
    const name = node.querySelector("input[data-key=name]");
    name.addEventListener("input", () => {
      name.setAttribute("aria-invalid", String(!IDENTIFIER.test(name.value.trim())));
    });
    node.querySelectorAll("[data-types]").forEach((part) => {
      part.hidden = !part.dataset.types.split(" ").includes(field.type);
    });
    choicesEditor(node, field, path);
    const nested = node.querySelector("[data-role=fields]");
    if (typeof field.fields === "string") {
      nested.textContent = texts.template.replace("{name}", field.fields);
    } else if (Array.isArray(field.fields)) {
      nested.append(fieldList(field.fields, path));
    }
    const tools = node.querySelector(".form-editor-tools");
    const move = (by) => {
      siblings.splice(index + by, 0, siblings.splice(index, 1)[0]);
      const moved = path.split(".");
      moved[moved.length - 1] = String(index + by);
      const bar = `[data-path="${moved.join(".")}"] > .form-editor-tools`;
      render(`${bar} [data-action=${by < 0 ? "up" : "down"}]`);
      const other = `${bar} [data-action=${by < 0 ? "down" : "up"}]`;  // at the top or bottom now: its twin
      if (!root.contains(document.activeElement)) root.querySelector(other)?.focus();
    };
    const up = tools.querySelector("[data-action=up]"), down = tools.querySelector("[data-action=down]");
    up.disabled = index === 0;
    down.disabled = index === siblings.length - 1;
    up.addEventListener("click", () => move(-1));
    down.addEventListener("click", () => move(1));
    tools.querySelector("[data-action=remove]").addEventListener("click", () => {
      siblings.splice(index, 1);
      render(null);
    });
    return node;
  }

  function choicesEditor(node, field, path) {
    const list = node.querySelector("[data-role=choices]");
    if (!Array.isArray(field.choices)) return;
    field.choices.forEach((choice, i) => {
      const row = clone("form-editor-choice");
      const pair = Array.isArray(choice) ? choice : (field.choices[i] = [String(choice), String(choice)]);
      row.querySelectorAll("[data-part]").forEach((input) => {
        const at = input.dataset.part === "value" ? 0 : 1;
        input.value = pair[at] ?? "";
        input.addEventListener("input", () => { pair[at] = input.value; changed(); });
      });
      row.querySelector("[data-action=remove-choice]").addEventListener("click", () => {
        field.choices.splice(i, 1);
        render(`[data-path="${path}"] [data-action=add-choice]`);
      });
      list.append(row);
    });
    node.querySelector("[data-action=add-choice]").addEventListener("click", () => {
      field.choices.push(["", ""]);
      render(`[data-path="${path}"] [data-role=choices] > li:last-child [data-part=value]`);
    });
  }

  // The preview: the server renders the definition as the task page would; an older answer never replaces a newer.
  let timer = null;
  let asked = 0;
  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(showPreview, PREVIEW_DELAY_MS);
  }
  async function showPreview() {
    const mine = ++asked;
    preview.setAttribute("aria-busy", "true");
    try {
      const response = await post(data.preview_url, { definition });
      if (mine !== asked) return;
      if (response.ok) {
        preview.innerHTML = await response.text();
      } else {
        const answer = await response.json().catch(() => ({}));
        preview.replaceChildren(messageList(texts.preview_errors, answer.errors || [texts.preview_failed]));
      }
    } catch {
      if (mine === asked) preview.replaceChildren(messageList(texts.preview_failed, []));
    } finally {
      if (mine === asked) { preview.removeAttribute("aria-busy"); preview.dataset.shown = String(mine); }
    }
  }
  preview.addEventListener("submit", (event) => event.preventDefault());

  function messageList(title, lines) {
    const box = document.createElement("div");
    box.className = "flash error";
    const head = document.createElement("p");
    head.textContent = title;
    const list = document.createElement("ul");
    for (const line of lines) { const item = document.createElement("li"); item.textContent = line; list.append(item); }
    box.append(head, list);
    return box;
  }

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
                        headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrf_token } });
  }

  const problems = document.getElementById("form-editor-problems");
  function showProblems(lines) {
    const list = problems.querySelector("ul");
    list.replaceChildren(...lines.map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }));
    problems.hidden = lines.length === 0;
  }

  let saving = null;
  async function save() {
    if (saving) return saving;
    saving = (async () => {
      status.textContent = texts.saving;
      const response = await post(data.save_url, { definition, revision });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        revision = answer.revision;
        dirty = false;
        complain("");
        status.textContent = answer.saved;
        showProblems(answer.problems || []);
        document.querySelector(".form-editor-discard").hidden = false;
      } else {
        status.textContent = texts.unsaved;
        complain(answer.error || `${texts.not_saved} ${(answer.errors || [texts.failed]).join(" ")}`);
      }
      root.dataset.revision = String(revision);
    })().catch(() => complain(texts.failed)).finally(() => { saving = null; });
    return saving;
  }
  document.getElementById("form-editor-save").addEventListener("click", save);
  setInterval(() => { if (dirty) save(); }, AUTOSAVE_MS);

  document.getElementById("form-editor-json-apply").addEventListener("click", () => {
    let parsed;
    try {
      parsed = JSON.parse(jsonText.value);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("{ … }");
    } catch (error) {
      complain(`${texts.bad_json} ${error.message}`);
      return;
    }
    complain("");
    definition = normalised(parsed);
    render(null);
  });

  render(null, true);
  status.dataset.ready = "true";
  root.dataset.revision = String(revision);
}

start();
