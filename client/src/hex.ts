/** Lowercase hex of some bytes. */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  let text = ''
  new Uint8Array(bytes).forEach((byte) => {
    text += (byte + 256).toString(16).slice(1)
  })
  return text
}
