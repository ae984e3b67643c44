export function createRateLimiter(limit, windowMs) {
    let current = new Map();
    let previous = new Map();
    let rotateAt = -Infinity;
    return {
        hit(key, now) {
            if (now >= rotateAt) {
                // A client in `previous` started its window at least one window ago: it has ended.
                previous = now >= rotateAt + windowMs ? new Map() : current;
                current = new Map();
                rotateAt = now + windowMs;
            }
            let client = current.get(key);
            if (client === undefined) {
                client = previous.get(key);
                if (client !== undefined) {
                    previous.delete(key);
                    current.set(key, client);
                }
            }
            if (client === undefined || client.resetAt <= now) {
                client = { count: 0, resetAt: now + windowMs };
                current.set(key, client);
            }
            client.count += 1;
            return client.count <= limit ? undefined : Math.max(1, Math.ceil((client.resetAt - now) / 1000));
        },
        exhausted(key, now) {
            const client = current.get(key) ?? previous.get(key);
            if (client === undefined || client.resetAt <= now || client.count < limit)
                return undefined;
            return Math.max(1, Math.ceil((client.resetAt - now) / 1000));
        },
        remembered: () => current.size + previous.size,
    };
}
