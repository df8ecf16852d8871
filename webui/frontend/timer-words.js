// A timer's value in words, for the designer (issue 14 §1): when it fires next. SpiffWorkflow reads a timer as a
// Python expression, so an ISO text is quoted ("'P3D'"; engine/bpmn/parsing.py quotes a bare one too): a quoted or
// bare ISO date, duration or cycle is explained; anything else is code, computed when the process runs. The words,
// month names and plural forms are the server's (webui/designer_words.py `_timer`, Flask-Babel and Babel's locale
// data); the moment is told in Moscow time, as the department reads every date.
import { word, wordsAt } from "./words.js";

const UNITS = ["Y", "M", "W", "D", "H", "MIN", "S"];
const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const MSK = "Europe/Moscow";

// "{count} days" in the form the language wants for n: the server gives a form per CLDR category.
function counted(n, forms) {
  const category = new Intl.PluralRules(wordsAt("timer.locale") || undefined).select(n);
  const form = (forms || {})[category] || (forms || {}).other || (forms || {}).many || "{count}";
  return form.replace("{count}", String(n));
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
  const words = counts.map((n, i) => (n ? counted(n, wordsAt(`timer.units.${UNITS[i]}`)) : null)).filter(Boolean);
  return { counts, words: words.join(" ") };
}

function later(from, counts) {
  const [y, mo, w, d, h, mi, s] = counts;
  const at = new Date(from.getTime());
  at.setFullYear(at.getFullYear() + y, at.getMonth() + mo, at.getDate() + w * 7 + d);
  return new Date(at.getTime() + ((h * 60 + mi) * 60 + s) * 1000);
}

// The date's numbers in Moscow (locale-neutral digits), told with the server's month name and pattern.
function moment(date) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: MSK, day: "numeric", month: "numeric", year: "numeric", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23"
  }).formatToParts(date).map((part) => [part.type, part.value]));
  const month = (wordsAt("timer.months") || [])[Number(parts.month) - 1] || parts.month;
  const time = `${parts.hour}:${parts.minute}`;
  return word("timer.moment", { day: Number(parts.day), month, year: parts.year, time });
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
  if (!text) return { text: word("timer.empty"), ok: false };
  const bare = text === (value || "").trim();
  if (bare && !(isoDate(text) || duration(text) || /^R\d*\//.test(text))) {
    return { text: word("timer.expression"), ok: true };
  }
  if (kind === "timeDate") {
    const date = isoDate(text);
    if (!date) return { text: word("timer.bad_date"), ok: false };
    return { text: word(date < now ? "timer.fires_at_past" : "timer.fires_at", { moment: moment(date) }), ok: true };
  }
  if (kind === "timeDuration") {
    const found = duration(text);
    if (!found) return { text: word("timer.bad_duration"), ok: false };
    return { text: word("timer.fires_after", { duration: found.words, moment: moment(later(now, found.counts)) }),
             ok: true };
  }
  const cycle = /^R(\d*)\/(?:([^/]+)\/)?(P[^/]+)$/.exec(text);
  const found = cycle && duration(cycle[3]);
  const start = cycle && cycle[2] ? isoDate(cycle[2]) : null;
  if (!found || (cycle[2] && !start)) return { text: word("timer.bad_cycle"), ok: false };
  const times = cycle[1] ? counted(Number(cycle[1]), wordsAt("timer.times")) : word("timer.unlimited");
  const first = start || later(now, found.counts);
  return { text: word(start ? "timer.cycle" : "timer.cycle_now",
                      { times, duration: found.words, moment: moment(first) }), ok: true };
}
