// What a delegate types as a number, read before anything is sent (or queued on a phone that is
// offline): a value the server would refuse is explained next to its field at once, in words.

export type ReadValue = { ok: true; value: number } | { ok: false; message: string };

/**
 * A value typed on a phone: digits with an optional sign, a decimal point, and commas that group
 * thousands ("1,250.5"). A comma in any other place is refused rather than guessed ("12,5" is
 * 12.5 to many delegates and 125 to others): the person is asked to use a dot.
 */
export function readValue(typed: string): ReadValue {
  const t = typed.trim().replace(/[\s\u00a0\u202f]/g, '').replace(/^\u2212/, '-');
  if (t === '') return { ok: false, message: 'Type the value, a number such as 12.5.' };
  let plain = t;
  if (t.includes(',')) {
    if (!/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(t)) return { ok: false, message: `“${typed.trim()}” is not a number: use a dot for decimals (12.5) and commas only between thousands (1,250).` };
    plain = t.replace(/,/g, '');
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(plain)) return { ok: false, message: `“${typed.trim()}” is not a number: type digits, such as 12.5.` };
  const n = Number(plain);
  if (!Number.isFinite(n)) return { ok: false, message: `“${typed.trim()}” is too large a number.` };
  return { ok: true, value: n };
}
