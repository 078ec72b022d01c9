// UUIDs as 16 bytes: a flow's id kept in a typed array is no heap object for the collector to
// copy and mark, which at Relay rates is most of what holding it would cost.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A lowercase UUID's 16 bytes as four 32-bit words at `out[at..at+3]`; false if not one. */
export function packUuid(id: string, out: Uint32Array, at: number): boolean {
  if (id.length !== 36) return false;
  let w = 0;
  let v = 0;
  let digits = 0;
  for (let k = 0; k < 36; k++) {
    const ch = id.charCodeAt(k);
    if (k === 8 || k === 13 || k === 18 || k === 23) {
      if (ch !== 45) return false; // '-'
      continue;
    }
    const d = ch >= 48 && ch <= 57 ? ch - 48 : ch >= 97 && ch <= 102 ? ch - 87 : -1;
    if (d < 0) return false;
    v = v * 16 + d;
    if (++digits === 8) {
      out[at + w++] = v;
      v = 0;
      digits = 0;
    }
  }
  return true;
}

export function uuidOf(words: Uint32Array, at: number): string {
  let h = '';
  for (let w = 0; w < 4; w++) {
    const v = words[at + w]!;
    h += HEX[v >>> 24]! + HEX[(v >>> 16) & 255]! + HEX[(v >>> 8) & 255]! + HEX[v & 255]!;
  }
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
