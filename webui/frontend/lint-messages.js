// bpmnlint's messages in the page's language (its rules speak English and word a message tersely): the server's
// table (webui/designer_words.py `_lint`) gives, per rule, our sentence for each message as the rule's code
// writes it and "*" for any message a later version words otherwise, so that no English of bpmnlint reaches the
// page. lint-config.js applies it as the rules report.
import { word, wordsAt } from "./words.js";

// A rule that failed (a broken model it did not expect) or one the table does not know.
export function lintFallback() {
  return word("lint_fallback");
}

export function lintMessage(rule, message) {
  const messages = wordsAt(`lint.${rule}`);
  if (!messages) return lintFallback();
  return messages[message] || messages["*"] || lintFallback();
}
