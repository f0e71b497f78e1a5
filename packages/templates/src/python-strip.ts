/**
 * Python's whitespace (`str.isspace`, used by `str.strip()` and so by Jinja's `trim` filter). It differs from
 * JavaScript's `String.prototype.trim` set: Python also strips U+001C–U+001F and U+0085 (NEL), and does not
 * strip U+FEFF (BOM/ZWNBSP), which JavaScript does.
 */
function isPythonSpace(c: number): boolean {
  if (c <= 0x20) return c >= 0x1c || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  if (c < 0x1680) return c === 0x85 || c === 0xa0;
  if (c < 0x2000) return c === 0x1680;
  if (c <= 0x200a) return true;
  return c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/**
 * `s.strip()` with Python semantics: removes leading and trailing code points for which Python's
 * `str.isspace()` is true (U+0009–U+000D, U+001C–U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000). Returns `s` itself when there is nothing to strip. All these code points are
 * in the BMP, so scanning UTF-16 code units is exact.
 */
export function pythonStrip(s: string): string {
  const n = s.length;
  let start = 0;
  while (start < n && isPythonSpace(s.charCodeAt(start))) start++;
  if (start === n) return "";
  let end = n;
  while (isPythonSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === n ? s : s.slice(start, end);
}

/** `s.lstrip()` with Python semantics (see `pythonStrip`). */
export function pythonLstrip(s: string): string {
  const n = s.length;
  let start = 0;
  while (start < n && isPythonSpace(s.charCodeAt(start))) start++;
  return start === 0 ? s : s.slice(start);
}
