// UTF-8 both ways, without TextEncoder (QuickJS has none built in).

export function utf8Encode(s) {
  const out = [];
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

export function utf8Decode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let c;
    let n;
    if (b < 0x80) [c, n] = [b, 1];
    else if (b >= 0xf0) [c, n] = [b & 7, 4];
    else if (b >= 0xe0) [c, n] = [b & 15, 3];
    else if (b >= 0xc0) [c, n] = [b & 31, 2];
    else [c, n] = [0xfffd, 1];
    for (let k = 1; k < n; k++) c = (c << 6) | ((bytes[i + k] ?? 0) & 63);
    s += String.fromCodePoint(n > 1 && c > 0x10ffff ? 0xfffd : c);
    i += n;
  }
  return s;
}
