/** localStorage that never throws: it is missing or refuses writes in private modes, sandboxed frames and full disks. */
export function load(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch (e) {
    return null
  }
}

/** Stores `value`, or removes the key when there is none. */
export function save(key: string, value?: string | null): void {
  try {
    value == null ? localStorage.removeItem(key) : localStorage.setItem(key, value)
  } catch (e) {
    // storage unavailable: the cookie alone carries the visitor
  }
}
