/**
 * Requests per client per window, in memory, synchronously: /collect asks it once per request,
 * so it must cost next to nothing. Each client's window starts at its first request (as
 * express-rate-limit's MemoryStore does), so a burst never straddles a boundary the client did
 * not start. Clients live in two maps, the current one and the one before it, and the older
 * map is dropped whole once a window has passed: forgetting costs nothing per client.
 */
interface Client {
  count: number
  resetAt: number
}

export interface RateLimiter {
  /** Counts one request; undefined when it is within the limit, else the seconds until the client's window ends. */
  hit(key: string, now: number): number | undefined
  /**
   * Without counting: the seconds until the client's window ends when it has used up the limit,
   * else undefined. For limits on failures (logins), checked before the attempt is judged.
   */
  exhausted(key: string, now: number): number | undefined
  /** How many clients it holds: at most those seen within the last two windows. */
  remembered(): number
}

export function createRateLimiter(limit: number, windowMs: number): RateLimiter {
  let current = new Map<string, Client>()
  let previous = new Map<string, Client>()
  let rotateAt = -Infinity
  return {
    hit(key, now) {
      if (now >= rotateAt) {
        // A client in `previous` started its window at least one window ago: it has ended.
        previous = now >= rotateAt + windowMs ? new Map() : current
        current = new Map()
        rotateAt = now + windowMs
      }
      let client = current.get(key)
      if (client === undefined) {
        client = previous.get(key)
        if (client !== undefined) {
          previous.delete(key)
          current.set(key, client)
        }
      }
      if (client === undefined || client.resetAt <= now) {
        client = { count: 0, resetAt: now + windowMs }
        current.set(key, client)
      }
      client.count += 1
      return client.count <= limit ? undefined : Math.max(1, Math.ceil((client.resetAt - now) / 1000))
    },
    exhausted(key, now) {
      const client = current.get(key) ?? previous.get(key)
      if (client === undefined || client.resetAt <= now || client.count < limit) return undefined
      return Math.max(1, Math.ceil((client.resetAt - now) / 1000))
    },
    remembered: () => current.size + previous.size,
  }
}
