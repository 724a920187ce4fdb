// Numbers, money and times as the pages show them.

const integers = new Intl.NumberFormat("en");

export function count(value) {
  return integers.format(value);
}

export function percent(share) {
  return `${(share * 100).toFixed(1)}%`;
}

export function decimal(value, digits = 3) {
  return Number(value).toFixed(digits);
}

// Amounts are integer minor units (fen, cents): shown in major units without going through
// a float division, with the minor units alongside since the API speaks in them.
export function money(minor) {
  const sign = minor < 0 ? "-" : "";
  const absolute = Math.abs(minor);
  const major = Math.trunc(absolute / 100);
  const cents = String(absolute % 100).padStart(2, "0");
  return `${sign}${integers.format(major)}.${cents}`;
}

export function utcTime(ms) {
  if (ms === null || ms === undefined) return "–";
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

// To the second: when each attempt of a webhook delivery was made.
export function utcSeconds(ms) {
  if (ms === null || ms === undefined) return "–";
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export function utcDate(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// "YYYY-MM-DD" from a date input, as epoch ms at UTC midnight.
export function dateToMs(text) {
  const [year, month, day] = text.split("-").map(Number);
  return Date.UTC(year, month - 1, day);
}

// "YYYY-MM" from a month input, as epoch ms at the month's first UTC midnight.
export function monthToMs(text, plusMonths = 0) {
  const [year, month] = text.split("-").map(Number);
  return Date.UTC(year, month - 1 + plusMonths, 1);
}

export function monthText(ms) {
  return new Date(ms).toISOString().slice(0, 7);
}
