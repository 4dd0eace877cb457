// Base64 text as a type of its own. Its alphabet (A–Z a–z 0–9 + / =) never needs escaping in JSON, so text of this
// type can be spliced into JSON as it is; the type makes sure only base64 we made ourselves gets that treatment.

export type Base64Text = string & { readonly __base64: true };

// Buffer.from(text) allocates a fresh ArrayBuffer for anything over 4 KB, and a patch is ~7 KB: at thousands of
// admissions a second those allocations (and their collection) cost more than the encoding. One scratch buffer,
// reused synchronously, avoids them. A UTF-8 encoding takes at most 3 bytes per UTF-16 code unit.
const SCRATCH_BYTES = 256 * 1024;
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

export function toBase64Text(text: string): Base64Text {
  if (text.length * 3 > SCRATCH_BYTES) return Buffer.from(text, 'utf8').toString('base64') as Base64Text;
  const length = scratch.write(text, 0, 'utf8');
  return scratch.toString('base64', 0, length) as Base64Text;
}

/**
 * Text whose base64 is computed once and continued many times. Base64 turns each 3 bytes into 4 characters on its
 * own, so the base64 of bytes cut at a multiple of 3 concatenates: base64(head + tail) = head's base64 + base64 of
 * (the 0–2 bytes after the cut + tail). A patch whose ~6 KB `.dockerconfigjson` value repeats across admissions
 * then costs the base64 of its short changing end only.
 */
export interface Base64Head {
  readonly base64: Base64Text;
  /** The bytes of the text after the last whole 3-byte group. */
  readonly rest: Buffer;
}

export function base64Head(text: string): Base64Head {
  const bytes = Buffer.from(text, 'utf8');
  const cut = bytes.length - (bytes.length % 3);
  return { base64: bytes.toString('base64', 0, cut) as Base64Text, rest: Buffer.from(bytes.subarray(cut)) };
}

/** base64(head's text + tail). */
export function continueBase64(head: Base64Head, tail: string): Base64Text {
  if (head.rest.length + tail.length * 3 > SCRATCH_BYTES) {
    return (head.base64 + Buffer.concat([head.rest, Buffer.from(tail, 'utf8')]).toString('base64')) as Base64Text;
  }
  head.rest.copy(scratch, 0);
  const length = head.rest.length + scratch.write(tail, head.rest.length, 'utf8');
  return (head.base64 + scratch.toString('base64', 0, length)) as Base64Text;
}
