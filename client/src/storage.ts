/**
 * localStorage that never throws: it is missing or refuses access in private modes, sandboxed
 * frames (a SecurityError on the first touch) and full disks.
 */

export function load(key: string): string | undefined {
  try {
    return localStorage.getItem(key) || undefined
  } catch (e) {
    return undefined
  }
}

/** Stores `value`, or removes the key when there is none. */
export function save(key: string, value?: string): void {
  try {
    if (value == null) localStorage.removeItem(key)
    else localStorage.setItem(key, value)
  } catch (e) {
    // storage unavailable: the cookie alone carries the visitor
  }
}
