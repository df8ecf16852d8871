// A timer's value in words, for the designer (issue 14 §1): when it fires next, in Russian. SpiffWorkflow reads a
// timer as a Python expression, so an ISO text is quoted ("'P3D'"; engine/bpmn/parsing.py quotes a bare one too):
// a quoted or bare ISO date, duration or cycle is explained; anything else is code, computed when the process runs.

const UNITS = [
  ["Y", ["год", "года", "лет"]], ["M", ["месяц", "месяца", "месяцев"]], ["W", ["неделя", "недели", "недель"]],
  ["D", ["день", "дня", "дней"]], ["H", ["час", "часа", "часов"]], ["MIN", ["минута", "минуты", "минут"]],
  ["S", ["секунда", "секунды", "секунд"]]
];
const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const MSK = "Europe/Moscow";

function plural(n, [one, few, many]) {
  const tens = n % 100, last = n % 10;
  if (tens >= 11 && tens <= 14) return many;
  return last === 1 ? one : last >= 2 && last <= 4 ? few : many;
}

function unquoted(text) {
  const value = (text || "").trim();
  const quoted = /^(['"])(.*)\1$/.exec(value);
  return quoted ? quoted[2].trim() : value;
}

function duration(text) {
  const match = DURATION.exec(text);
  if (!match || text === "P" || text.endsWith("T")) return null;
  const counts = match.slice(1).map((n) => Number(n || 0));
  const words = counts.map((n, i) => (n ? `${n} ${plural(n, UNITS[i][1])}` : null)).filter(Boolean);
  return { counts, words: words.join(" ") };
}

function later(from, counts) {
  const [y, mo, w, d, h, mi, s] = counts;
  const at = new Date(from.getTime());
  at.setFullYear(at.getFullYear() + y, at.getMonth() + mo, at.getDate() + w * 7 + d);
  return new Date(at.getTime() + ((h * 60 + mi) * 60 + s) * 1000);
}

function moment(date) {
  return date.toLocaleString("ru-RU", { timeZone: MSK, day: "numeric", month: "long", year: "numeric",
                                        hour: "2-digit", minute: "2-digit" }) + " (МСК)";
}

function isoDate(text) {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text)) return null;
  // A date without a zone is read by the engine in the server's zone, which runs in UTC.
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : (text.length === 10 ? text + "T00:00:00" : text) + "Z";
  const date = new Date(withZone.replace(" ", "T"));
  return Number.isNaN(date.getTime()) ? null : date;
}

// {text, ok}: ok is false when the value is ISO-like but malformed (the designer should look at it).
export function timerWords(kind, value, now = new Date()) {
  const text = unquoted(value);
  if (!text) return { text: "Значение не задано: таймер не сработает.", ok: false };
  const bare = text === (value || "").trim();
  if (bare && !(isoDate(text) || duration(text) || /^R\d*\//.test(text))) {
    return { text: "Выражение: срок вычисляется, когда процесс дойдёт до таймера.", ok: true };
  }
  if (kind === "timeDate") {
    const date = isoDate(text);
    if (!date) return { text: "Не похоже на дату ISO 8601 (например, '2021-02-01T09:00:00+03:00').", ok: false };
    return { text: `Сработает ${moment(date)}${date < now ? " — этот момент уже прошёл" : ""}.`, ok: true };
  }
  if (kind === "timeDuration") {
    const found = duration(text);
    if (!found) return { text: "Не похоже на длительность ISO 8601 (например, 'P3D' — три дня).", ok: false };
    return { text: `Сработает через ${found.words} после того, как процесс дойдёт до таймера; если сейчас — ` +
                   `${moment(later(now, found.counts))}.`, ok: true };
  }
  const cycle = /^R(\d*)\/(?:([^/]+)\/)?(P[^/]+)$/.exec(text);
  const found = cycle && duration(cycle[3]);
  const start = cycle && cycle[2] ? isoDate(cycle[2]) : null;
  if (!found || (cycle[2] && !start)) {
    return { text: "Не похоже на цикл ISO 8601 (например, 'R3/P1D' — три раза, раз в день).", ok: false };
  }
  const times = cycle[1] ? `${cycle[1]} ${plural(Number(cycle[1]), ["раз", "раза", "раз"])}`
                         : "без ограничения числа раз";
  const first = start || later(now, found.counts);
  return { text: `Срабатывает ${times} с интервалом ${found.words}; первый раз — ${moment(first)}` +
                 `${start ? "" : ", если процесс дойдёт до таймера сейчас"}.`, ok: true };
}
