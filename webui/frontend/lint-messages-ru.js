// Russian for bpmnlint's messages (its rules speak English, a designer here reads Russian): each message of the rules
// lint-config.js uses, as their code writes it (node_modules/bpmnlint/rules/*.js, version 11.15), and a sentence per
// rule for any message a later version words otherwise, so that no English reaches the page. lint-config.js
// applies it as the rules report.
export const LINT_MESSAGES_RU = {
  "no-implicit-split": {
    "Flow splits implicitly": "Поток ветвится без шлюза: у элемента несколько исходящих потоков без условий. "
      + "Поставьте шлюз или задайте условия.",
    "*": "Поток ветвится без шлюза."
  },
  "no-disconnected": {
    "Element is not connected": "Элемент ни с чем не соединён: нет ни входящих, ни исходящих потоков.",
    "*": "Элемент ни с чем не соединён."
  },
  "no-implicit-start": {
    "Element is an implicit start": "В элемент не входит ни один поток: он никогда не выполнится. Соедините его "
      + "с тем, что должно идти перед ним.",
    "*": "В элемент не входит ни один поток."
  },
  "no-implicit-end": {
    "Element is an implicit end": "Из элемента не выходит ни один поток: ветвь обрывается. Доведите её до "
      + "конечного события.",
    "*": "Из элемента не выходит ни один поток."
  },
  "label-required": {
    "Element is missing label/name": "Нет названия: его видят исполнители и журнал.",
    "*": "Нет названия."
  },
  "start-event-required": {
    "Process is missing start event": "В процессе нет начального события.",
    "Sub process is missing start event": "В подпроцессе нет начального события.",
    "*": "Нет начального события."
  },
  "end-event-required": {
    "Process is missing end event": "В процессе нет конечного события.",
    "Sub process is missing end event": "В подпроцессе нет конечного события.",
    "*": "Нет конечного события."
  },
  "fake-join": {
    "Incoming flows do not join": "Несколько входящих потоков без шлюза: они не ждут друг друга, элемент "
      + "выполнится по разу на каждый. Объедините их шлюзом.",
    "*": "Входящие потоки не объединены шлюзом."
  },
  "no-complex-gateway": {
    "Element type <bpmn:ComplexGateway> is discouraged": "Сложный шлюз движок не выполняет: замените его "
      + "исключающим, параллельным или включающим.",
    "*": "Сложный шлюз движок не выполняет."
  },
  "no-duplicate-sequence-flows": {
    "SequenceFlow is a duplicate": "Этот поток повторяет другой: тот же источник, цель и условие.",
    "Duplicate outgoing sequence flows": "Два одинаковых исходящих потока.",
    "Duplicate incoming sequence flows": "Два одинаковых входящих потока.",
    "*": "Повторяющиеся потоки."
  },
  "single-blank-start-event": {
    "Process has multiple blank start events": "В процессе несколько простых начальных событий: движок не "
      + "знает, с какого начать.",
    "Sub process has multiple blank start events": "В подпроцессе несколько простых начальных событий.",
    "*": "Несколько простых начальных событий."
  },
  "conditional-flows": {
    "Sequence flow is missing condition": "У потока нет условия, а у соседних потоков из того же элемента оно "
      + "есть: задайте условие или сделайте поток потоком по умолчанию.",
    "*": "У потока нет условия."
  },
  "superfluous-gateway": {
    "Gateway is superfluous. It only has one source and target.": "Лишний шлюз: у него один вход и один выход.",
    "*": "Лишний шлюз."
  },
  "no-gateway-join-fork": {
    "Gateway forks and joins": "Шлюз и объединяет, и разветвляет потоки: разделите его на два.",
    "*": "Шлюз и объединяет, и разветвляет потоки."
  },
  "event-based-gateway": {
    "An <Event-based Gateway> must have at least 2 outgoing <Sequence Flows>": "У шлюза по событию должно "
      + "быть не меньше двух исходящих потоков.",
    "A <Sequence Flow> outgoing from an <Event-based Gateway> must not be conditional": "Поток из шлюза по "
      + "событию не может иметь условия.",
    "*": "Шлюз по событию построен неверно."
  },
  "single-event-definition": {
    "Event has multiple event definitions": "У события несколько определений (таймер, сообщение…): оставьте одно.",
    "*": "У события несколько определений."
  },
  "sub-process-blank-start-event": {
    "Start event must be blank": "Начальное событие подпроцесса должно быть простым: без таймера и сообщения.",
    "*": "Начальное событие подпроцесса должно быть простым."
  },
  "ad-hoc-sub-process": {
    "A <Start Event> is not allowed in <Ad Hoc Sub Process>": "В произвольном (ad hoc) подпроцессе не может быть "
      + "начального события.",
    "An <End Event> is not allowed in <Ad Hoc Sub Process>": "В произвольном (ad hoc) подпроцессе не может быть "
      + "конечного события.",
    "*": "Произвольный (ad hoc) подпроцесс построен неверно."
  }
};

// A rule that failed (a broken model it did not expect) or one this table does not know.
export const LINT_FALLBACK_RU = "Нарушено правило моделирования.";

export function lintMessageRu(rule, message) {
  const messages = LINT_MESSAGES_RU[rule];
  if (!messages) return LINT_FALLBACK_RU;
  return messages[message] || messages["*"];
}
