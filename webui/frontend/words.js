// The words of the modeller's own modules (spiff-properties.js, correlation-properties.js, timer-words.js,
// lint-messages.js): the server gives them in the page's data (webui/designer_words.py, through Flask-Babel), and
// designer.js hands them here before the modeller starts, so that no text of ours is written in a module.
let words = {};

export function setWords(given) {
  words = given || {};
}

// The entry at a dotted path ("correlation.code_taken"), a text with its "{name}"s filled from `values`; the path
// itself when the server sent no such text, so that a missing word is seen, never silently empty.
export function word(path, values = {}) {
  const found = wordsAt(path);
  if (typeof found !== "string") return path;
  return found.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// A table of words as the server sent it (the rules' messages, month names, plural forms), or undefined.
export function wordsAt(path) {
  return path.split(".").reduce((node, key) => (node == null ? undefined : node[key]), words);
}
