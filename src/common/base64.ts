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
